package dev.tether.bench;

import dev.tether.api.Ack;
import dev.tether.api.DeliveryState;
import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.OutboxStore;
import dev.tether.client.TetherClient;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * One soak participant: a {@link TetherClient} that is a member of one room, sends chat after chat
 * to it when told to ({@link #sendNext}) and writes everything it sent and was given to its
 * {@link EventLog} for the {@link SoakChecker}. Only public API of the client is used.
 *
 * <p>Chat {@code n} of user {@code u} has the id {@code u-n} (stable, so a restarted process that
 * is unsure whether its last send was committed can send it again harmlessly: the server and the
 * durable outbox both deduplicate by id) and the text {@code n:sentMicros:padding}, from which
 * receivers take the end-to-end latency.
 *
 * <p>Threads: {@link #sendNext} from one thread at a time (the soak's sender); delegate callbacks
 * on the client's callback threads.
 */
final class SoakClient implements AutoCloseable {
  private static final String PAD = "x".repeat(32);

  private final String user;
  private final String room;
  private final EventLog log;
  private final TetherClient client;
  /** Only touched by the sending thread. */
  private long next;
  /** Chats sent by this object; written by the sending thread only. */
  private volatile long sent;
  /** Chats whose future has not completed yet. */
  private final AtomicLong unsettled = new AtomicLong();

  /**
   * @param servers the server's URI, or the nodes' (through their links): the client fails over
   *     between them in this order
   * @param store the durable outbox, or null for the client's own in-memory one
   * @param latency where end-to-end latencies (µs) of delivered chats go, or null
   * @param delivered counts chats delivered to this client
   * @param firstN the number of the next chat to send
   */
  SoakClient(List<URI> servers, String user, String room, EventLog log, OutboxStore store, Recorder latency,
      AtomicLong delivered, long firstN) {
    this.user = user;
    this.room = room;
    this.log = log;
    this.next = firstN;
    URI[] uris = servers.stream().map(u -> URI.create(u + "?user=" + user)).toArray(URI[]::new);
    TetherClient.Builder b = TetherClient.builder(uris[0], Arrays.copyOfRange(uris, 1, uris.length))
        .delegate(new Listener(log, latency, delivered));
    if (store != null) {
      b.outboxStore(store);
    }
    this.client = b.build();
  }

  String user() {
    return user;
  }

  String room() {
    return room;
  }

  void open() {
    client.open();
  }

  /** Joins the room; the future completes with the join's ack. */
  CompletableFuture<Ack> join() {
    return client.send(Envelope.join(room));
  }

  /** Sends the next chat; logs it as accepted once {@code send} has returned a live future. */
  void sendNext() {
    long n = next++;
    String id = user + "-" + n;
    long micros = EventLog.nowMicros();
    unsettled.incrementAndGet();
    CompletableFuture<Ack> f = client.send(Envelope.chat(room, n + ":" + micros + ":" + PAD).withId(id));
    log.line("S " + n + " " + id + " " + micros);
    sent++;
    f.whenComplete((ack, error) -> {
      unsettled.decrementAndGet();
      if (error == null) {
        log.line("A " + id + " " + ack.seq() + " " + EventLog.nowMicros());
      } else {
        log.line("F " + id + " " + EventLog.nowMicros() + " " + oneLine(error));
      }
    });
  }

  /** Chats this object sent (a restarted process counts from 0 again). */
  long sent() {
    return sent;
  }

  int outboxSize() {
    return client.outboxSize();
  }

  long reconnects() {
    return client.stats().reconnects();
  }

  @Override
  public void close() {
    client.close();
  }

  /**
   * Waits up to {@code timeout} for every future of this object's sends to complete (after
   * {@link #close()}, the client fails those still waiting); returns whether they all did.
   */
  boolean awaitSettled(long timeout, java.util.concurrent.TimeUnit unit) {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (unsettled.get() > 0 && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
    }
    return unsettled.get() == 0;
  }

  static String oneLine(Throwable t) {
    String s = String.valueOf(t);
    return s.replace('\n', ' ').replace('\r', ' ');
  }

  /**
   * Logs what the client reports: {@code D room seq id from micros epoch} per chat delivered,
   * {@code G} per gap, {@code R} per reset, and the connection's events.
   */
  static final class Listener implements SocketDelegate {
    private final EventLog log;
    private final Recorder latency;
    private final AtomicLong delivered;

    Listener(EventLog log, Recorder latency, AtomicLong delivered) {
      this.log = log;
      this.latency = latency;
      this.delivered = delivered;
    }

    @Override
    public void onEnvelope(TetherSocket socket, Envelope e) {
      if (e.type() != Envelope.Type.CHAT) {
        return;
      }
      long now = EventLog.nowMicros();
      log.line("D " + e.room() + " " + e.seq() + " " + e.id() + " " + e.from() + " " + now + " " + e.epoch());
      delivered.incrementAndGet();
      if (latency != null) {
        String text = e.text();
        int a = text == null ? -1 : text.indexOf(':');
        int b = a < 0 ? -1 : text.indexOf(':', a + 1);
        if (b > 0) {
          latency.recordValue(Math.max(0, now - Long.parseLong(text, a + 1, b, 10)));
        }
      }
    }

    @Override
    public void onGap(TetherSocket socket, String room, long fromSeq, long toSeq) {
      log.line("G " + room + " " + fromSeq + " " + toSeq + " " + EventLog.nowMicros());
    }

    @Override
    public void onReset(TetherSocket socket, String room, long lastSeqBefore) {
      log.line("R " + room + " " + lastSeqBefore + " " + EventLog.nowMicros());
    }

    @Override
    public void onDeliveryState(TetherSocket socket, Envelope envelope, DeliveryState state) {
      // Envelopes recovered from a durable outbox have no future: this is how their fate is known.
      if (state == DeliveryState.FAILED && envelope.type() == Envelope.Type.CHAT) {
        log.line("F " + envelope.id() + " " + EventLog.nowMicros() + " reported FAILED");
      }
    }

    @Override
    public void onOpen(TetherSocket socket) {
      log.line("O " + EventLog.nowMicros());
    }

    @Override
    public void onClose(TetherSocket socket, int code, String reason, boolean wasClean) {
      log.line("C " + code + " " + EventLog.nowMicros());
    }

    @Override
    public void onFailure(TetherSocket socket, Throwable error) {
      log.line("X " + EventLog.nowMicros() + " " + oneLine(error));
    }
  }
}

package dev.tether.bench;

import dev.tether.api.EnvelopeCodec;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.glassfish.tyrus.client.ClientManager;

/**
 * The load of the {@code cluster} benchmark, on raw Tyrus connections (one shared container) that
 * speak PROTOCOL.md as a {@code TetherClient} does on the wire: a join, then chats numbered with the
 * per-connection counter {@code n}. Raw, so that the figures are the servers' and Redis's, not a
 * client library's.
 */
final class ClusterLoad {
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();
  /** Connections a node closed before the benchmark did, as "user: code reason": figures with any are void. */
  private static final List<String> CLOSED_BY_NODES = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Sessions the benchmark closes itself. */
  private static final java.util.Set<Session> CLOSING = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private ClusterLoad() {}

  /**
   * Throws if a node closed a connection of the load (a store timeout, a member queue full): the
   * figures would then count fewer rooms than they say.
   */
  static void checkNoneClosedByNodes() {
    if (!CLOSED_BY_NODES.isEmpty()) {
      List<String> closed = List.copyOf(CLOSED_BY_NODES);
      CLOSED_BY_NODES.clear();
      throw new IllegalStateException("nodes closed " + closed.size() + " connection(s) of the load: " + closed);
    }
  }

  /**
   * {@code rooms} rooms, each with a sender keeping {@code window} chats unacked and a receiver;
   * with two nodes a room's sender is on one and its receiver on the other, half the rooms each
   * way. {@link #delivered} counts chats the receivers got.
   */
  static final class Throughput implements AutoCloseable {
    final AtomicLong delivered = new AtomicLong();
    private final List<Thread> senders = new ArrayList<>();
    private final List<Session> sessions = new ArrayList<>();

    Throughput(ClientManager manager, List<URI> nodes, String prefix, int rooms, int window) throws Exception {
      String pad = "x".repeat(Workload.MESSAGE_BYTES);
      for (int r = 0; r < rooms; r++) {
        String room = prefix + "-room" + r;
        URI senderNode = nodes.get(r % nodes.size());
        URI receiverNode = nodes.get((r + 1) % nodes.size());
        sessions.add(join(manager, receiverNode, prefix + "-receiver" + r, room, text -> {
          if (text.startsWith("{\"type\":\"chat\"")) {
            delivered.incrementAndGet();
          }
        }));
        Semaphore unacked = new Semaphore(window);
        Session sender = join(manager, senderNode, prefix + "-sender" + r, room, text -> {
          if (text.startsWith("{\"type\":\"ack\"")) {
            unacked.release();
          }
        });
        sessions.add(sender);
        String head = "{\"type\":\"chat\",\"id\":\"" + room + "-";
        String tail = "\",\"room\":\"" + room + "\",\"body\":{\"text\":\"" + pad + "\"}}";
        var remote = sender.getAsyncRemote();
        Thread t = new Thread(() -> {
          try {
            for (long n = 1; !Thread.currentThread().isInterrupted(); n++) {
              unacked.acquire();
              remote.sendText(CODEC.withCounter(head + n + tail, n));
            }
          } catch (InterruptedException done) {
            // the end of the workload
          }
        }, "cluster-sender-" + r);
        t.setDaemon(true);
        senders.add(t);
      }
    }

    void start() {
      senders.forEach(Thread::start);
    }

    @Override
    public void close() throws InterruptedException {
      senders.forEach(Thread::interrupt);
      for (Thread t : senders) {
        t.join(5_000);
      }
      closeAll(sessions);
    }
  }

  /**
   * Latency at {@code rate} chats/s in one room, sender on the first node and receiver on the
   * last: from the time each chat was due to be sent (coordinated-omission safe) to its receipt,
   * after {@code warmupMs}, for {@code runMs}.
   */
  static Histogram latency(ClientManager manager, List<URI> nodes, String prefix, int rate, long warmupMs,
      long runMs) throws Exception {
    String room = prefix + "-latency";
    Recorder recorder = new Recorder(3);
    Session receiver = join(manager, nodes.get(nodes.size() - 1), prefix + "-lat-receiver", room, text -> {
      int at = text.indexOf("\"text\":\"t");
      if (text.startsWith("{\"type\":\"chat\"") && at > 0) {
        long due = Long.parseLong(text, at + 9, text.indexOf('"', at + 9), 10);
        recorder.recordValue(Math.max(0, System.nanoTime() - due));
      }
    });
    Session sender = join(manager, nodes.get(0), prefix + "-lat-sender", room, text -> { });
    try {
      var remote = sender.getAsyncRemote();
      long interval = 1_000_000_000L / rate;
      long start = System.nanoTime();
      long warmEnd = start + TimeUnit.MILLISECONDS.toNanos(warmupMs);
      long end = warmEnd + TimeUnit.MILLISECONDS.toNanos(runMs);
      boolean measuring = false;
      for (long n = 1; ; n++) {
        long due = start + (n - 1) * interval;
        if (due >= end) {
          break;
        }
        for (long now; (now = System.nanoTime()) < due; ) {
          LockSupport.parkNanos(due - now);
        }
        if (!measuring && due >= warmEnd) {
          recorder.getIntervalHistogram(); // drop the warm-up
          measuring = true;
        }
        remote.sendText(CODEC.withCounter("{\"type\":\"chat\",\"id\":\"" + room + "-" + n + "\",\"room\":\"" + room
            + "\",\"body\":{\"text\":\"t" + due + "\"}}", n));
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500)); // the last chats arrive
      return recorder.getIntervalHistogram();
    } finally {
      closeAll(List.of(receiver, sender));
    }
  }

  /** A raw connection as {@code user}, joined to {@code room}, handing every later text to {@code texts}. */
  private static Session join(ClientManager manager, URI node, String user, String room, Consumer<String> texts)
      throws Exception {
    CountDownLatch joined = new CountDownLatch(1);
    Session session = manager.connectToServer(new Endpoint() {
      @Override
      public void onClose(Session session, jakarta.websocket.CloseReason reason) {
        if (!CLOSING.remove(session)) {
          CLOSED_BY_NODES.add(user + ": " + reason.getCloseCode().getCode() + " " + reason.getReasonPhrase());
        }
      }

      @Override
      public void onOpen(Session session, EndpointConfig config) {
        session.setMaxIdleTimeout(-1);
        session.addMessageHandler(String.class, (MessageHandler.Whole<String>) text -> {
          if (joined.getCount() > 0 && text.startsWith("{\"type\":\"ack\"")) {
            joined.countDown();
          } else {
            texts.accept(text);
          }
        });
      }
    }, ClientEndpointConfig.Builder.create().build(), EchoClient.withUser(node, user));
    session.getBasicRemote().sendText("{\"type\":\"join\",\"id\":\"j-" + user + "\",\"room\":\"" + room + "\"}");
    if (!joined.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(user + ": join not acked by " + node);
    }
    return session;
  }

  private static void closeAll(List<Session> sessions) {
    for (Session s : sessions) {
      CLOSING.add(s);
      try {
        s.close();
      } catch (IOException ignored) {
        // going anyway
      }
    }
  }
}

package dev.tether.stub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ErrorReply;
import dev.tether.api.Wire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md's rules for a client that counts, followed to the letter by a small client written
 * here, hold up against a real server behind a link that loses frames and under a rate limit: every
 * receiver gets the sender's chats once each, none lost, in the order written. The client is the
 * reference for those rules: numbering, the rewind point, stale answers, waiting out
 * {@code retry_after}, and the ack timeout for a rewrite lost again.
 */
class SenderOrderTest {
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();
  private static final Duration ACK_TIMEOUT = Duration.ofSeconds(1);

  private StubServer server;
  private FaultProxy proxy;
  private final List<WsRecorder> clients = new ArrayList<>();

  @AfterEach
  void tearDown() {
    clients.forEach(WsRecorder::close);
    if (proxy != null) {
      proxy.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aCountingSenderKeepsItsOrderThroughALossyLinkAndTheRateLimit() throws Exception {
    server = StubServer.builder().rateLimit(50).start();
    proxy = FaultProxy.start(server.uri());
    WsRecorder bob = WsRecorder.connect(server.uri(), "bob");
    clients.add(bob);
    bob.send(Envelope.join("lobby"));
    assertThat(bob.nextWire()).isInstanceOf(Ack.class);

    List<Envelope> chats = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      chats.add(Envelope.chat("lobby", "m" + i));
    }
    proxy.lossy(0.1, 20_260_101L);
    CountingSender alice = new CountingSender(chats);
    alice.run(Duration.ofSeconds(120));

    List<String> seen = new ArrayList<>();
    long lastSeq = 0;
    while (seen.size() < chats.size()) {
      Wire w = bob.nextWire();
      Envelope e = (Envelope) w;
      assertThat(e.seq()).isEqualTo(lastSeq + 1);
      lastSeq = e.seq();
      seen.add(e.text());
    }
    assertThat(seen).containsExactlyElementsOf(chats.stream().map(Envelope::text).toList());
    bob.assertNothingWithin(Duration.ofMillis(300));
    System.out.printf("sender order: 200 chats through a link that lost %d frames, rate limit 50/s:"
            + " %d out_of_order, %d rate_limited, %d stale answers ignored, %d rewinds, %d reconnects%n",
        proxy.droppedFrames(), alice.outOfOrder, alice.rateLimited, alice.stale, alice.rewinds,
        alice.reconnects);
    assertThat(proxy.droppedFrames()).isPositive();
    assertThat(alice.outOfOrder).isPositive();
    assertThat(alice.rateLimited).isPositive();
  }

  /**
   * One user's client that numbers what it writes on each connection and follows the sender-order
   * rules. Single-threaded: {@link #run} reads the connection's frames and acts on them.
   */
  private final class CountingSender {
    private final List<Envelope> chats;
    private final Set<String> acked = new HashSet<>();
    private WsRecorder ws;
    /** Per connection: the next counter, and what was written and is not answered yet, by counter. */
    private long nextN;
    private final TreeMap<Long, Envelope> written = new TreeMap<>();
    private final Map<String, Long> counterOf = new HashMap<>();
    /** How many of {@link #chats} were written at least once. */
    private int nextChat;
    /** The rewind point, or null. */
    private Long rewind;
    /** When to write again from the rewind point after a retry_after; 0 if not waiting. */
    private long rewindAtNanos;
    private long lastAnswerNanos;
    int outOfOrder;
    int rateLimited;
    int stale;
    int rewinds;
    int reconnects;

    CountingSender(List<Envelope> chats) {
      this.chats = chats;
    }

    void run(Duration limit) throws Exception {
      long deadline = System.nanoTime() + limit.toNanos();
      connect();
      while (acked.size() < chats.size()) {
        if (System.nanoTime() > deadline) {
          fail("sender did not finish in " + limit + ": " + acked.size() + " acked");
        }
        writeNew();
        WsRecorder.Event event = ws.poll(Duration.ofMillis(20));
        if (event instanceof WsRecorder.Text t) {
          onWire(CODEC.decode(t.text()));
        } else if (event instanceof WsRecorder.Closed || event instanceof WsRecorder.Failure) {
          reconnect();
          continue;
        }
        long now = System.nanoTime();
        if (rewind != null && rewindAtNanos != 0 && now >= rewindAtNanos) {
          rewindAtNanos = 0;
          writeAgainFrom(rewind);
        }
        if (!written.isEmpty() && rewindAtNanos == 0 && now - lastAnswerNanos > ACK_TIMEOUT.toNanos()) {
          reconnect(); // a rewrite lost again: nothing will answer it (rule 4)
        }
      }
      ws.close();
    }

    private void connect() throws Exception {
      ws = WsRecorder.connect(proxy.uri(), "alice");
      clients.add(ws);
      nextN = 1;
      written.clear();
      counterOf.clear();
      rewind = null;
      rewindAtNanos = 0;
      lastAnswerNanos = System.nanoTime();
      write(Envelope.join("lobby"));
      // Resend every unacked chat written before, in order, then go on with new ones.
      for (int i = 0; i < nextChat; i++) {
        if (!acked.contains(chats.get(i).id())) {
          write(chats.get(i));
        }
      }
    }

    private void reconnect() throws Exception {
      reconnects++;
      ws.close();
      connect();
    }

    /** New chats, up to 20 unanswered, while no rewind is pending. */
    private void writeNew() throws Exception {
      while (rewind == null && written.size() < 20 && nextChat < chats.size()) {
        write(chats.get(nextChat++));
      }
    }

    private void write(Envelope e) throws Exception {
      long n = nextN++;
      written.put(n, e);
      counterOf.put(e.id(), n);
      ws.send(CODEC.withCounter(CODEC.encode(e), n));
    }

    /** Writes again, in order and with their counters, everything written from {@code k} on. */
    private void writeAgainFrom(long k) throws Exception {
      rewinds++;
      for (Map.Entry<Long, Envelope> entry : written.tailMap(k, true).entrySet()) {
        ws.send(CODEC.withCounter(CODEC.encode(entry.getValue()), entry.getKey()));
      }
    }

    private void onWire(Wire wire) throws Exception {
      if (wire instanceof Envelope) {
        return; // own copies; bob checks the order
      }
      lastAnswerNanos = System.nanoTime();
      if (wire instanceof Ack ack) {
        Long n = counterOf.get(ack.id());
        if (n != null) {
          written.remove(n);
          if (n.equals(rewind)) {
            rewind = null; // rule 3: the answer about R ends the rewind
          }
        }
        if (chats.stream().anyMatch(c -> c.id().equals(ack.id()))) {
          acked.add(ack.id());
        }
        return;
      }
      ErrorReply error = (ErrorReply) wire;
      switch (error.code()) {
        case ErrorReply.OUT_OF_ORDER -> outOfOrder++;
        case ErrorReply.RATE_LIMITED, ErrorReply.UNAVAILABLE -> rateLimited++;
        default -> fail("unexpected refusal " + error);
      }
      if (rewind != null && error.n() > rewind) {
        stale++; // rule 3: an answer to a write from before the rewind
        return;
      }
      boolean retryLater = !error.code().equals(ErrorReply.OUT_OF_ORDER);
      rewind = retryLater ? error.n() : error.expected();
      if (retryLater) {
        rewindAtNanos = System.nanoTime() + Math.max(1, error.retryAfterMillis()) * 1_000_000L; // rule 2
      } else {
        writeAgainFrom(rewind); // rule 1
      }
    }
  }
}

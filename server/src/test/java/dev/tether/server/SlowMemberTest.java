package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.Wire;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Members that stop reading while others exchange 100,000 chats: the heap stays bounded, the
 * stalled members are closed with 1013 and counted, the sender is not held up by them (every one
 * of its chats is acked, in a bounded time, while one of them never reads again), and a stalled
 * member that comes back with {@code resume} gets every chat, once, in order. The heap measured is
 * the test JVM's, which holds the clients too: it bounds the server's from above. How fast the
 * sender goes is the bench's to measure, not this test's.
 */
class SlowMemberTest {
  private static final int TOTAL = 100_000;
  private static final String BODY = "x".repeat(1_000);
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private TetherServer server;
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return MEMORY.getHeapMemoryUsage().getUsed();
  }

  @Test
  void membersThatStopReadingAreClosedWith1013AndAResumeMissesNothing() throws Exception {
    // No rate limit: one sender pushes as fast as the server takes it. The default member queue.
    server = TetherServer.builder().rateLimit(0).build();
    URI uri = server.listen("127.0.0.1", 0).uri();
    long baseline = heapAfterGc();

    ChatStream alice = ChatStream.connect(URI.create(uri + "?user=alice"), "lobby", 0, 500);
    open.add(alice::close);
    alice.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS);
    // Two members that join and then never read: "stalled" is watched, "gone" never looked at again.
    RawWebSocket stalled = joinAndStopReading(uri, "stalled");
    RawWebSocket gone = joinAndStopReading(uri, "gone");

    long start = System.nanoTime();
    int sent = 0;
    CompletableFuture<Long> lastAck = null;
    while (server.stats().slowMembersClosed() < 2) {
      lastAck = alice.send(Envelope.chat("lobby", BODY));
      sent++;
      assertThat(sent).as("chats sent before the stalled members were closed").isLessThan(TOTAL / 2);
    }
    lastAck.get(30, TimeUnit.SECONDS);
    long heapAtClose = heapAfterGc();
    int sentAtClose = sent;

    // The stalled member reads again: whatever was on its way, then the close frame.
    long lastSeen = 0;
    RawWebSocket.Frame frame;
    while ((frame = stalled.read()).opcode() == 1) {
      Wire w = EnvelopeCodec.shared().decode(frame.text());
      if (w instanceof Envelope e) {
        assertThat(e.seq()).isEqualTo(lastSeen + 1);
        lastSeen = e.seq();
      }
    }
    assertThat(frame.opcode()).isEqualTo(8);
    assertThat(frame.closeCode()).isEqualTo(1013);
    assertThat(frame.closeReason()).isEqualTo("member queue full");

    // It comes back with resume while the others go on: everything from its position, live after.
    ChatStream back = ChatStream.connect(URI.create(uri + "?user=stalled"), "lobby", lastSeen, 1);
    open.add(back::close);
    Envelope resume = Envelope.resume("lobby", lastSeen);
    CompletableFuture<Long> resumed = back.send(resume);
    // While its replay runs, the chats that go on are held for it in its member queue (4,096
    // frames): at most 2,000 go on until the resume is answered, so that a loaded machine that
    // slows the replay down cannot make it overflow (it did once, at a load of 29 on two cores).
    // After that, alice stays within 3,000 chats of what the resumed member has read: it reads as
    // it should, but on a loaded machine its reader can fall behind a sender that nothing slows
    // down, and 4,096 frames behind it would rightly be closed as slow again.
    while (sent < TOTAL) {
      if (sent == sentAtClose + 2_000) {
        resumed.get(60, TimeUnit.SECONDS);
      }
      if (sent > sentAtClose + 2_000 && sent - back.last.get() > 3_000) {
        long target = sent - 1_000;
        await().atMost(Duration.ofSeconds(60)).until(() -> back.last.get() >= target);
      }
      lastAck = alice.send(Envelope.chat("lobby", BODY));
      sent++;
    }
    assertThat(lastAck.get(60, TimeUnit.SECONDS)).isEqualTo(TOTAL);
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(resumed.get(30, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(lastSeen);
    await().atMost(Duration.ofSeconds(60)).until(() -> back.last.get() == TOTAL && alice.last.get() == TOTAL);
    long heapAtEnd = heapAfterGc();

    System.out.printf("slow members: %,d chats of %,d bytes in %.1f s (%,.0f/s); the stalled members were"
            + " closed with 1013 after %,d chats (the stalled one had read %,d); heap of this JVM (server and"
            + " clients) after GC:"
            + " %,d KiB at start, %,d KiB at the close, %,d KiB at the end%n",
        TOTAL, BODY.length(), seconds, TOTAL / seconds, sentAtClose, lastSeen, baseline / 1024,
        heapAtClose / 1024, heapAtEnd / 1024);
    assertThat(alice.violation.get()).isNull();
    assertThat(back.violation.get()).isNull();
    assertThat(alice.chats.get()).isEqualTo(TOTAL);
    assertThat(back.chats.get()).isEqualTo(TOTAL - lastSeen);
    assertThat(server.stats().slowMembersClosed()).isEqualTo(2);
    // "gone" never read again: had its chats been queued, 100,000 of 1 KB each would be over 100 MB.
    // What stays: the history (10,000 chats), the dedup memory (100,000 ids) and the clients here.
    assertThat(heapAtEnd - baseline).as("heap growth").isLessThan(80L << 20);
    gone.close();
  }

  private RawWebSocket joinAndStopReading(URI uri, String user) throws Exception {
    RawWebSocket ws = RawWebSocket.connect(URI.create(uri + "?user=" + user));
    open.add(ws);
    Envelope join = Envelope.join("lobby");
    ws.sendText(EnvelopeCodec.shared().encode(join));
    assertThat(EnvelopeCodec.shared().decode(ws.read().text())).isInstanceOfSatisfying(Ack.class,
        a -> assertThat(a).extracting(Ack::id, Ack::seq).containsExactly(join.id(), 0L));
    return ws;
  }
}

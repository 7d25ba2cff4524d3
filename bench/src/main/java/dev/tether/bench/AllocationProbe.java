package dev.tether.bench;

import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.TetherClient;
import dev.tether.server.TetherServer;
import dev.tether.stub.StubServer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Heap bytes allocated per operation, counted with {@code ThreadMXBean.getThreadAllocatedBytes}:
 * the codec's operations on the calling thread, and whole round trips (a chat envelope to its ack,
 * or a raw text to its echo) through a client and a server in this JVM, attributed to the server
 * by its threads' names ({@code tether-listen-*}, {@code tether-server-*}) and to the client by
 * all the others. Allocation counts do not depend on the machine's load, unlike timings.
 *
 * <p>Usage: {@code java -cp bench/target/tether-bench.jar dev.tether.bench.AllocationProbe
 * [codec] [stub] [tether]} (default: all three). Prints one line per measurement.
 */
final class AllocationProbe {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final String TEXT = "x".repeat(Workload.MESSAGE_BYTES);
  private static final int CODEC_OPS = Integer.getInteger("probe.codecOps", 200_000);
  private static final int ROUND_TRIPS = Integer.getInteger("probe.roundTrips", 60_000);

  private AllocationProbe() {}

  public static void main(String[] args) throws Exception {
    List<String> what = args.length == 0 ? List.of("codec", "stub", "tether") : List.of(args);
    if (what.contains("codec")) {
      codec();
    }
    for (String server : List.of("stub", "tether")) {
      if (what.contains(server)) {
        roundTrips(server);
      }
    }
    System.exit(0);
  }

  // ---- the codec, on this thread -----------------------------------------------------------------

  static void codec() {
    EnvelopeCodec codec = EnvelopeCodec.shared();
    Envelope sent = Envelope.chat("bench", TEXT);
    String clientFrame = codec.withCounter(codec.encode(sent), 12_345);
    Envelope stamped = sent.accepted("env", 123_456, 1_767_225_600_000L, "q3Jx0cVb9LmT2wAe");
    String fanOut = codec.encode(stamped);
    String ack = "{\"type\":\"ack\",\"id\":\"" + sent.id() + "\",\"seq\":123456}";
    String ackV2 = "{\"type\":\"ack\",\"id\":\"" + sent.id() + "\",\"seq\":123456,\"from\":\"env\","
        + "\"ts\":1767225600000,\"epoch\":\"q3Jx0cVb9LmT2wAe\"}";
    perOp("decode fan-out (server to client)", () -> codec.decode(fanOut));
    perOp("decode chat (client to server, counted)", () -> codec.decodeCounted(clientFrame));
    perOp("decode ack", () -> codec.decode(ack));
    perOp("decode ack with from, ts, epoch", () -> codec.decode(ackV2));
    perOp("encode chat (client)", () -> codec.encode(sent));
    perOp("encode fan-out (server)", () -> codec.encode(stamped));
    perOp("encode ack (server)", () -> codec.encode(new dev.tether.api.Ack(sent.id(), 123_456)));
  }

  private static void perOp(String what, Supplier<Object> op) {
    Object sink = null;
    for (int i = 0; i < CODEC_OPS; i++) {
      sink = op.get();
    }
    long id = Thread.currentThread().getId();
    long before = THREADS.getThreadAllocatedBytes(id);
    for (int i = 0; i < CODEC_OPS; i++) {
      sink = op.get();
    }
    long bytes = THREADS.getThreadAllocatedBytes(id) - before;
    line("codec", what, bytes / (double) CODEC_OPS, sink == null ? "(null)" : "");
  }

  // ---- round trips through a client and a server in this JVM ------------------------------------

  static void roundTrips(String serverKind) throws Exception {
    AutoCloseable server;
    URI uri;
    if (serverKind.equals("stub")) {
      StubServer stub = StubServer.start();
      server = stub;
      uri = stub.uri();
    } else {
      TetherServer tether = TetherServer.builder().rateLimit(0).build();
      uri = tether.listen("127.0.0.1", 0).uri();
      server = tether;
    }
    try (server) {
      roundTrip(serverKind, "raw text echo", uri, false);
      roundTrip(serverKind, "chat envelope + ack", uri, true);
    }
  }

  private static void roundTrip(String serverKind, String what, URI uri, boolean envelopes)
      throws Exception {
    Semaphore window = new Semaphore(Workload.WINDOW);
    AtomicLong done = new AtomicLong();
    AtomicLong fanOuts = new AtomicLong();
    CountDownLatch open = new CountDownLatch(1);
    TetherClient client = TetherClient.builder(URI.create(uri + "?user=probe" + (envelopes ? "e" : "r")))
        .delegate(new SocketDelegate() {
          @Override
          public void onOpen(TetherSocket socket) {
            open.countDown();
          }

          @Override
          public void onMessage(TetherSocket socket, String text) {
            done.incrementAndGet();
            window.release();
          }

          @Override
          public void onEnvelope(TetherSocket socket, Envelope envelope) {
            fanOuts.incrementAndGet();
          }
        }).build();
    client.open();
    if (!open.await(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("client did not open");
    }
    if (envelopes) {
      client.send(Envelope.join("probe")).get(10, TimeUnit.SECONDS);
    }
    Runnable one = envelopes
        ? () -> client.send(Envelope.chat("probe", TEXT)).whenComplete((a, e) -> {
            done.incrementAndGet();
            window.release();
          })
        : () -> client.send(TEXT);
    run(window, one, done, ROUND_TRIPS / 2); // warm-up
    Map<Long, Long> before = allocatedByThread();
    long fanOuts0 = fanOuts.get();
    long sent = run(window, one, done, ROUND_TRIPS);
    Map<Long, Long> after = allocatedByThread();
    long server = 0;
    long clientSide = 0;
    for (ThreadInfo info : THREADS.getThreadInfo(after.keySet().stream().mapToLong(Long::longValue).toArray())) {
      if (info == null) {
        continue;
      }
      long bytes = after.get(info.getThreadId()) - before.getOrDefault(info.getThreadId(), 0L);
      String name = info.getThreadName();
      if (name.startsWith("tether-listen") || name.startsWith("tether-server")) {
        server += bytes;
      } else {
        clientSide += bytes;
      }
    }
    line(serverKind, what + ": client", clientSide / (double) sent, "");
    line(serverKind, what + ": server", server / (double) sent,
        envelopes ? String.format(Locale.ROOT, "(%.2f own chats delivered per ack)",
            (fanOuts.get() - fanOuts0) / (double) sent) : "");
    client.close();
  }

  /** Sends {@code n} through a window, returns once all are answered; returns n. */
  private static long run(Semaphore window, Runnable one, AtomicLong done, long n) throws InterruptedException {
    long target = done.get() + n;
    for (long i = 0; i < n; i++) {
      if (!window.tryAcquire(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("no answer within 10 s");
      }
      one.run();
    }
    while (done.get() < target) {
      java.util.concurrent.locks.LockSupport.parkNanos(200_000);
    }
    return n;
  }

  private static Map<Long, Long> allocatedByThread() {
    long[] ids = THREADS.getAllThreadIds();
    long[] bytes = THREADS.getThreadAllocatedBytes(ids);
    Map<Long, Long> out = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      if (bytes[i] >= 0) {
        out.put(ids[i], bytes[i]);
      }
    }
    return out;
  }

  private static void line(String group, String what, double bytesPerOp, String note) {
    System.out.printf(Locale.ROOT, "%-6s %-48s %8.0f B/op %s%n", group, what, bytesPerOp, note);
  }
}

package dev.tether.bench;

import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.TetherClient;
import dev.tether.server.RoomStore;
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
 * the codec's operations and the in-memory room store's per-chat work on the calling thread, and
 * whole round trips (a chat envelope to its ack,
 * or a raw text to its echo) through a client and a server in this JVM, attributed to the server
 * by its threads' names ({@code tether-listen-*}, {@code tether-server-*}) and to the client by
 * all the others; CPU time per round trip is counted the same way ({@code getThreadCpuTime}).
 * Allocation counts do not depend on the machine's load, and CPU time much less than throughput.
 * Uses only public API, so it also runs against an older build of Tether.
 *
 * <p>Usage: {@code java -cp bench/target/tether-bench.jar dev.tether.bench.AllocationProbe
 * [codec] [store] [stub] [tether]} (default: all four). Prints one line per measurement. The
 * codec's and the store's lines are exact (one thread, nothing else running); a round trip's also
 * count the transport's buffers, which vary by a few percent with how frames batch.
 */
final class AllocationProbe {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final String TEXT = "x".repeat(Workload.MESSAGE_BYTES);
  private static final int CODEC_OPS = Integer.getInteger("probe.codecOps", 200_000);
  private static final int ROUND_TRIPS = Integer.getInteger("probe.roundTrips", 60_000);

  private AllocationProbe() {}

  public static void main(String[] args) throws Exception {
    List<String> what = args.length == 0 ? List.of("codec", "store", "stub", "tether") : List.of(args);
    if (what.contains("codec")) {
      codec();
    }
    if (what.contains("store")) {
      store();
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

  // ---- the in-memory store's per-chat work, on this thread --------------------------------------

  /**
   * What {@link RoomStore#inMemory()} allocates per chat besides the frame: the draft, the dedup
   * memory, the history ring and budget, and the answer. The renderer hands out one frame, so
   * that rendering (the codec's line above) is not counted again.
   */
  static void store() {
    RoomStore store = RoomStore.inMemory();
    String frame = EnvelopeCodec.shared().encode(
        Envelope.chat("probe", TEXT).accepted("probe", 1, 1_767_225_600_000L, "q3Jx0cVb9LmT2wAe"));
    RoomStore.FrameRenderer renderer = (seq, epoch) -> frame;
    // Ids made up front: a new chat each time, and the id's own allocation not counted.
    String[] ids = new String[2 * CODEC_OPS];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = "id-" + i;
    }
    RoomStore.AppendCallback sink = new RoomStore.AppendCallback() {
      @Override
      public void appended(RoomStore.Appended result) {}

      @Override
      public void failed(Throwable error) {
        throw new IllegalStateException(error);
      }
    };
    int[] next = {0};
    perOp("append a new chat (memory store)", () -> append(store, ids[next[0]++], renderer, sink));
    // The newest chats, which the dedup memory (100,000 of them) still has.
    int[] again = {0};
    perOp("append a duplicate (memory store)",
        () -> append(store, ids[ids.length - 1 - again[0]++ % 50_000], renderer, sink));
    store.close();
  }

  /** Appends chat {@code id} as the server would (its draft, the server's history defaults). */
  private static Object append(RoomStore store, String id, RoomStore.FrameRenderer renderer,
      RoomStore.AppendCallback callback) {
    store.append(new RoomStore.Draft("probe", "probe", id, 1_767_225_600_000L,
        TetherServer.Builder.DEFAULT_HISTORY_PER_ROOM, TetherServer.Builder.DEFAULT_HISTORY_BYTES_PER_ROOM,
        TEXT.length(), renderer), callback);
    return callback;
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
    line(what.endsWith("(memory store)") ? "store" : "codec", what, bytes / (double) CODEC_OPS,
        sink == null ? "(null)" : "");
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
    // -Dprobe.only=raw or =envelopes runs one kind, for a profiler.
    String only = System.getProperty("probe.only", "");
    try (server) {
      if (!only.equals("envelopes")) {
        roundTrip(serverKind, "raw text echo", uri, false, TEXT);
        // A raw echo of as many chars as a chat envelope's frame: what the WebSocket layer costs alone.
        String asLong = "x".repeat(EnvelopeCodec.shared().withCounter(
            EnvelopeCodec.shared().encode(Envelope.chat("probe", TEXT)), 12_345).length());
        roundTrip(serverKind, "raw text echo, " + asLong.length() + " chars", uri, false, asLong);
      }
      if (!only.equals("raw")) {
        roundTrip(serverKind, "chat envelope + ack", uri, true, TEXT);
      }
    }
  }

  private static void roundTrip(String serverKind, String what, URI uri, boolean envelopes, String text)
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
        ? () -> client.send(Envelope.chat("probe", text)).whenComplete((a, e) -> {
            done.incrementAndGet();
            window.release();
          })
        : () -> client.send(text);
    run(window, one, done, ROUND_TRIPS / 2); // warm-up
    Map<Long, long[]> before = byThread();
    long fanOuts0 = fanOuts.get();
    long t0 = System.nanoTime();
    long sent = run(window, one, done, ROUND_TRIPS);
    long elapsed = System.nanoTime() - t0;
    Map<Long, long[]> after = byThread();
    long[] server = new long[2];
    long[] clientSide = new long[2];
    for (ThreadInfo info : THREADS.getThreadInfo(after.keySet().stream().mapToLong(Long::longValue).toArray())) {
      if (info == null) {
        continue;
      }
      long[] now = after.get(info.getThreadId());
      long[] then = before.getOrDefault(info.getThreadId(), new long[2]);
      String name = info.getThreadName();
      long[] group = name.startsWith("tether-listen") || name.startsWith("tether-server") ? server : clientSide;
      group[0] += now[0] - then[0];
      group[1] += now[1] - then[1];
    }
    String rate = String.format(Locale.ROOT, "%,.0f round trips/s", sent * 1e9 / elapsed);
    line(serverKind, what + ": client", clientSide[0] / (double) sent,
        String.format(Locale.ROOT, "%6.1f us CPU/op  %s", clientSide[1] / 1e3 / sent, rate));
    line(serverKind, what + ": server", server[0] / (double) sent,
        String.format(Locale.ROOT, "%6.1f us CPU/op", server[1] / 1e3 / sent)
        + (envelopes ? String.format(Locale.ROOT, "  (%.2f own chats delivered per ack)",
            (fanOuts.get() - fanOuts0) / (double) sent) : ""));
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

  /** Per live thread: bytes allocated and CPU nanoseconds used so far. */
  private static Map<Long, long[]> byThread() {
    long[] ids = THREADS.getAllThreadIds();
    long[] bytes = THREADS.getThreadAllocatedBytes(ids);
    Map<Long, long[]> out = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      long cpu = THREADS.getThreadCpuTime(ids[i]);
      if (bytes[i] >= 0 && cpu >= 0) {
        out.put(ids[i], new long[] {bytes[i], cpu});
      }
    }
    return out;
  }

  private static void line(String group, String what, double bytesPerOp, String note) {
    System.out.printf(Locale.ROOT, "%-6s %-44s %7.0f B/op %s%n", group, what, bytesPerOp, note);
  }
}

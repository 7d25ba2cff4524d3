package dev.tether.bench;

import dev.tether.api.ReadyState;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.ReconnectPolicy;
import dev.tether.client.TetherClient;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Session;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.glassfish.tyrus.client.ClientManager;
import org.glassfish.tyrus.client.ClientProperties;

/**
 * One workload in a child JVM, started by {@link Bench}. Prints {@code RESULT,...} lines on stdout
 * and progress on stderr. Arguments: {@code <workload> <client> <param> [server-uri]}.
 */
final class Workload {
  static final int MESSAGE_BYTES = 64;
  static final int WINDOW = 32;

  private Workload() {}

  public static void main(String[] args) throws Exception {
    String workload = args[0];
    String client = args[1];
    String param = args[2];
    URI uri = args.length > 3 ? URI.create(args[3]) : null;
    switch (workload) {
      case "throughput" -> throughput(client, uri, Integer.parseInt(param));
      case "latency" -> latency(client, uri, Integer.parseInt(param));
      case "connections" -> connections(client, uri, Integer.parseInt(param));
      case "storm" -> storm(client, Integer.parseInt(param));
      case "outbox" -> outbox(uri, Integer.parseInt(param));
      case "server" -> {
        if (client.startsWith("idle-")) {
          serverIdle(client.substring("idle-".length()), Integer.parseInt(param));
        } else {
          serverChats(client, param);
        }
      }
      default -> throw new IllegalArgumentException(workload);
    }
    System.out.flush();
    System.exit(0);
  }

  static void result(String workload, String client, Object param, int run, String metric,
      double value) {
    System.out.printf("RESULT,%s,%s,%s,%d,%s,%.3f%n", workload, client, param, run, metric, value);
  }

  // ---- throughput: one connection, window of `window` unanswered messages -----------------------

  static void throughput(String kind, URI uri, int window) throws Exception {
    String message = "x".repeat(MESSAGE_BYTES);
    Semaphore permits = new Semaphore(window);
    AtomicLong replies = new AtomicLong();
    EchoClient client = EchoClient.open(kind, uri, text -> {
      replies.incrementAndGet();
      permits.release();
    });
    AtomicLong sendErrors = new AtomicLong();
    Thread sender = new Thread(() -> {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          permits.acquire();
          client.send(message);
        }
      } catch (InterruptedException done) {
        // end of the workload
      } catch (Exception e) {
        sendErrors.incrementAndGet();
        System.err.println(kind + " send failed: " + e);
      }
    }, "bench-sender");
    sender.setDaemon(true);
    sender.start();
    Thread.sleep(Bench.WARMUP_MS);
    for (int run = 1; run <= Bench.RUNS; run++) {
      long n0 = replies.get();
      long t0 = System.nanoTime();
      Thread.sleep(Bench.RUN_MS);
      long n1 = replies.get();
      long t1 = System.nanoTime();
      double rate = (n1 - n0) * 1e9 / (t1 - t0);
      result("throughput", kind, window, run, "msgs_per_s", rate);
      System.err.printf("  throughput %-16s run %d: %,.0f msgs/s%n", kind, run, rate);
    }
    if (kind.equals("tether-envelope")) {
      result("throughput", kind, window, 0, "fan_outs_per_ack",
          EchoClient.FAN_OUTS.get() / (double) Math.max(1, replies.get()));
    }
    sender.interrupt();
    if (sendErrors.get() > 0) {
      result("throughput", kind, window, 0, "send_errors", sendErrors.get());
    }
  }

  // ---- latency: fixed rate, measured from the intended send time ---------------------------------

  static void latency(String kind, URI uri, int ratePerSecond) throws Exception {
    Recorder recorder = new Recorder(3);
    EchoClient client = EchoClient.open(kind, uri, text -> {
      long intended = Long.parseLong(text, 0, 19, 10);
      recorder.recordValue(Math.max(0, System.nanoTime() - intended));
    });
    String pad = "x".repeat(MESSAGE_BYTES - 19);
    long period = 1_000_000_000L / ratePerSecond;
    long totalMs = Bench.LATENCY_WARMUP_MS + (long) Bench.LATENCY_RUNS * Bench.LATENCY_RUN_MS;
    long count = totalMs * ratePerSecond / 1000;
    Thread sender = new Thread(() -> {
      long start = System.nanoTime() + 1_000_000;
      try {
        for (long i = 0; i < count; i++) {
          long intended = start + i * period;
          long wait;
          while ((wait = intended - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
          }
          // A send that is late is still timed from `intended`: coordinated omission is counted.
          client.send(String.format("%019d", intended) + pad);
        }
      } catch (Exception e) {
        System.err.println(kind + " send failed: " + e);
      }
    }, "bench-sender");
    sender.setDaemon(true);
    sender.start();
    Thread.sleep(Bench.LATENCY_WARMUP_MS);
    recorder.getIntervalHistogram(); // drop the warm-up
    for (int run = 1; run <= Bench.LATENCY_RUNS; run++) {
      Thread.sleep(Bench.LATENCY_RUN_MS);
      Histogram h = recorder.getIntervalHistogram();
      result("latency", kind, ratePerSecond, run, "p50_us", h.getValueAtPercentile(50) / 1e3);
      result("latency", kind, ratePerSecond, run, "p99_us", h.getValueAtPercentile(99) / 1e3);
      result("latency", kind, ratePerSecond, run, "p99.9_us", h.getValueAtPercentile(99.9) / 1e3);
      result("latency", kind, ratePerSecond, run, "max_us", h.getMaxValue() / 1e3);
      result("latency", kind, ratePerSecond, run, "count", h.getTotalCount());
      System.err.printf("  latency %-16s %5d/s run %d: p50 %.0f us, p99 %.0f us, p99.9 %.0f us (%d)%n",
          kind, ratePerSecond, run, h.getValueAtPercentile(50) / 1e3,
          h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getTotalCount());
    }
  }

  // ---- connections: N idle connections in this JVM ----------------------------------------------

  /** Opens idle connections of one kind; {@link #openBatch} returns once all of them are open. */
  interface Opener {
    void openBatch(int from, int count) throws Exception;
  }

  static void connections(String kind, URI uri, int n) throws Exception {
    List<Object> keep = new ArrayList<>();
    Opener opener = switch (kind) {
      case "tether" -> tetherOpener(uri, keep, null);
      case "tyrus-default" -> tyrusOpener(uri, keep, false);
      case "tyrus-shared" -> tyrusOpener(uri, keep, true);
      default -> throw new IllegalArgumentException(kind);
    };
    int warm = 10;
    opener.openBatch(0, warm); // loads classes, starts shared pools and containers
    Thread.sleep(500);
    long heap0 = usedHeapAfterGc();
    int threads0 = ManagementFactory.getThreadMXBean().getThreadCount();
    long t0 = System.nanoTime();
    int batch = 250;
    for (int i = 0; i < n; i += batch) {
      opener.openBatch(warm + i, Math.min(batch, n - i));
    }
    double openSeconds = (System.nanoTime() - t0) / 1e9;
    Thread.sleep(2000);
    long heap1 = usedHeapAfterGc();
    int threads1 = ManagementFactory.getThreadMXBean().getThreadCount();
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long w0 = System.nanoTime();
    Thread.sleep(Bench.IDLE_CPU_MS); // spans at least one heartbeat (10 s by default)
    double idleCpu = (os.getProcessCpuTime() - cpu0) * 100.0 / (System.nanoTime() - w0);
    int threads2 = ManagementFactory.getThreadMXBean().getThreadCount();
    long open = keep.stream().filter(Workload::isOpen).count();
    result("connections", kind, n, 1, "open_seconds", openSeconds);
    result("connections", kind, n, 1, "still_open", open - warm);
    result("connections", kind, n, 1, "threads_total", Math.max(threads1, threads2));
    result("connections", kind, n, 1, "threads_before", threads0);
    result("connections", kind, n, 1, "heap_bytes_per_conn", (heap1 - heap0) / (double) n);
    result("connections", kind, n, 1, "idle_cpu_percent_of_one_core", idleCpu);
    System.err.printf("  connections %-14s N=%d: %d threads (%d before), %.1f KiB/conn, idle CPU %.1f%%, "
            + "opened in %.1f s, %d open%n", kind, n, Math.max(threads1, threads2), threads0,
        (heap1 - heap0) / 1024.0 / n, idleCpu, openSeconds, open - warm);
  }

  private static boolean isOpen(Object o) {
    if (o instanceof TetherClient c) {
      return c.readyState() == ReadyState.OPEN;
    }
    return o instanceof Session s && s.isOpen();
  }

  static Opener tetherOpener(URI uri, List<Object> keep, ReconnectPolicy policy) {
    return (from, count) -> {
      CountDownLatch opened = new CountDownLatch(count);
      for (int i = 0; i < count; i++) {
        TetherClient.Builder b = TetherClient.builder(EchoClient.withUser(uri, "u" + (from + i)))
            .delegate(new SocketDelegate() {
              @Override
              public void onOpen(TetherSocket socket) {
                opened.countDown();
              }
            });
        if (policy != null) {
          b.reconnect(policy);
        }
        TetherClient c = b.build();
        c.open();
        keep.add(c);
      }
      if (!opened.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("only " + (count - opened.getCount()) + "/" + count
            + " opened in 120 s");
      }
    };
  }

  static Opener tyrusOpener(URI uri, List<Object> keep, boolean shared) {
    ExecutorService pool = Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, "bench-connect");
      t.setDaemon(true);
      return t;
    });
    // Shared: one ClientManager on the shared container for all, as its docs suggest.
    // Default: a new ClientManager per connection, each with its own Grizzly transport.
    ClientManager sharedManager = ClientManager.createClient();
    sharedManager.getProperties().put(ClientProperties.SHARED_CONTAINER, true);
    return (from, count) -> {
      ConcurrentLinkedQueue<Session> sessions = new ConcurrentLinkedQueue<>();
      CountDownLatch done = new CountDownLatch(count);
      AtomicInteger failed = new AtomicInteger();
      for (int i = 0; i < count; i++) {
        int id = from + i;
        pool.execute(() -> {
          try {
            ClientManager manager = shared ? sharedManager : ClientManager.createClient();
            sessions.add(manager.connectToServer(new Endpoint() {
              @Override
              public void onOpen(Session session, EndpointConfig config) {}
            }, ClientEndpointConfig.Builder.create().build(), EchoClient.withUser(uri, "t" + id)));
          } catch (Exception e) {
            if (failed.getAndIncrement() == 0) {
              System.err.println("tyrus connect failed: " + e);
            }
          } finally {
            done.countDown();
          }
        });
      }
      done.await();
      keep.addAll(sessions);
      if (failed.get() > 0) {
        throw new IllegalStateException(failed.get() + "/" + count + " tyrus connects failed");
      }
    };
  }

  static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  // ---- reconnect storm: N clients, server process killed and started again -----------------------

  static void storm(String jitter, int n) throws Exception {
    ReconnectPolicy policy = jitter.equals("0")
        ? ReconnectPolicy.defaults().withJitter(0) : ReconnectPolicy.defaults();
    try (ServerProcess server = ServerProcess.start()) {
      List<Object> keep = new ArrayList<>();
      ConcurrentLinkedQueue<Long> reopenedAt = new ConcurrentLinkedQueue<>();
      AtomicInteger phase = new AtomicInteger();
      CountDownLatch initial = new CountDownLatch(n);
      for (int i = 0; i < n; i++) {
        TetherClient c = TetherClient.builder(EchoClient.withUser(server.uri(), "s" + i))
            .reconnect(policy)
            .delegate(new SocketDelegate() {
              @Override
              public void onOpen(TetherSocket socket) {
                if (phase.get() == 0) {
                  initial.countDown();
                } else {
                  reopenedAt.add(System.nanoTime());
                }
              }
            }).build();
        c.open();
        keep.add(c);
        if (i % 250 == 249) {
          while (initial.getCount() > n - i - 1) {
            Thread.sleep(10);
          }
        }
      }
      if (!initial.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("storm: only " + (n - initial.getCount()) + " opened");
      }
      Thread.sleep(1000);
      phase.set(1);
      long killedAt = System.nanoTime();
      server.kill();
      server.launch();
      double serverBackSeconds = (System.nanoTime() - killedAt) / 1e9;
      long deadline = killedAt + TimeUnit.SECONDS.toNanos(Bench.STORM_TIMEOUT_S);
      while (reopenedAt.size() < n && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      List<Long> times = new ArrayList<>(reopenedAt);
      times.sort(null);
      double allOpen = times.size() < n ? Double.NaN : (times.get(n - 1) - killedAt) / 1e9;
      int peak = 0; // most opens within any 1 s window
      for (int lo = 0, hi = 0; hi < times.size(); hi++) {
        while (times.get(hi) - times.get(lo) >= 1_000_000_000L) {
          lo++;
        }
        peak = Math.max(peak, hi - lo + 1);
      }
      String name = "jitter-" + (jitter.equals("0") ? "0" : "0.5");
      result("storm", name, n, 1, "seconds_until_all_open", allOpen);
      result("storm", name, n, 1, "server_back_after_s", serverBackSeconds);
      result("storm", name, n, 1, "reopened", times.size());
      result("storm", name, n, 1, "peak_opens_per_s", peak);
      System.err.printf("  storm %s N=%d: all open after %.2f s (server back after %.2f s), "
          + "%d reopened, peak %d opens/s%n", name, n, allOpen, serverBackSeconds, times.size(), peak);
    }
  }

  // ---- outbox flush: messages queued before open(), then delivered --------------------------------

  static void outbox(URI uri, int n) throws Exception {
    String message = "x".repeat(MESSAGE_BYTES);
    for (int run = 1; run <= 3; run++) {
      CountDownLatch echoed = new CountDownLatch(n);
      TetherClient c = TetherClient.builder(EchoClient.withUser(uri, "o" + run))
          .outbox(n + 1, 256L * 1024 * 1024)
          .delegate(new SocketDelegate() {
            @Override
            public void onMessage(TetherSocket socket, String text) {
              echoed.countDown();
            }
          }).build();
      for (int i = 0; i < n; i++) {
        if (!c.send(message)) {
          throw new IllegalStateException("outbox refused message " + i);
        }
      }
      long heapQueued = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      AtomicLong peakHeap = new AtomicLong(heapQueued);
      Thread sampler = new Thread(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          peakHeap.accumulateAndGet(
              ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
          LockSupport.parkNanos(20_000_000);
        }
      });
      sampler.setDaemon(true);
      sampler.start();
      long t0 = System.nanoTime();
      c.open();
      boolean all = echoed.await(120, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - t0) / 1e9;
      sampler.interrupt();
      long got = n - echoed.getCount();
      result("outbox", "tether-raw", n, run, "msgs_per_s", got / seconds);
      result("outbox", "tether-raw", n, run, "delivered", got);
      result("outbox", "tether-raw", n, run, "peak_heap_mib", peakHeap.get() / 1048576.0);
      System.err.printf("  outbox run %d: %d/%d echoed in %.2f s = %,.0f msgs/s, peak heap %.0f MiB%s%n",
          run, got, n, seconds, got / seconds, peakHeap.get() / 1048576.0, all ? "" : " (TIMED OUT)");
      c.close();
      Thread.sleep(500);
      usedHeapAfterGc();
    }
  }

  // ---- server: chats/s through a TetherServer, and its heap per idle connection ------------------

  /**
   * {@code connections} raw Tyrus connections, each a member of its own room, each keeping
   * {@code window} chats unacked: the server's ack rate, with every chat also fanned out to its
   * sender. Same harness for every store; {@code param} is {@code CONNECTIONSxWINDOW}.
   */
  static void serverChats(String store, String param) throws Exception {
    int connections = Integer.parseInt(param.substring(0, param.indexOf('x')));
    int window = Integer.parseInt(param.substring(param.indexOf('x') + 1));
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("tether-bench-server");
    String spec = store.equals("memory") ? "memory" : "sqlite:" + dir.resolve("rooms.db");
    try (TetherServerProcess server = TetherServerProcess.start(spec)) {
      ClientManager manager = ClientManager.createClient();
      manager.getProperties().put(ClientProperties.SHARED_CONTAINER, true);
      String pad = "x".repeat(MESSAGE_BYTES);
      AtomicLong acks = new AtomicLong();
      List<Thread> senders = new ArrayList<>();
      for (int c = 0; c < connections; c++) {
        Semaphore permits = new Semaphore(window);
        CountDownLatch joined = new CountDownLatch(1);
        Session session = manager.connectToServer(new Endpoint() {
          @Override
          public void onOpen(Session session, EndpointConfig config) {
            session.setMaxIdleTimeout(-1);
            session.addMessageHandler(String.class, (jakarta.websocket.MessageHandler.Whole<String>) text -> {
              if (text.startsWith("{\"type\":\"ack\"")) {
                if (joined.getCount() > 0) {
                  joined.countDown();
                } else {
                  acks.incrementAndGet();
                  permits.release();
                }
              }
            });
          }
        }, ClientEndpointConfig.Builder.create().build(), EchoClient.withUser(server.uri(), "bench" + c));
        String room = "room" + c;
        session.getBasicRemote().sendText("{\"type\":\"join\",\"id\":\"j" + c + "\",\"room\":\"" + room + "\"}");
        if (!joined.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("join not acked");
        }
        var remote = session.getAsyncRemote();
        String prefix = "{\"type\":\"chat\",\"id\":\"c" + c + "-";
        String suffix = "\",\"room\":\"" + room + "\",\"body\":{\"text\":\"" + pad + "\"}}";
        Thread t = new Thread(() -> {
          try {
            for (long n = 0; !Thread.currentThread().isInterrupted(); n++) {
              permits.acquire();
              remote.sendText(prefix + n + suffix);
            }
          } catch (InterruptedException done) {
            // end of the workload
          }
        }, "bench-sender-" + c);
        t.setDaemon(true);
        senders.add(t);
      }
      senders.forEach(Thread::start);
      Thread.sleep(Bench.WARMUP_MS);
      for (int run = 1; run <= Bench.RUNS; run++) {
        long n0 = acks.get();
        long c0 = server.commits();
        long t0 = System.nanoTime();
        Thread.sleep(Bench.RUN_MS);
        long n1 = acks.get();
        long c1 = server.commits();
        long t1 = System.nanoTime();
        double rate = (n1 - n0) * 1e9 / (t1 - t0);
        result("server", store, param, run, "chats_per_s", rate);
        if (c0 >= 0) {
          result("server", store, param, run, "chats_per_commit", (n1 - n0) / (double) Math.max(1, c1 - c0));
        }
        System.err.printf("  server %-7s %s run %d: %,.0f chats/s%s%n", store, param, run, rate,
            c0 >= 0 ? String.format(" (%.0f chats per commit)", (n1 - n0) / (double) Math.max(1, c1 - c0)) : "");
      }
      senders.forEach(Thread::interrupt);
    }
  }

  /** {@code n} idle connections, each a member of one of 100 rooms: the server's heap per connection. */
  static void serverIdle(String store, int n) throws Exception {
    try (TetherServerProcess server = TetherServerProcess.start(store)) {
      ClientManager manager = ClientManager.createClient();
      manager.getProperties().put(ClientProperties.SHARED_CONTAINER, true);
      List<Session> keep = new ArrayList<>();
      int warm = 10;
      openIdle(manager, server.uri(), keep, 0, warm);
      long heap0 = server.heapAfterGc();
      for (int i = 0; i < n; i += 250) {
        openIdle(manager, server.uri(), keep, warm + i, Math.min(250, n - i));
      }
      Thread.sleep(1000);
      long heap1 = server.heapAfterGc();
      long open = keep.stream().filter(Session::isOpen).count() - warm;
      double perConnection = (heap1 - heap0) / (double) n;
      result("server", "idle-" + store, n, 1, "server_heap_bytes_per_conn", perConnection);
      result("server", "idle-" + store, n, 1, "still_open", open);
      System.err.printf("  server idle %s N=%d: %.1f KiB of server heap per connection, %d open%n",
          store, n, perConnection / 1024, open);
    }
  }

  private static void openIdle(ClientManager manager, URI uri, List<Session> keep, int from, int count)
      throws Exception {
    CountDownLatch joined = new CountDownLatch(count);
    for (int i = from; i < from + count; i++) {
      Session s = manager.connectToServer(new Endpoint() {
        @Override
        public void onOpen(Session session, EndpointConfig config) {
          session.addMessageHandler(String.class, (jakarta.websocket.MessageHandler.Whole<String>) text -> {
            if (text.startsWith("{\"type\":\"ack\"")) {
              joined.countDown();
            }
          });
        }
      }, ClientEndpointConfig.Builder.create().build(), EchoClient.withUser(uri, "idle" + i));
      s.getAsyncRemote().sendText("{\"type\":\"join\",\"id\":\"j" + i + "\",\"room\":\"idle" + (i % 100) + "\"}");
      keep.add(s);
    }
    if (!joined.await(120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("only " + (count - joined.getCount()) + "/" + count + " joined");
    }
  }
}

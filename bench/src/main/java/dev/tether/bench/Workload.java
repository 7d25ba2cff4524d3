package dev.tether.bench;

import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.TetherClient;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Session;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.glassfish.tyrus.client.ClientManager;
import org.glassfish.tyrus.client.ClientProperties;

/**
 * One workload in a child JVM, started by {@link Bench}. Prints {@code RESULT,...} lines on stdout
 * and progress on stderr. Arguments: {@code <workload> <client> <param> [server-uri]}.
 */
final class Workload {
  static final int MESSAGE_BYTES = 64;
  static final int WINDOW = 32;
  /** The message of the throughput workloads: 64 bytes of text. */
  static final String TEXT = "x".repeat(MESSAGE_BYTES);

  private Workload() {}

  public static void main(String[] args) throws Exception {
    String workload = args[0];
    String client = args[1];
    String param = args[2];
    URI uri = args.length > 3 ? URI.create(args[3]) : null;
    switch (workload) {
      case "throughput" -> throughput(client, uri, Integer.parseInt(param));
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
    System.out.printf(java.util.Locale.ROOT, "RESULT,%s,%s,%s,%d,%s,%.3f%n", workload, client, param, run, metric, value);
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

  // ---- connections: N idle connections in this JVM (Idle) ---------------------------------------

  static void connections(String kind, URI uri, int n) throws Exception {
    FdLimit.require(n + 1024L, "connections N=" + n);
    // Not closed after: the JVM exits (closing 10k Tyrus sessions at once only makes it log races).
    Idle.Result r = Idle.run(kind, uri, n, Bench.IDLE_CPU_MS, Bench.LOOPBACKS, false);
    result("connections", kind, n, 1, "open_seconds", r.openSeconds());
    result("connections", kind, n, 1, "still_open", r.stillOpen());
    result("connections", kind, n, 1, "threads_total", r.threads());
    result("connections", kind, n, 1, "threads_before", r.threadsBefore());
    result("connections", kind, n, 1, "heap_bytes_per_conn", r.heapBytesPerConnection());
    result("connections", kind, n, 1, "idle_cpu_percent_of_one_core", r.idleCpuPercent());
    System.err.printf("  connections %-14s N=%d: %d threads (%d before), %.1f KiB/conn, idle CPU %.1f%%, "
            + "opened in %.1f s, %d open%n", kind, n, r.threads(), r.threadsBefore(),
        r.heapBytesPerConnection() / 1024, r.idleCpuPercent(), r.openSeconds(), r.stillOpen());
  }

  static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  // ---- reconnect storm: the server refuses handshakes, then accepts at once (Storm) ----------------

  static void storm(String jitter, int n) throws Exception {
    Storm.Result r = Storm.run(Double.parseDouble(jitter), n, Bench.STORM_REFUSE_MS, Bench.STORM_TIMEOUT_S);
    String name = "jitter-" + jitter;
    result("storm", name, n, 1, "refused_for_s", r.refuseMs() / 1000.0);
    result("storm", name, n, 1, "seconds_until_all_open", r.secondsUntilAllOpen());
    result("storm", name, n, 1, "reopened", r.reopened());
    result("storm", name, n, 1, "scheduled", r.scheduled());
    result("storm", name, n, 1, "peak_scheduled_per_100ms", r.peakScheduledPer100ms());
    result("storm", name, n, 1, "attempts", r.attempts());
    result("storm", name, n, 1, "peak_attempts_per_100ms", r.peakAttemptsPer100ms());
    result("storm", name, n, 1, "handshakes", r.handshakes());
    result("storm", name, n, 1, "peak_handshakes_per_100ms", r.peakHandshakesPer100ms());
    result("storm", name, n, 1, "peak_handshakes_per_100ms_accepting", r.peakHandshakesPer100msAccepting());
    result("storm", name, n, 1, "peak_opens_per_100ms", r.peakOpensPer100ms());
    System.err.printf("  storm %s N=%d: all open %.2f s after the server accepted again, %d reopened; "
            + "%d scheduled (peak %d per 100 ms), %d attempts (peak %d per 100 ms), %d handshakes at the server (peak %d per 100 ms, %d once "
            + "accepting), peak %d opens per 100 ms%n", name, n, r.secondsUntilAllOpen(), r.reopened(),
        r.scheduled(), r.peakScheduledPer100ms(), r.attempts(), r.peakAttemptsPer100ms(), r.handshakes(), r.peakHandshakesPer100ms(),
        r.peakHandshakesPer100msAccepting(), r.peakOpensPer100ms());
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
   * {@code connections} raw Tyrus connections on protocol v2 ({@code tether.v2}: the ack carries the
   * chat, no copy to the sender), each a member of its own room, each keeping {@code window} chats
   * unacked: the server's ack rate. Same harness for every store; {@code param} is
   * {@code CONNECTIONSxWINDOW}.
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
        }, ClientEndpointConfig.Builder.create().preferredSubprotocols(List.of(dev.tether.api.WireRules.PROTOCOL_V2))
            .build(), EchoClient.withUser(server.uri(), "bench" + c));
        if (!dev.tether.api.WireRules.PROTOCOL_V2.equals(session.getNegotiatedSubprotocol())) {
          throw new IllegalStateException("the server did not accept " + dev.tether.api.WireRules.PROTOCOL_V2
              + ": got '" + session.getNegotiatedSubprotocol() + "'");
        }
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

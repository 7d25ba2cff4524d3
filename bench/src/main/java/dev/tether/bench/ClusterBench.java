package dev.tether.bench;

import dev.tether.stub.LocalRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.glassfish.tyrus.client.ClientManager;
import org.glassfish.tyrus.client.ClientProperties;

/**
 * The {@code cluster} benchmark: chats/s through 1 node on the in-memory store, 1 node on Redis
 * and 2 nodes on Redis (senders and receivers split across the nodes), with one harness in one
 * run, then end-to-end latency at a fixed rate through each; CPU time per chat of every process
 * (the benchmark's clients, each node, Redis) and Redis's own time per script, to show where the
 * time goes. Writes its section of BENCHMARKS.md (keeping the others) and prints its rows.
 * Usage: {@code java -jar bench/target/tether-bench.jar cluster}, from the repository root.
 */
final class ClusterBench {
  static final String HEADING = "## Cluster on Redis: chats across nodes";
  static final int ROOMS = Integer.getInteger("bench.clusterRooms", 8);
  static final int WINDOW = Integer.getInteger("bench.clusterWindow", 32);
  static final int RATE = Integer.getInteger("bench.clusterRate", 1000);

  /** One configuration of the benchmark. */
  private record Setup(String name, boolean redis, int nodes) {}

  private static final List<Setup> SETUPS = List.of(
      new Setup("1 node, `RoomStore.inMemory()`", false, 1),
      new Setup("1 node, `RoomStore.redis(..)`", true, 1),
      new Setup("2 nodes, `RoomStore.redis(..)`", true, 2));

  /** What one setup measured. */
  private record Result(Setup setup, List<Double> rates, double clientCpu, double nodeCpu, double redisCpu,
      double scriptMicros, double scriptsPerChat, Histogram latency) {}

  private ClusterBench() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(System.getProperty("bench.out", "."));
    if (!Files.isDirectory(root.resolve("bench"))) {
      throw new IllegalStateException("run from the repository root (no bench/ in " + root.toAbsolutePath() + ")");
    }
    long started = System.nanoTime();
    List<Result> results = new ArrayList<>();
    String redisVersion;
    try (LocalRedis redis = LocalRedis.start()) {
      redisVersion = redis.version();
      System.err.println("cluster: Redis " + redisVersion);
      for (int i = 0; i < SETUPS.size(); i++) {
        results.add(run(SETUPS.get(i), redis, "b" + i));
      }
    }
    double minutes = (System.nanoTime() - started) / 60e9;
    for (Result r : results) {
      for (int run = 0; run < r.rates().size(); run++) {
        System.out.printf(Locale.ROOT, "cluster,%s,%dx%d,%d,chats_per_s,%.3f%n", key(r.setup()), ROOMS, WINDOW,
            run + 1, r.rates().get(run));
      }
    }
    Path md = root.resolve("BENCHMARKS.md");
    String old = Files.exists(md) ? Files.readString(md) : "# Tether benchmarks\n";
    Files.writeString(md, splice(old, section(results, redisVersion, minutes)));
    System.err.printf("cluster done in %.1f min: BENCHMARKS.md (cluster section)%n", minutes);
  }

  private static String key(Setup s) {
    return s.nodes() + "-node-" + (s.redis() ? "redis" : "memory");
  }

  private static Result run(Setup setup, LocalRedis redis, String prefix) throws Exception {
    String store = setup.redis() ? redis.uri() + "?prefix=" + prefix : "memory";
    List<Node> nodes = new ArrayList<>();
    try (RedisClient admin = RedisClient.create(RedisURI.create(redis.uri().toString()));
        StatefulRedisConnection<String, String> stats = admin.connect()) {
      for (int i = 0; i < setup.nodes(); i++) {
        nodes.add(Node.start(store));
      }
      ClientManager manager = ClientManager.createClient();
      manager.getProperties().put(ClientProperties.SHARED_CONTAINER, true);
      Throughput t = new Throughput(manager, nodes, prefix);
      t.start();
      ServerProcess.sleep(Bench.WARMUP_MS);
      List<Double> rates = new ArrayList<>();
      double clientCpu = 0;
      double nodeCpu = 0;
      double redisCpu = 0;
      long chats = 0;
      stats.sync().configResetstat();
      for (int run = 1; run <= Bench.RUNS; run++) {
        long d0 = t.delivered.get();
        long c0 = cpu(ProcessHandle.current().pid());
        long n0 = nodes.stream().mapToLong(n -> cpu(n.pid())).sum();
        long r0 = cpu(redis.pid());
        long t0 = System.nanoTime();
        ServerProcess.sleep(Bench.RUN_MS);
        long d1 = t.delivered.get();
        long t1 = System.nanoTime();
        clientCpu += cpu(ProcessHandle.current().pid()) - c0;
        nodeCpu += nodes.stream().mapToLong(n -> cpu(n.pid())).sum() - n0;
        redisCpu += cpu(redis.pid()) - r0;
        chats += d1 - d0;
        double rate = (d1 - d0) * 1e9 / (t1 - t0);
        rates.add(rate);
        System.err.printf("  cluster %s run %d: %,.0f chats/s%n", setup.name(), run, rate);
      }
      double[] script = scriptStats(stats.sync().info("commandstats"));
      t.stop();
      Histogram latency = latency(manager, nodes, prefix);
      System.err.printf("  cluster %s latency at %d/s: p50 %.2f ms, p99 %.2f ms%n", setup.name(), RATE,
          latency.getValueAtPercentile(50) / 1e6, latency.getValueAtPercentile(99) / 1e6);
      return new Result(setup, rates, clientCpu / 1e3 / chats, nodeCpu / 1e3 / chats, redisCpu / 1e3 / chats,
          script[1], script[0] / Math.max(1, chats), latency);
    } finally {
      nodes.forEach(Node::close);
    }
  }

  /** Total CPU time of a process so far, in nanoseconds (0 if the OS does not say). */
  private static long cpu(long pid) {
    return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
  }

  /** {calls, microseconds per call} of EVALSHA and EVAL together, from INFO commandstats. */
  private static double[] scriptStats(String info) {
    double calls = 0;
    double usec = 0;
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
        for (String field : line.substring(line.indexOf(':') + 1).split(",")) {
          String[] kv = field.split("=");
          if (kv[0].equals("calls")) {
            calls += Double.parseDouble(kv[1]);
          } else if (kv[0].equals("usec")) {
            usec += Double.parseDouble(kv[1]);
          }
        }
      }
    }
    return new double[] {calls, calls == 0 ? 0 : usec / calls};
  }

  /**
   * {@link #ROOMS} rooms, each with a sender keeping {@link #WINDOW} chats unacked and a receiver;
   * with two nodes a room's sender is on one and its receiver on the other, half the rooms each way.
   */
  private static final class Throughput {
    final AtomicLong delivered = new AtomicLong();
    private final List<Thread> senders = new ArrayList<>();
    private final List<Session> sessions = new ArrayList<>();

    Throughput(ClientManager manager, List<Node> nodes, String prefix) throws Exception {
      String pad = "x".repeat(Workload.MESSAGE_BYTES);
      for (int r = 0; r < ROOMS; r++) {
        String room = prefix + "-room" + r;
        URI senderNode = nodes.get(r % nodes.size()).uri();
        URI receiverNode = nodes.get((r + 1) % nodes.size()).uri();
        sessions.add(join(manager, receiverNode, "receiver" + r, room, text -> {
          if (text.startsWith("{\"type\":\"chat\"")) {
            delivered.incrementAndGet();
          }
        }));
        Semaphore window = new Semaphore(WINDOW);
        Session sender = join(manager, senderNode, "sender" + r, room, text -> {
          if (text.startsWith("{\"type\":\"ack\"")) {
            window.release();
          }
        });
        sessions.add(sender);
        String head = "{\"type\":\"chat\",\"id\":\"" + room + "-";
        String tail = "\",\"room\":\"" + room + "\",\"body\":{\"text\":\"" + pad + "\"}}";
        var remote = sender.getAsyncRemote();
        Thread t = new Thread(() -> {
          try {
            for (long n = 0; !Thread.currentThread().isInterrupted(); n++) {
              window.acquire();
              remote.sendText(head + n + tail);
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

    void stop() throws InterruptedException {
      senders.forEach(Thread::interrupt);
      for (Thread t : senders) {
        t.join(5_000);
      }
      for (Session s : sessions) {
        try {
          s.close();
        } catch (IOException ignored) {
          // going anyway
        }
      }
    }
  }

  /** Latency at {@link #RATE} chats/s, from the time each chat was due to be sent to its receipt. */
  private static Histogram latency(ClientManager manager, List<Node> nodes, String prefix) throws Exception {
    String room = prefix + "-latency";
    Recorder recorder = new Recorder(3);
    Session receiver = join(manager, nodes.get(nodes.size() - 1).uri(), "lat-receiver", room, text -> {
      int at = text.indexOf("\"text\":\"t");
      if (text.startsWith("{\"type\":\"chat\"") && at > 0) {
        long due = Long.parseLong(text, at + 9, text.indexOf('"', at + 9), 10);
        recorder.recordValue(Math.max(0, System.nanoTime() - due));
      }
    });
    Session sender = join(manager, nodes.get(0).uri(), "lat-sender", room, text -> { });
    var remote = sender.getAsyncRemote();
    long interval = 1_000_000_000L / RATE;
    long start = System.nanoTime();
    long warmEnd = start + TimeUnit.MILLISECONDS.toNanos(Bench.LATENCY_WARMUP_MS);
    long end = warmEnd + TimeUnit.MILLISECONDS.toNanos(Bench.LATENCY_RUN_MS * Bench.LATENCY_RUNS);
    Histogram total = null;
    for (long n = 0; ; n++) {
      long due = start + n * interval;
      if (due >= end) {
        break;
      }
      for (long now; (now = System.nanoTime()) < due; ) {
        LockSupport.parkNanos(due - now);
      }
      if (total == null && due >= warmEnd) {
        recorder.getIntervalHistogram(); // drop the warm-up
        total = new Histogram(3);
      }
      remote.sendText("{\"type\":\"chat\",\"id\":\"" + room + "-" + n + "\",\"room\":\"" + room
          + "\",\"body\":{\"text\":\"t" + due + "\"}}");
    }
    ServerProcess.sleep(500); // the last chats arrive
    total.add(recorder.getIntervalHistogram());
    receiver.close();
    sender.close();
    return total;
  }

  private interface Texts {
    void text(String text);
  }

  /** A raw Tyrus connection as {@code user}, joined to {@code room}, handing every text to {@code texts}. */
  private static Session join(ClientManager manager, URI node, String user, String room, Texts texts)
      throws Exception {
    CountDownLatch joined = new CountDownLatch(1);
    Session session = manager.connectToServer(new Endpoint() {
      @Override
      public void onOpen(Session session, EndpointConfig config) {
        session.setMaxIdleTimeout(-1);
        session.addMessageHandler(String.class, (MessageHandler.Whole<String>) text -> {
          if (joined.getCount() > 0 && text.startsWith("{\"type\":\"ack\"")) {
            joined.countDown();
          } else {
            texts.text(text);
          }
        });
      }
    }, ClientEndpointConfig.Builder.create().build(), EchoClient.withUser(node, user));
    session.getBasicRemote().sendText("{\"type\":\"join\",\"id\":\"j-" + user + "\",\"room\":\"" + room + "\"}");
    if (!joined.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(user + ": join not acked");
    }
    return session;
  }

  /** A {@link ClusterNode} in its own JVM. */
  private record Node(Process process, URI uri) {
    static Node start(String store) throws IOException {
      List<String> command = new ArrayList<>(List.of(ServerProcess.javaBinary(), "-Xmx1g", "-XX:+UseParallelGC",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=error"));
      String flags = System.getProperty("bench.clusterNodeFlags", "").strip(); // e.g. a profiler's
      if (!flags.isEmpty()) {
        command.addAll(List.of(flags.split("\\s+")));
      }
      command.addAll(List.of("-cp", ServerProcess.classPath(), ClusterNode.class.getName(), store));
      Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith("listening ")) {
          return new Node(p, URI.create(line.substring("listening ".length())));
        }
        System.err.println("  node: " + line); // a profiler's banner, say
      }
      p.destroyForcibly();
      throw new IllegalStateException("node ended before listening");
    }

    long pid() {
      return process.pid();
    }

    void close() {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length == 0 ? 0 : v[v.length / 2];
  }

  private static String section(List<Result> results, String redisVersion, double minutes) {
    StringBuilder md = new StringBuilder(HEADING).append("\n\n");
    md.append(String.format(Locale.ROOT, "Generated by `java -jar bench/target/tether-bench.jar cluster` (%.1f min;"
        + " %s). One Redis (%s, no persistence: `save \"\"`, `appendonly no`) started by the benchmark, nodes"
        + " in JVMs of their own (-Xmx1g -XX:+UseParallelGC; defaults except no rate limit), and one client JVM"
        + " with raw Tyrus connections, all on the same 2 cores. Throughput: %d rooms, each with a sender"
        + " keeping %d chats (64-byte text) unacked and a receiver; with 2 nodes each room's sender is on one"
        + " node and its receiver on the other, half the rooms each way. Chats/s = chats received by the"
        + " receivers per second (every chat also goes back to its sender). Warm-up %d ms, then %d runs of"
        + " %d ms. CPU per chat = each process's CPU time over the runs / chats received.%n%n",
        minutes, new java.util.Date(), redisVersion.replaceAll(".*v=([0-9.]+).*", "$1"), ROOMS, WINDOW,
        Bench.WARMUP_MS, Bench.RUNS, Bench.RUN_MS));
    md.append("| setup | median chats/s | min – max | × 1 node in memory | CPU µs/chat: clients | nodes | Redis"
        + " | Redis µs per script | scripts per chat |\n");
    md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    double base = median(results.get(0).rates());
    for (Result r : results) {
      double min = r.rates().stream().mapToDouble(Double::doubleValue).min().orElse(0);
      double max = r.rates().stream().mapToDouble(Double::doubleValue).max().orElse(0);
      md.append(String.format(Locale.ROOT, "| %s | %,.0f | %,.0f – %,.0f | %.2f | %.1f | %.1f | %s | %s | %s |%n",
          r.setup().name(), median(r.rates()), min, max, median(r.rates()) / base, r.clientCpu(), r.nodeCpu(),
          r.setup().redis() ? String.format(Locale.ROOT, "%.1f", r.redisCpu()) : "–",
          r.setup().redis() ? String.format(Locale.ROOT, "%.1f", r.scriptMicros()) : "–",
          r.setup().redis() ? String.format(Locale.ROOT, "%.2f", r.scriptsPerChat()) : "–"));
    }
    md.append(String.format(Locale.ROOT, "%nEnd-to-end latency at %,d chats/s, one room, sender on the first node and"
        + " receiver on the last (with 2 nodes: across nodes), from the time each chat was due to be sent"
        + " (coordinated-omission safe) to its receipt; warm-up %d ms, then %d × %d ms:%n%n", RATE,
        Bench.LATENCY_WARMUP_MS, Bench.LATENCY_RUNS, Bench.LATENCY_RUN_MS));
    md.append("| setup | p50 | p90 | p99 | p99.9 | max |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (Result r : results) {
      Histogram h = r.latency();
      md.append(String.format(Locale.ROOT, "| %s | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms |%n",
          r.setup().name(), h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6,
          h.getValueAtPercentile(99) / 1e6, h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6));
    }
    md.append('\n');
    return md.toString();
  }

  /** {@code markdown} with the cluster section replaced, or added before the targets. */
  static String splice(String markdown, String section) {
    int at = markdown.indexOf(HEADING);
    if (at >= 0) {
      int end = markdown.indexOf("\n## ", at + HEADING.length());
      return markdown.substring(0, at) + section + (end < 0 ? "" : markdown.substring(end + 1));
    }
    int targets = markdown.indexOf("## Targets");
    return targets < 0 ? markdown + "\n" + section : markdown.substring(0, targets) + section + markdown.substring(targets);
  }

  /** The cluster section of {@code markdown}, or null: a full run of {@link Bench} keeps it. */
  static String section(String markdown) {
    int at = markdown.indexOf(HEADING);
    if (at < 0) {
      return null;
    }
    int end = markdown.indexOf("\n## ", at + HEADING.length());
    return end < 0 ? markdown.substring(at) : markdown.substring(at, end + 1);
  }
}

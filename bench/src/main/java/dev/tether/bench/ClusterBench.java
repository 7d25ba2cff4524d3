package dev.tether.bench;

import dev.tether.stub.LocalRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.glassfish.tyrus.client.ClientManager;
import org.glassfish.tyrus.client.ClientProperties;

/**
 * The {@code cluster} benchmark: chats/s through 1 node on the in-memory store, 1 node on Redis
 * and 2 nodes on Redis (senders and receivers split across the nodes), with one harness
 * ({@link ClusterLoad}) in one run, then end-to-end latency at a fixed rate through each; CPU time
 * per chat of every process (the benchmark's own JVM, each node, Redis) and Redis's own time per
 * script, to show where the time goes. Writes its section of BENCHMARKS.md (keeping the others)
 * and prints its rows. Usage: {@code java -jar bench/target/tether-bench.jar cluster}, from the
 * repository root; {@code -Dbench.clusterNodeFlags="..."} adds JVM flags to the nodes, {@code {node}}
 * in them replaced by the node's number (a profiler: {@code
 * -XX:StartFlightRecording=filename=node-{node}.jfr,settings=profile}).
 */
final class ClusterBench {
  static final String HEADING = "## Cluster on Redis: chats across nodes";
  /** Written by hand after a run, appended to the generated section: where the time goes. */
  static final String ANALYSIS = "bench/CLUSTER-ANALYSIS.md";

  /** How much to measure. */
  record Settings(int rooms, int window, int rate, long warmupMs, int runs, long runMs, long latencyWarmupMs,
      long latencyRunMs) {
    static Settings fromProperties() {
      return new Settings(Integer.getInteger("bench.clusterRooms", 8), Integer.getInteger("bench.clusterWindow", 32),
          Integer.getInteger("bench.clusterRate", 1000), Bench.WARMUP_MS, Bench.RUNS, Bench.RUN_MS,
          Bench.LATENCY_WARMUP_MS, Bench.LATENCY_RUNS * Bench.LATENCY_RUN_MS);
    }
  }

  /** One configuration of the benchmark. */
  record Setup(String name, boolean redis, int nodes) {
    String key() {
      return nodes + "-node-" + (redis ? "redis" : "memory");
    }
  }

  static final List<Setup> SETUPS = List.of(
      new Setup("1 node, `RoomStore.inMemory()`", false, 1),
      new Setup("1 node, `RoomStore.redis(..)`", true, 1),
      new Setup("2 nodes, `RoomStore.redis(..)`", true, 2));

  /**
   * What one setup measured; CPU in µs per chat received, over the runs.
   *
   * @param scriptMicros Redis's own time per EVALSHA/EVAL call (INFO commandstats)
   * @param scriptsPerChat script calls per chat received
   */
  record Result(Setup setup, List<Double> rates, double benchCpu, double nodeCpu, double redisCpu,
      double scriptMicros, double scriptsPerChat, Histogram latency) {
    double median() {
      double[] v = rates.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      return v.length == 0 ? 0 : v[v.length / 2];
    }
  }

  private ClusterBench() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(System.getProperty("bench.out", "."));
    if (!Files.isDirectory(root.resolve("bench"))) {
      throw new IllegalStateException("run from the repository root (no bench/ in " + root.toAbsolutePath() + ")");
    }
    Settings settings = Settings.fromProperties();
    long started = System.nanoTime();
    List<Result> results;
    String redisVersion;
    try (LocalRedis redis = LocalRedis.start()) {
      redisVersion = redis.version();
      System.err.println("cluster: " + redisVersion);
      // -Dbench.clusterSetups=2-node-redis runs only that one (to profile it); the section needs all.
      String only = System.getProperty("bench.clusterSetups");
      results = measure(settings, redis, only == null ? SETUPS
          : SETUPS.stream().filter(s -> List.of(only.split(",")).contains(s.key())).toList());
    }
    double minutes = (System.nanoTime() - started) / 60e9;
    for (Result r : results) {
      for (int run = 0; run < r.rates().size(); run++) {
        System.out.printf(Locale.ROOT, "cluster,%s,%dx%d,%d,chats_per_s,%.3f%n", r.setup().key(), settings.rooms(),
            settings.window(), run + 1, r.rates().get(run));
      }
    }
    if (results.size() != SETUPS.size()) {
      System.err.println("cluster: not every setup ran; BENCHMARKS.md left as it was");
      return;
    }
    Path md = root.resolve("BENCHMARKS.md");
    String old = Files.exists(md) ? Files.readString(md) : "# Tether benchmarks\n";
    String analysis = Files.exists(root.resolve(ANALYSIS)) ? Files.readString(root.resolve(ANALYSIS)) : "";
    Files.writeString(md, splice(old, section(results, settings, redisVersion, minutes, Instant.now()) + analysis));
    System.err.printf("cluster done in %.1f min: BENCHMARKS.md (cluster section)%n", minutes);
  }

  /** Every setup in turn, each on its own key prefix in {@code redis}. */
  static List<Result> measure(Settings settings, LocalRedis redis) throws Exception {
    return measure(settings, redis, SETUPS);
  }

  /** {@code setups} in turn, each on its own key prefix in {@code redis}. */
  static List<Result> measure(Settings settings, LocalRedis redis, List<Setup> setups) throws Exception {
    List<Result> results = new ArrayList<>();
    for (int i = 0; i < setups.size(); i++) {
      results.add(run(setups.get(i), settings, redis, "b" + i + "x" + System.nanoTime() % 100_000));
    }
    return results;
  }

  private static Result run(Setup setup, Settings s, LocalRedis redis, String prefix) throws Exception {
    // A command timeout of 10 s, not the default 2 s: on a loaded shared machine Redis or a node can
    // stall that long, and a chat that times out closes its sender (the figures would be void).
    String store = setup.redis() ? redis.uri() + "?prefix=" + prefix + "&timeout=10s" : "memory";
    List<Node> nodes = new ArrayList<>();
    ClientManager manager = ClientManager.createClient();
    manager.getProperties().put(ClientProperties.SHARED_CONTAINER, true);
    try (RedisClient admin = RedisClient.create(RedisURI.create(redis.uri().toString()));
        StatefulRedisConnection<String, String> stats = admin.connect()) {
      for (int i = 0; i < setup.nodes(); i++) {
        nodes.add(Node.start(store));
      }
      List<URI> uris = nodes.stream().map(Node::uri).toList();
      List<Double> rates = new ArrayList<>();
      long benchCpu = 0;
      long nodeCpu = 0;
      long redisCpu = 0;
      long chats = 0;
      double[] script;
      try (ClusterLoad.Throughput t = new ClusterLoad.Throughput(manager, uris, prefix, s.rooms(), s.window())) {
        t.start();
        ServerProcess.sleep(s.warmupMs());
        stats.sync().configResetstat();
        for (int run = 1; run <= s.runs(); run++) {
          long d0 = t.delivered.get();
          long c0 = cpu(ProcessHandle.current().pid());
          long n0 = nodes.stream().mapToLong(n -> cpu(n.pid())).sum();
          long r0 = cpu(redis.pid());
          long t0 = System.nanoTime();
          ServerProcess.sleep(s.runMs());
          long d1 = t.delivered.get();
          long t1 = System.nanoTime();
          benchCpu += cpu(ProcessHandle.current().pid()) - c0;
          nodeCpu += nodes.stream().mapToLong(n -> cpu(n.pid())).sum() - n0;
          redisCpu += cpu(redis.pid()) - r0;
          chats += d1 - d0;
          double rate = (d1 - d0) * 1e9 / (t1 - t0);
          rates.add(rate);
          System.err.printf(Locale.ROOT, "  cluster %s run %d: %,.0f chats/s%n", setup.name(), run, rate);
        }
        script = scriptStats(stats.sync().info("commandstats"));
        ClusterLoad.checkNoneClosedByNodes();
      }
      Histogram latency = ClusterLoad.latency(manager, uris, prefix, s.rate(), s.latencyWarmupMs(), s.latencyRunMs());
      ClusterLoad.checkNoneClosedByNodes();
      System.err.printf(Locale.ROOT, "  cluster %s latency at %d/s: p50 %.2f ms, p99 %.2f ms%n", setup.name(), s.rate(),
          latency.getValueAtPercentile(50) / 1e6, latency.getValueAtPercentile(99) / 1e6);
      double per = Math.max(1, chats) * 1e3;
      return new Result(setup, rates, benchCpu / per, nodeCpu / per, redisCpu / per, script[1],
          script[0] / Math.max(1, chats), latency);
    } finally {
      nodes.forEach(Node::close);
      manager.shutdown();
    }
  }

  /** Total CPU time of a process so far, in nanoseconds (0 if the OS does not say). */
  private static long cpu(long pid) {
    return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
  }

  /** {calls, microseconds per call} of EVALSHA and EVAL together, from INFO commandstats. */
  static double[] scriptStats(String info) {
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

  /** A {@link ClusterNode} in its own JVM. */
  private record Node(Process process, URI uri) {
    private static final java.util.concurrent.atomic.AtomicInteger STARTED = new java.util.concurrent.atomic.AtomicInteger();

    static Node start(String store) throws IOException {
      List<String> command = new ArrayList<>(List.of(ServerProcess.javaBinary(), "-Xmx1g", "-XX:+UseParallelGC",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=error"));
      String flags = System.getProperty("bench.clusterNodeFlags", "").strip()
          .replace("{node}", Integer.toString(STARTED.incrementAndGet()));
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
      throw new IllegalStateException("node ended before listening, exit " + p.exitValue());
    }

    long pid() {
      return process.pid();
    }

    /** Ends the node's stdin, which closes its server; kills it if it is not gone within 10 s. */
    void close() {
      try {
        process.getOutputStream().close();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (IOException e) {
        process.destroyForcibly();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static String section(List<Result> results, Settings s, String redisVersion, double minutes, Instant when) {
    StringBuilder md = new StringBuilder(HEADING).append("\n\n");
    md.append(String.format(Locale.ROOT, "Generated by `java -jar bench/target/tether-bench.jar cluster` (%.1f min;"
        + " %s) on a shared, loaded 2-core machine (other builds ran meanwhile: compare rows of one run, not runs)."
        + " One Redis (%s, no persistence: `save \"\"`, `appendonly no`) started by the benchmark, nodes in JVMs"
        + " of their own (-Xmx1g -XX:+UseParallelGC; defaults except no rate limit and a Redis command timeout"
        + " of 10 s, not 2 s, since on this machine a stall of 2 s happens and would close a sender), and one"
        + " benchmark JVM with"
        + " raw Tyrus connections speaking the protocol as a `TetherClient` does on the wire (join, then chats"
        + " with the counter `n`), all on the same 2 cores. Throughput: %d rooms, each with a sender keeping %d"
        + " chats (64-byte text) unacked and a receiver; with 2 nodes each room's sender is on one node and its"
        + " receiver on the other, half the rooms each way. Chats/s = chats received by the receivers per second"
        + " (every chat also goes back to its sender). Warm-up %d ms, then %d runs of %d ms. CPU per chat ="
        + " each process's CPU time over the runs / chats received.%n%n",
        minutes, when, redisVersion.replaceAll(".*?([0-9]+\\.[0-9]+\\.[0-9]+).*", "$1"), s.rooms(), s.window(),
        s.warmupMs(), s.runs(), s.runMs()));
    md.append("| setup | median chats/s | min – max | × 1 node in memory | CPU µs/chat: bench JVM | nodes | Redis"
        + " | Redis µs per script | scripts per chat |\n");
    md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    double base = results.get(0).median();
    for (Result r : results) {
      double min = r.rates().stream().mapToDouble(Double::doubleValue).min().orElse(0);
      double max = r.rates().stream().mapToDouble(Double::doubleValue).max().orElse(0);
      boolean redis = r.setup().redis();
      md.append(String.format(Locale.ROOT, "| %s | %,.0f | %,.0f – %,.0f | %.2f | %.1f | %.1f | %s | %s | %s |%n",
          r.setup().name(), r.median(), min, max, r.median() / base, r.benchCpu(), r.nodeCpu(),
          redis ? String.format(Locale.ROOT, "%.1f", r.redisCpu()) : "–",
          redis ? String.format(Locale.ROOT, "%.1f", r.scriptMicros()) : "–",
          redis ? String.format(Locale.ROOT, "%.2f", r.scriptsPerChat()) : "–"));
    }
    md.append(String.format(Locale.ROOT, "%nEnd-to-end latency at %,d chats/s, one room, sender on the first node and"
        + " receiver on the last (with 2 nodes: across nodes), from the time each chat was due to be sent"
        + " (coordinated-omission safe) to its receipt; warm-up %d ms, then %d ms:%n%n", s.rate(),
        s.latencyWarmupMs(), s.latencyRunMs()));
    md.append("| setup | chats | p50 | p90 | p99 | p99.9 | max |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (Result r : results) {
      Histogram h = r.latency();
      md.append(String.format(Locale.ROOT, "| %s | %,d | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms |%n",
          r.setup().name(), h.getTotalCount(), h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6,
          h.getValueAtPercentile(99) / 1e6, h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6));
    }
    md.append('\n');
    return md.toString();
  }

  /** {@code markdown} with the cluster section replaced, or added before the targets (or at the end). */
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

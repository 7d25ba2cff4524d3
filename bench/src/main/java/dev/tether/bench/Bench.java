package dev.tether.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs every workload and writes {@code BENCHMARKS.md} and {@code bench/results/results.csv} under
 * the current directory (the repo root). Usage: {@code java -jar bench/target/tether-bench.jar
 * [workload...]}, workloads {@code throughput compare latency connections storm outbox server
 * deflate} (default: all). {@code throughput}, {@code connections} and {@code outbox} run each
 * client kind in a child JVM against a {@code StubServer} in another JVM, one after the other;
 * {@code compare} (Tether against Paho on Mosquitto) and {@code latency} keep every kind up at once
 * and measure them in interleaved rounds ({@link Rounds}); {@code storm} and {@code server} start
 * their own server processes. {@code server} alone replaces only its own section of BENCHMARKS.md
 * and its rows of the CSV, {@code deflate} alone only its section, from {@link DeflateBench}, and
 * {@code bench/results/deflate.csv}. Timings and sizes are system properties ({@code
 * -Dbench.runs=5}, {@code -Dbench.connections=10000}, ...) so a quick smoke run can shorten them.
 * {@code tether-bench --report} renders BENCHMARKS.md again from the CSV; {@code tether-bench soak
 * [options]} runs the chaos soak instead ({@link Soak}; {@code soak --help} lists its options).
 */
public final class Bench {
  static final int RUNS = Integer.getInteger("bench.runs", 5);
  static final long WARMUP_MS = Long.getLong("bench.warmupMs", 10000);
  static final long RUN_MS = Long.getLong("bench.runMs", 2000);
  static final int LATENCY_RUNS = Integer.getInteger("bench.latencyRuns", 5);
  static final long LATENCY_WARMUP_MS = Long.getLong("bench.latencyWarmupMs", 8000);
  static final long LATENCY_RUN_MS = Long.getLong("bench.latencyRunMs", 3000);
  static final long IDLE_CPU_MS = Long.getLong("bench.idleCpuMs", 11000);
  static final long STORM_TIMEOUT_S = Long.getLong("bench.stormTimeoutS", 90);
  static final String CONNECTIONS = System.getProperty("bench.connections", "10000");
  /** Loopback addresses the idle connections and the storm spread over (127.0.0.1 ...). */
  static final int LOOPBACKS = Integer.getInteger("bench.loopbacks", 4);
  static final int STORM_N = Integer.getInteger("bench.stormN", 2000);
  static final long STORM_REFUSE_MS = Long.getLong("bench.stormRefuseMs", 5000);
  static final int OUTBOX_N = Integer.getInteger("bench.outboxN", 100_000);

  static final int SERVER_IDLE_N = Integer.getInteger("bench.serverIdleN", 5000);
  static final String SERVER_LOAD = System.getProperty("bench.serverLoad", "8x32");

  /** The open-file limit asked for every child JVM (as root it is granted; see {@link FdLimit}). */
  static final int FD_LIMIT = 65536;

  static final List<String> ALL = List.of("throughput", "compare", "latency", "connections", "storm", "outbox",
      "server", "deflate");

  /**
   * The latency workload's kinds per rate: every kind at 1,000 msgs/s, raw Tyrus and Tether raw at
   * 10,000. {@code -Dbench.latencyKinds=tyrus,tether-raw} keeps only those kinds (at every rate),
   * {@code -Dbench.latencyRates=1000} only those rates: for a quick look at a few kinds.
   */
  static Map<Integer, List<String>> latencyKinds() {
    return latencyKinds(System.getProperty("bench.latencyKinds"), System.getProperty("bench.latencyRates"));
  }

  /** {@link #latencyKinds()} for the given property values (null: all). */
  static Map<Integer, List<String>> latencyKinds(String onlyKinds, String onlyRates) {
    Map<Integer, List<String>> kinds = new LinkedHashMap<>();
    kinds.put(1000, List.of(EchoClient.KINDS));
    kinds.put(10000, List.of("tyrus", "tether-raw"));
    if (onlyKinds != null) {
      List<String> keep = Arrays.stream(onlyKinds.split(",")).map(String::trim).toList();
      for (String k : keep) {
        if (!Arrays.asList(EchoClient.KINDS).contains(k)) {
          throw new IllegalArgumentException("bench.latencyKinds: unknown kind '" + k + "', expected some of "
              + String.join(",", EchoClient.KINDS));
        }
      }
      kinds.replaceAll((rate, list) -> list.stream().filter(keep::contains).toList());
    }
    if (onlyRates != null) {
      List<Integer> keep = Arrays.stream(onlyRates.split(",")).map(String::trim).map(Integer::valueOf).toList();
      kinds.keySet().retainAll(keep);
    }
    kinds.values().removeIf(List::isEmpty);
    if (kinds.isEmpty()) {
      throw new IllegalArgumentException("bench.latencyKinds=" + onlyKinds + " and bench.latencyRates=" + onlyRates
          + " leave no kind at any rate (rates: 1000 for every kind, 10000 for tyrus and tether-raw)");
    }
    return kinds;
  }

  private final List<String[]> rows = new ArrayList<>();
  private final Path root = Path.of(System.getProperty("bench.out", "."));

  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("cluster")) {
      ClusterBench.main(args); // not in ALL: it runs its own Redis and nodes, and splices its section
      return;
    }
    if (args.length > 0 && args[0].equals("soak")) {
      System.exit(SoakOptions.main(Arrays.copyOfRange(args, 1, args.length)));
    }
    if (args.length == 1 && args[0].equals("--report")) {
      new Bench().rerender();
      return;
    }
    List<String> workloads = args.length == 0 ? ALL : Arrays.asList(args);
    for (String w : workloads) {
      if (!ALL.contains(w)) {
        System.err.println("usage: tether-bench [" + String.join("|", ALL) + "]...  or  tether-bench soak [--help]");
        System.exit(2);
      }
    }
    new Bench().run(workloads);
  }

  private void run(List<String> workloads) throws Exception {
    if (!Files.isDirectory(root.resolve("bench"))) {
      throw new IllegalStateException("run from the repository root (no bench/ in "
          + root.toAbsolutePath() + ")");
    }
    long started = System.nanoTime();
    loadAverage();
    commit();
    if (workloads.contains("throughput")) {
      for (String kind : EchoClient.KINDS) {
        child(true, "-Xmx1g", "throughput", kind, Integer.toString(Workload.WINDOW));
      }
    }
    if (workloads.contains("compare")) {
      System.err.println("compare (interleaved rounds)");
      rows.addAll(Rounds.compare(List.of(Messenger.KINDS), new Rounds.Settings(WARMUP_MS, RUNS, RUN_MS)));
    }
    if (workloads.contains("latency")) {
      System.err.println("latency (interleaved rounds)");
      Map<Integer, List<String>> kinds = latencyKinds();
      rows.addAll(Rounds.latency(kinds, new Rounds.Settings(LATENCY_WARMUP_MS, LATENCY_RUNS, LATENCY_RUN_MS)));
    }
    if (workloads.contains("connections")) {
      // Raw Tyrus on the shared container at the same N: the figure Tether's heap is held to.
      for (String n : CONNECTIONS.split(",")) {
        child(true, "-Xmx4g", "connections", "tether", n.trim());
        child(true, "-Xmx4g", "connections", "tyrus-shared", n.trim());
      }
      child(true, "-Xmx4g", "connections", "tyrus-default", "1000");
    }
    if (workloads.contains("storm")) {
      // Each starts its own stub server process, which refuses handshakes and then accepts them.
      child(false, "-Xmx2g", "storm", "0.5", Integer.toString(STORM_N));
      child(false, "-Xmx2g", "storm", "0", Integer.toString(STORM_N));
    }
    if (workloads.contains("outbox")) {
      child(true, "-Xmx2g", "outbox", "tether-raw", Integer.toString(OUTBOX_N));
    }
    if (workloads.contains("server")) {
      // The workload starts its own TetherServer process, with the store under test.
      child(false, "-Xmx1g", "server", "memory", SERVER_LOAD);
      child(false, "-Xmx1g", "server", "sqlite", SERVER_LOAD);
      child(false, "-Xmx2g", "server", "idle-memory", Integer.toString(SERVER_IDLE_N));
    }
    // permessage-deflate: its own section, spliced into BENCHMARKS.md (DeflateBench).
    String deflate = workloads.contains("deflate") ? DeflateBench.run(root) : null;
    double minutes = (System.nanoTime() - started) / 60e9;
    loadAverage();
    rows.add(new String[] {"meta", "bench", "-", "0", "wall_minutes",
        String.format(Locale.ROOT, "%.3f", minutes)});
    rows.add(new String[] {"meta", "bench", "-", "0", "finished_epoch_s",
        System.currentTimeMillis() / 1000 + ".000"});
    Path md = root.resolve("BENCHMARKS.md");
    if (workloads.equals(List.of("deflate")) && Files.exists(md)) {
      Files.writeString(md, DeflateBench.splice(Files.readString(md), deflate));
      System.err.printf("done in %.1f min: BENCHMARKS.md (compression section), bench/results/deflate.csv%n", minutes);
      return;
    }
    String keptDeflate = deflate != null || !Files.exists(md) ? deflate : DeflateBench.section(Files.readString(md));
    String keptCluster = Files.exists(md) ? ClusterBench.section(Files.readString(md)) : null;
    if (workloads.equals(List.of("server")) && Files.exists(md)) {
      // Only the server workload: splice its section into BENCHMARKS.md and its rows into the CSV,
      // leaving every other section and row as the last full run wrote them.
      mergeCsv(workloads);
      String section = new Report(rows, workloads, minutes, root, Instant.now()).serverSection();
      Files.writeString(md, splice(Files.readString(md), section));
      System.err.printf("done in %.1f min: BENCHMARKS.md (server section), bench/results/results.csv%n", minutes);
      return;
    }
    if (!workloads.containsAll(ALL) && Files.exists(root.resolve("bench/results/results.csv"))) {
      // Some workloads again (e.g. one that failed in the full run): their rows replace theirs in
      // the CSV, every other row and the full run's meta rows stay, and BENCHMARKS.md is rendered
      // from the merged CSV.
      mergeCsv(workloads);
      rows.clear();
      rerender();
      System.err.printf("done in %.1f min: %s merged into bench/results/results.csv and BENCHMARKS.md%n", minutes,
          String.join(", ", workloads));
      return;
    }
    writeCsv();
    String markdown = new Report(rows, workloads, minutes, root, Instant.now()).markdown();
    markdown = keptDeflate == null ? markdown : DeflateBench.splice(markdown, keptDeflate);
    Files.writeString(md, keptCluster == null ? markdown : ClusterBench.splice(markdown, keptCluster));
    System.err.printf("done in %.1f min: BENCHMARKS.md, bench/results/results.csv%n", minutes);
  }

  /** Writes BENCHMARKS.md again from bench/results/results.csv, e.g. after editing ANALYSIS.md. */
  private void rerender() throws IOException {
    List<String> lines = Files.readAllLines(root.resolve("bench/results/results.csv"));
    List<String> workloads = new ArrayList<>();
    double minutes = Double.NaN;
    Instant finished = Instant.now();
    for (String line : lines.subList(1, lines.size())) {
      String[] r = line.split(",");
      if (r[0].equals("meta")) {
        if (r[4].equals("wall_minutes")) {
          minutes = Double.parseDouble(r[5]);
        } else if (r[4].equals("finished_epoch_s")) {
          finished = Instant.ofEpochSecond((long) Double.parseDouble(r[5]));
        } else {
          rows.add(r); // the commit and the load average
        }
        continue;
      }
      rows.add(r);
      if (!workloads.contains(r[0])) {
        workloads.add(r[0]);
      }
    }
    Path md = root.resolve("BENCHMARKS.md");
    String old = Files.exists(md) ? Files.readString(md) : "";
    String markdown = new Report(rows, workloads, minutes, root, finished).markdown();
    String deflate = DeflateBench.section(old);
    markdown = deflate == null ? markdown : DeflateBench.splice(markdown, deflate);
    String cluster = ClusterBench.section(old);
    Files.writeString(md, cluster == null ? markdown : ClusterBench.splice(markdown, cluster));
    System.err.println("BENCHMARKS.md written from bench/results/results.csv");
  }

  /** Runs one workload in a child JVM, with its own echo server JVM if {@code withServer}. */
  private void child(boolean withServer, String heap, String workload, String client, String param)
      throws Exception {
    System.err.printf("%s %s %s%n", workload, client, param);
    ServerProcess server = withServer ? ServerProcess.start() : null;
    try {
      List<String> command = new ArrayList<>(List.of(ServerProcess.javaBinary(), heap,
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
      for (String name : System.getProperties().stringPropertyNames()) {
        if (name.startsWith("bench.")) {
          command.add("-D" + name + "=" + System.getProperty(name));
        }
      }
      command.addAll(List.of("-cp", ServerProcess.classPath(), Workload.class.getName(),
          workload, client, param));
      if (server != null) {
        command.add(server.uri().toString());
      }
      // Thousands of sockets in the connections and storm workloads: raise the open-file limit.
      Process p = new ProcessBuilder(FdLimit.raised(FD_LIMIT, command))
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      try (BufferedReader out = new BufferedReader(
          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = out.readLine()) != null; ) {
          if (line.startsWith("RESULT,")) {
            rows.add(line.substring("RESULT,".length()).split(","));
          } else {
            System.err.println(line);
          }
        }
      }
      int exit = p.waitFor();
      if (exit != 0) {
        System.err.printf("  %s %s %s: child exited with %d%n", workload, client, param, exit);
        rows.add(new String[] {workload, client, param, "0", "child_exit_code", exit + ".000"});
      }
    } finally {
      if (server != null) {
        server.kill();
      }
    }
  }

  /** A {@code meta} row with the machine's load average over the last minute, on Linux. */
  private void loadAverage() {
    try {
      String load = Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0];
      rows.add(new String[] {"meta", "bench", "-", "0", "load_average_1min", load});
    } catch (IOException | RuntimeException notLinux) {
      // no figure
    }
  }

  /**
   * A {@code meta} row naming the commit the figures come from ({@code git rev-parse HEAD}), and
   * whether the work tree had changes outside the bench's own output.
   */
  private void commit() {
    try {
      String head = git("rev-parse", "HEAD").trim();
      boolean dirty = git("status", "--porcelain").lines()
          .map(l -> l.substring(Math.min(3, l.length())))
          .anyMatch(f -> !f.equals("BENCHMARKS.md") && !f.startsWith("bench/results/"));
      if (!head.isEmpty()) {
        rows.add(new String[] {"meta", "commit", head, "0", "dirty", dirty ? "1" : "0"});
      }
    } catch (IOException | RuntimeException noGit) {
      // no figure
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String git(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("git", "-C", root.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return p.waitFor() == 0 ? out : "";
  }

  /** Keeps the CSV's rows of other workloads, replaces those of {@code rerun}. */
  private void mergeCsv(List<String> rerun) throws IOException {
    Path csv = root.resolve("bench").resolve("results").resolve("results.csv");
    List<String[]> kept = new ArrayList<>();
    if (Files.exists(csv)) {
      List<String> lines = Files.readAllLines(csv);
      for (String line : lines.subList(1, lines.size())) {
        String[] r = line.split(",");
        if (!rerun.contains(r[0])) {
          kept.add(r); // the last full run's meta rows (wall time, date) stay: they describe it
        }
      }
    }
    List<String[]> fresh = new ArrayList<>(rows);
    rows.clear();
    rows.addAll(kept);
    rows.addAll(fresh.stream().filter(r -> !r[0].equals("meta")).toList());
    writeCsv();
    rows.clear();
    rows.addAll(fresh);
  }

  /** {@code markdown} with the server section replaced, or added before the targets. */
  static String splice(String markdown, String section) {
    int at = markdown.indexOf(Report.SERVER_HEADING);
    if (at >= 0) {
      int end = markdown.indexOf("\n## ", at + Report.SERVER_HEADING.length());
      return markdown.substring(0, at) + section + (end < 0 ? "" : markdown.substring(end + 1));
    }
    int targets = markdown.indexOf("## Targets");
    return targets < 0 ? markdown + "\n" + section : markdown.substring(0, targets) + section + markdown.substring(targets);
  }

  private void writeCsv() throws IOException {
    Path dir = root.resolve("bench").resolve("results");
    Files.createDirectories(dir);
    StringBuilder csv = new StringBuilder("workload,client,param,run,metric,value\n");
    for (String[] r : rows) {
      csv.append(String.join(",", r)).append('\n');
    }
    Files.writeString(dir.resolve("results.csv"), csv);
  }
}

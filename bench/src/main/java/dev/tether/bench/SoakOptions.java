package dev.tether.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code soak} command line: {@code java -jar bench/target/tether-bench.jar soak [options]}. */
@Command(name = "soak", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Chaos soak: clients in rooms on a TetherServer (SQLite, own process), or with --cluster on nodes "
        + "of a cluster on Redis, behind fault proxies, sending steadily while seeded faults are injected; then every client's log is checked (lost, duplicated, "
        + "out of order, reported) and the run is written to soak/results/<date>.csv, .png and .md, and SOAK.md. "
        + "Exit code 0 only without silent loss, duplicates, broken seq or sender order, undrained outboxes and thread or "
        + "heap growth beyond the bounds.%n")
final class SoakOptions implements Callable<Integer> {
  @Option(names = "--clients", defaultValue = "50", description = "Clients in all (default ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--rooms", defaultValue = "5", description = "Rooms; client i is in room i %% rooms (default ${DEFAULT-VALUE}).")
  int rooms;

  @Option(names = "--minutes", defaultValue = "10", description = "Length of the faulty run, before the drain (default ${DEFAULT-VALUE}).")
  double minutes;

  @Option(names = "--seed", description = "Seed of the fault plan (default: random, printed).")
  Long seedOption;

  @Option(names = "--rate", defaultValue = "2", description = "Chats a second per client (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--children", defaultValue = "5",
      description = "Of the clients, how many run in child JVMs on SQLite outboxes, killed by client-kill (default ${DEFAULT-VALUE}).")
  int children;

  @Option(names = "--durable", defaultValue = "10",
      description = "Of the clients in this JVM, how many use an SQLite outbox (default ${DEFAULT-VALUE}).")
  int durable;

  @Option(names = "--links", defaultValue = "5",
      description = "FaultProxy links in front of the server; client i uses link i %% links (default ${DEFAULT-VALUE}).")
  int links;

  @Option(names = "--cluster",
      description = "Run on a cluster: a redis-server started by the soak (appendonly yes, appendfsync always, its data in"
          + " the work directory) and --nodes TetherServer nodes on RoomStore.redis, each in its own JVM; every client"
          + " gets every node's URI (through its link: one proxy per node) and fails over between them, and each room"
          + " has members on every node. Adds node-kill and redis-restart; server-restart restarts one node, server-kill"
          + " SIGKILLs every node, state-reset restarts Redis on no data.")
  boolean cluster;

  @Option(names = "--nodes", defaultValue = "2",
      description = "With --cluster: the nodes (default ${DEFAULT-VALUE}); client i starts on node (i / rooms + i %% rooms) %% nodes.")
  int nodes;

  @Option(names = "--fault-gap", defaultValue = "3-10",
      description = "Seconds between faults, drawn uniformly in MIN-MAX (default ${DEFAULT-VALUE}).")
  String faultGap;

  @Option(names = "--faults", split = ",",
      description = "Fault kinds to draw from (default: all): server-restart, server-kill, state-reset, "
          + "connection-drop, blackhole, latency, stop-reading, client-kill, lossy-link, node-kill, redis-restart"
          + " (the last two only with --cluster: without, they are drawn and skipped).")
  List<String> faultNames;

  @Option(names = "--strict-sender-order", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Fail on chats delivered out of their sender's order (default ${DEFAULT-VALUE};"
          + " --no-strict-sender-order only reports them).")
  boolean strictSenderOrder;

  @Option(names = "--max-thread-growth", defaultValue = "8",
      description = "Allowed growth of live threads, last third of the run against the first (default ${DEFAULT-VALUE}).")
  int maxThreadGrowth;

  @Option(names = "--max-heap-growth-mib", defaultValue = "16",
      description = "Allowed growth of heap after GC, MiB (default ${DEFAULT-VALUE}); the larger of this and the percentage applies.")
  double maxHeapGrowthMib;

  @Option(names = "--max-heap-growth-percent", defaultValue = "25",
      description = "Allowed growth of heap after GC, percent (default ${DEFAULT-VALUE}).")
  double maxHeapGrowthPercent;

  @Option(names = "--drain-seconds", defaultValue = "180",
      description = "How long the drain after the run may take (default ${DEFAULT-VALUE}).")
  double drainSeconds;

  @Option(names = "--quiet-start", defaultValue = "10",
      description = "Seconds without faults at the start (default ${DEFAULT-VALUE}).")
  int quietStartSeconds;

  @Option(names = "--results", defaultValue = "soak/results", description = "Where the CSV, PNG and report go (default ${DEFAULT-VALUE}).")
  Path results;

  @Option(names = "--summary", defaultValue = "SOAK.md", description = "The summary to rewrite (default ${DEFAULT-VALUE}).")
  Path summary;

  @Option(names = "--no-summary", description = "Do not rewrite the summary (e.g. in CI).")
  boolean noSummary;

  @Option(names = "--work", defaultValue = "soak/work",
      description = "Where the logs, outboxes and server database go (default ${DEFAULT-VALUE}); deleted after a passing run.")
  Path work;

  @Option(names = "--keep-logs", description = "Keep the work directory after a passing run too.")
  boolean keepLogs;

  @Option(names = "--note", defaultValue = "", description = "Conditions of the run, for the report (e.g. what else ran on the machine).")
  String note;

  @Option(names = "--chart-only", paramLabel = "CSV",
      description = "Only draw the chart of an earlier run again, from its CSV, beside it (CSV.png).")
  Path chartOnly;

  @Option(names = "--chart-title", paramLabel = "TITLE",
      description = "With --chart-only: the chart's title (default: Tether soak and the CSV's name).")
  String chartTitle;

  @Spec CommandSpec spec;

  long seed;
  private double gapMin;
  private double gapMax;

  static int main(String[] args) {
    return new CommandLine(new SoakOptions()).execute(args);
  }

  @Override
  public Integer call() throws Exception {
    if (chartOnly != null) {
      String name = chartOnly.getFileName().toString().replaceFirst("\\.csv$", "");
      Path png = chartOnly.resolveSibling(name + ".png");
      SoakCharts.write(png, chartTitle != null ? chartTitle : "Tether soak " + name, SoakCharts.read(chartOnly));
      System.out.println("soak: drew " + png);
      return 0;
    }
    validate();
    return Soak.run(this);
  }

  private void validate() {
    require(clients >= 1, "--clients must be >= 1: " + clients);
    require(rooms >= 1 && rooms <= clients, "--rooms must be in [1, clients]: " + rooms);
    require(minutes > 0, "--minutes must be > 0: " + minutes);
    require(rate > 0 && rate <= 100, "--rate must be in (0, 100]: " + rate);
    require(children >= 0 && durable >= 0 && children + durable <= clients,
        "--children + --durable must be at most --clients: " + children + " + " + durable + " > " + clients);
    require(links >= 1, "--links must be >= 1: " + links);
    require(!cluster || (nodes >= 2 && nodes <= 16), "--nodes must be in [2, 16]: " + nodes);
    require(cluster || spec.commandLine().getParseResult() == null || !spec.commandLine().getParseResult().hasMatchedOption("--nodes"),
        "--nodes needs --cluster");
    require(drainSeconds >= 10, "--drain-seconds must be >= 10: " + drainSeconds);
    String[] gap = faultGap.split("-");
    try {
      gapMin = Double.parseDouble(gap[0]);
      gapMax = gap.length > 1 ? Double.parseDouble(gap[1]) : gapMin;
    } catch (NumberFormatException e) {
      gapMin = -1;
    }
    require(gap.length <= 2 && gapMin >= 0.1 && gapMax >= gapMin, "--fault-gap must be MIN-MAX seconds, 0.1 <= MIN <= MAX: " + faultGap);
    kinds(); // names checked
    seed = seedOption != null ? seedOption : ThreadLocalRandom.current().nextLong(1, 1L << 48);
  }

  private void require(boolean ok, String message) {
    if (!ok) {
      throw new ParameterException(spec.commandLine(), message);
    }
  }

  double gapMin() {
    return gapMin;
  }

  double gapMax() {
    return gapMax;
  }

  /** The fault kinds to draw from, in catalogue order. */
  List<FaultKind> kinds() {
    List<FaultKind> all = FaultKinds.all(cluster);
    if (faultNames == null || faultNames.isEmpty()) {
      return all;
    }
    Set<String> wanted = new LinkedHashSet<>(faultNames);
    List<FaultKind> kinds = new ArrayList<>();
    for (FaultKind k : all) {
      if (wanted.remove(k.name())) {
        kinds.add(k);
      }
    }
    require(wanted.isEmpty(), "unknown fault kinds " + wanted + "; known: "
        + all.stream().map(FaultKind::name).toList());
    return kinds;
  }

  /** Server processes: the nodes of the cluster, or the one server. */
  int servers() {
    return cluster ? nodes : 1;
  }

  /** The command that replays this run's faults. */
  String replayCommand() {
    StringBuilder b = new StringBuilder("java -jar bench/target/tether-bench.jar soak");
    b.append(String.format(Locale.ROOT, " --clients %d --rooms %d --minutes %s --rate %s --children %d --durable %d"
            + " --links %d --fault-gap %s", clients, rooms, num(minutes), num(rate), children, durable, links, faultGap));
    if (cluster) {
      b.append(" --cluster --nodes ").append(nodes);
    }
    if (faultNames != null && !faultNames.isEmpty()) {
      b.append(" --faults ").append(String.join(",", faultNames));
    }
    if (!strictSenderOrder) {
      b.append(" --no-strict-sender-order");
    }
    if (quietStartSeconds != 10) {
      b.append(" --quiet-start ").append(quietStartSeconds);
    }
    return b.append(" --seed ").append(seed).toString();
  }

  private static String num(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }
}

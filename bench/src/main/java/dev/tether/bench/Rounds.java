package dev.tether.bench;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The interleaved workloads: every system under test in its own {@link Agent} JVM, all of them up
 * at once against one server (and one broker), and measured in rounds: in each round every system
 * runs once, the others idle, the order rotated from round to round. Load from elsewhere on the
 * machine, and the server's state (its heap, its JIT), then hit every system alike, and the ratios
 * between systems are taken from the same minutes. Results are rows as {@link Bench} keeps them:
 * {@code workload, client, param, run, metric, value}.
 */
final class Rounds {
  private Rounds() {}

  /** Lengths: warm-up per system (split over two interleaved passes), rounds, one run. */
  record Settings(long warmupMs, int rounds, long runMs) {}

  /**
   * {@code compare}: the {@link Messenger} kinds with a window of {@link Workload#WINDOW}, Tether's
   * against a {@code StubServer} JVM, Paho's against Mosquitto. Per run: messages finished per
   * second, CPU and allocation per message in the client JVM and in the server (the broker: CPU
   * only). Without mosquitto installed, the Paho kinds are left out with one line on stderr and a
   * {@code skipped} row.
   */
  static List<String[]> compare(List<String> requested, Settings s) throws Exception {
    List<String[]> rows = new ArrayList<>();
    List<String> kinds = new ArrayList<>(requested);
    String window = Integer.toString(Workload.WINDOW);
    if (kinds.stream().anyMatch(Messenger::isMqtt) && Mosquitto.find().isEmpty()) {
      System.err.println("compare: mosquitto not found (Debian: apt-get install mosquitto); Paho rows skipped");
      rows.add(row("compare", "paho", window, 0, "skipped_no_mosquitto", 1));
      kinds.removeIf(Messenger::isMqtt);
    }
    Mosquitto broker = kinds.stream().anyMatch(Messenger::isMqtt) ? Mosquitto.start() : null;
    if (broker != null) {
      rows.add(new String[] {"meta", "mosquitto", Mosquitto.version().orElse("unknown"), "0", "version", "0"});
    }
    List<AgentProcess> agents = new ArrayList<>();
    try (TetherServerProcess server = TetherServerProcess.start("stub")) {
      for (String kind : kinds) {
        agents.add(AgentProcess.start(kind, Messenger.isMqtt(kind) ? null : server.uri(),
            Messenger.isMqtt(kind) ? broker.uri() : null));
      }
      for (int pass = 0; pass < 2; pass++) {
        for (AgentProcess a : agents) {
          a.ask("run " + Math.max(1, s.warmupMs() / 2), "RUN", s.warmupMs() + 60_000);
        }
      }
      for (int round = 1; round <= s.rounds(); round++) {
        for (int i = 0; i < agents.size(); i++) {
          AgentProcess a = agents.get((i + round - 1) % agents.size());
          boolean mqtt = Messenger.isMqtt(a.kind());
          ProcessMeter.Reading s0 = mqtt ? new ProcessMeter.Reading(broker.cpuNanos(), 0) : server.meter();
          String[] f = a.ask("run " + s.runMs(), "RUN", s.runMs() + 60_000);
          ProcessMeter.Reading s1 = mqtt ? new ProcessMeter.Reading(broker.cpuNanos(), 0) : server.meter();
          rows.addAll(compareRows(a.kind(), window, round, f, s1.minus(s0), mqtt));
        }
      }
    } finally {
      agents.forEach(AgentProcess::close);
      if (broker != null) {
        broker.close();
      }
    }
    return rows;
  }

  private static List<String[]> compareRows(String kind, String window, int round, String[] f,
      ProcessMeter.Reading server, boolean mqtt) {
    long finished = Long.parseLong(f[0]);
    long nanos = Long.parseLong(f[1]);
    long cpu = Long.parseLong(f[2]);
    long alloc = Long.parseLong(f[3]);
    long sent = Long.parseLong(f[4]);
    long acked = Long.parseLong(f[5]);
    long delivered = Long.parseLong(f[6]);
    long failed = Long.parseLong(f[7]);
    boolean drained = f[8].equals("1");
    double perSecond = finished * 1e9 / nanos;
    List<String[]> rows = new ArrayList<>();
    rows.add(row("compare", kind, window, round, "msgs_per_s", perSecond));
    rows.add(row("compare", kind, window, round, "client_cpu_us_per_msg", cpu / 1e3 / Math.max(1, finished)));
    rows.add(row("compare", kind, window, round, "client_alloc_bytes_per_msg", alloc / (double) Math.max(1, finished)));
    // The server's interval spans the whole run and its drain: every message sent in it.
    rows.add(row("compare", kind, window, round, "server_cpu_us_per_msg", server.cpuNanos() / 1e3 / Math.max(1, sent)));
    if (!mqtt) {
      rows.add(row("compare", kind, window, round, "server_alloc_bytes_per_msg",
          server.allocatedBytes() / (double) Math.max(1, sent)));
    }
    rows.add(row("compare", kind, window, round, "sent", sent));
    rows.add(row("compare", kind, window, round, "undelivered", sent - delivered));
    rows.add(row("compare", kind, window, round, "acked", acked));
    rows.add(row("compare", kind, window, round, "failed", failed));
    rows.add(row("compare", kind, window, round, "drained", drained ? 1 : 0));
    System.err.printf(Locale.ROOT, "  compare %-18s round %d: %,.0f msgs/s, client %.1f us %,.0f B, server %.1f us%s per msg"
            + "%s%n", kind, round, perSecond, cpu / 1e3 / Math.max(1, finished), alloc / (double) Math.max(1, finished),
        server.cpuNanos() / 1e3 / Math.max(1, sent),
        mqtt ? "" : String.format(Locale.ROOT, " %,.0f B", server.allocatedBytes() / (double) Math.max(1, sent)),
        drained && sent == delivered ? "" : " (sent " + sent + ", delivered " + delivered + ", drained " + drained + ")");
    return rows;
  }

  /**
   * {@code latency}: the {@link EchoClient} kinds against one {@code StubServer} JVM, at each rate
   * of {@code kindsByRate} (in its order) the kinds it lists. The first rate gets the full
   * warm-up; later rates, whose agents are warm, one run each before their rounds.
   */
  static List<String[]> latency(Map<Integer, List<String>> kindsByRate, Settings s) throws Exception {
    List<String[]> rows = new ArrayList<>();
    Map<String, AgentProcess> agents = new LinkedHashMap<>();
    try (TetherServerProcess server = TetherServerProcess.start("stub")) {
      URI uri = server.uri();
      boolean first = true;
      for (Map.Entry<Integer, List<String>> e : kindsByRate.entrySet()) {
        int rate = e.getKey();
        List<AgentProcess> these = new ArrayList<>();
        for (String kind : e.getValue()) {
          AgentProcess a = agents.get(kind);
          if (a == null) {
            a = AgentProcess.start("echo:" + kind, uri, null);
            agents.put(kind, a);
          }
          these.add(a);
        }
        long warm = first ? s.warmupMs() : s.runMs();
        for (int pass = 0; pass < 2; pass++) {
          for (AgentProcess a : these) {
            a.ask("latency " + rate + " " + Math.max(1, warm / 2), "LAT", warm + 60_000);
          }
        }
        first = false;
        for (int round = 1; round <= s.rounds(); round++) {
          for (int i = 0; i < these.size(); i++) {
            AgentProcess a = these.get((i + round - 1) % these.size());
            String kind = a.kind().substring("echo:".length());
            String[] f = a.ask("latency " + rate + " " + s.runMs(), "LAT", s.runMs() + 60_000);
            String[] metrics = {"p50_us", "p99_us", "p99.9_us", "max_us"};
            for (int m = 0; m < metrics.length; m++) {
              rows.add(row("latency", kind, Integer.toString(rate), round, metrics[m], Long.parseLong(f[m]) / 1e3));
            }
            long expected = s.runMs() * rate / 1000;
            rows.add(row("latency", kind, Integer.toString(rate), round, "count", Long.parseLong(f[4])));
            rows.add(row("latency", kind, Integer.toString(rate), round, "missing", expected - Long.parseLong(f[4])));
            System.err.printf(Locale.ROOT, "  latency %-18s %5d/s round %d: p50 %.0f us, p99 %.0f us, p99.9 %.0f us (%s of %d)%n",
                kind, rate, round, Long.parseLong(f[0]) / 1e3, Long.parseLong(f[1]) / 1e3,
                Long.parseLong(f[2]) / 1e3, f[4], expected);
          }
        }
      }
    } finally {
      agents.values().forEach(AgentProcess::close);
    }
    return rows;
  }

  static String[] row(String workload, String client, String param, int run, String metric, double value) {
    return new String[] {workload, client, param, Integer.toString(run), metric,
        String.format(Locale.ROOT, "%.3f", value)};
  }
}

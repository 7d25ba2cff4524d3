package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BENCHMARKS.md's targets are judged from the rows: ratios within rounds, losses, the storm, idle heap. */
class ReportTest {
  private final List<String[]> rows = new ArrayList<>();

  private void row(String workload, String client, String param, int run, String metric, double value) {
    rows.add(Rounds.row(workload, client, param, run, metric, value));
  }

  private void compare(String kind, int run, double msgs, double undelivered) {
    row("compare", kind, "32", run, "msgs_per_s", msgs);
    row("compare", kind, "32", run, "client_cpu_us_per_msg", 10);
    row("compare", kind, "32", run, "client_alloc_bytes_per_msg", 3000);
    row("compare", kind, "32", run, "server_cpu_us_per_msg", 5);
    row("compare", kind, "32", run, "server_alloc_bytes_per_msg", 5000);
    row("compare", kind, "32", run, "undelivered", undelivered);
    row("compare", kind, "32", run, "drained", 1);
  }

  private String render(Path dir, String... workloads) throws Exception {
    return new Report(rows, List.of(workloads), 1.0, dir, Instant.EPOCH).markdown();
  }

  private static String target(String markdown, String what) {
    return markdown.lines().filter(l -> l.startsWith("| " + what)).findFirst().orElseThrow(
        () -> new AssertionError("no target row '" + what + "' in\n" + markdown));
  }

  @Test
  void ratiosAreTakenWithinEachRound(@TempDir Path dir) throws Exception {
    // Paired: 900/1000 and 2100/3000 -> median 0.80 (met); the ratio of the medians would be 0.75.
    compare("tether-raw", 1, 1000, 0);
    compare("tether-raw", 2, 3000, 0);
    compare("tether-envelope", 1, 900, 0);
    compare("tether-envelope", 2, 2100, 0);
    compare("paho-qos1", 1, 500, 0);
    compare("paho-qos1", 2, 1000, 0);
    String md = render(dir, "compare");
    assertThat(target(md, "envelopes + acks ≥ 0.8× Tether raw echo")).contains("0.80×", "| yes |");
    assertThat(target(md, "envelopes + acks ≥ 2× Paho QoS 1")).contains("1.95×", "**no**");
    assertThat(target(md, "allocation per envelope round trip ≤ 4,000 B on the client")).contains("3,000 B", "| yes |");
    assertThat(target(md, "allocation per envelope round trip ≤ 4,000 B on the server")).contains("5,000 B", "**no**");
    assertThat(target(md, "every message of every system delivered")).contains("| yes |");
    assertThat(md).contains(Report.COMPARE_HEADING, "| Paho QoS 1 on Mosquitto | 750 |");
  }

  @Test
  void aLostMessageFailsTheDeliveryTarget(@TempDir Path dir) throws Exception {
    compare("tether-raw", 1, 1000, 0);
    compare("paho-qos0", 1, 1000, 3);
    assertThat(target(render(dir, "compare"), "every message of every system delivered"))
        .contains("3 undelivered", "**no**");
  }

  @Test
  void theStormAndIdleTargetsCompareTheirOwnRows(@TempDir Path dir) throws Exception {
    String n = Integer.toString(Bench.STORM_N);
    for (String jitter : List.of("jitter-0.5", "jitter-0")) {
      row("storm", jitter, n, 1, "reopened", Bench.STORM_N);
      row("storm", jitter, n, 1, "peak_attempts_per_100ms", jitter.equals("jitter-0") ? 900 : 300);
      row("storm", jitter, n, 1, "peak_scheduled_per_100ms", jitter.equals("jitter-0") ? 2000 : 400);
      row("storm", jitter, n, 1, "peak_handshakes_per_100ms_accepting", jitter.equals("jitter-0") ? 400 : 250);
    }
    row("connections", "tether", "10000", 1, "threads_total", 60);
    row("connections", "tether", "10000", 1, "still_open", 10000);
    row("connections", "tether", "10000", 1, "heap_bytes_per_conn", 21.5 * 1024);
    row("connections", "tyrus-shared", "10000", 1, "threads_total", 38);
    row("connections", "tyrus-shared", "10000", 1, "heap_bytes_per_conn", 18.9 * 1024);
    String md = render(dir, "connections", "storm");
    assertThat(target(md, "jitter (0.5) at least halves the clients'")).contains("400 vs 2000", "| yes |");
    assertThat(target(md, "jitter (0.5) at least halves the peak of handshakes started")).contains("300 vs 900", "| yes |");
    assertThat(target(md, "jitter (0.5) at least halves the peak handshakes")).contains("250 vs 400", "**no**");
    assertThat(target(md, "every client open again")).contains("| yes |");
    assertThat(target(md, "live threads ≤ 64 with 10000 idle TetherClients")).contains("| yes |");
    assertThat(target(md, "heap per idle TetherClient ≤ raw Tyrus shared + 2 KiB (N=10000)"))
        .contains("21.5 vs 18.9 KiB", "**no**");
  }
}

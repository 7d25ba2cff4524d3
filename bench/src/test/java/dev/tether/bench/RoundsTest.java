package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The interleaved workloads end to end, small: every system in its own agent JVM against a stub
 * server JVM (and Mosquitto for Paho), rounds of a few hundred ms. Every system of {@code compare}
 * delivers every message (and acks it where it acks), drains each run, and has its CPU and
 * allocation per message measured on both sides; {@code latency} times every message it sent.
 */
class RoundsTest {
  /** value of {@code metric} per kind and run: "kind|metric" to the values in run order. */
  private static Map<String, List<Double>> byKindAndMetric(List<String[]> rows) {
    return rows.stream().collect(Collectors.groupingBy(r -> r[1] + "|" + r[4], LinkedHashMap::new,
        Collectors.mapping(r -> Double.parseDouble(r[5]), Collectors.toList())));
  }

  @Test
  void compareRunsEverySystemInEveryRoundAndLosesNothing() throws Exception {
    List<String[]> rows = Rounds.compare(List.of(Messenger.KINDS), new Rounds.Settings(400, 2, 300));
    Map<String, List<Double>> m = byKindAndMetric(rows);
    assertThat(rows).noneMatch(r -> r[4].equals("skipped_no_mosquitto"));
    for (String kind : Messenger.KINDS) {
      assertThat(m.get(kind + "|msgs_per_s")).as(kind).hasSize(2).allMatch(v -> v > 0);
      assertThat(m.get(kind + "|undelivered")).as(kind + " undelivered").containsOnly(0.0);
      assertThat(m.get(kind + "|drained")).as(kind + " drained").containsOnly(1.0);
      assertThat(m.get(kind + "|failed")).as(kind + " failed").containsOnly(0.0);
      assertThat(m.get(kind + "|client_cpu_us_per_msg")).as(kind).allMatch(v -> v > 0);
      assertThat(m.get(kind + "|client_alloc_bytes_per_msg")).as(kind).allMatch(v -> v > 64);
      assertThat(m.get(kind + "|server_cpu_us_per_msg")).as(kind).allMatch(v -> v > 0);
      List<Double> sent = m.get(kind + "|sent");
      List<Double> acked = m.get(kind + "|acked");
      boolean acks = kind.startsWith("tether-envelope") || kind.startsWith("paho-qos1");
      assertThat(acked).as(kind + " acked").isEqualTo(acks ? sent : List.of(0.0, 0.0));
      if (Messenger.isMqtt(kind)) {
        assertThat(m).doesNotContainKey(kind + "|server_alloc_bytes_per_msg");
      } else {
        assertThat(m.get(kind + "|server_alloc_bytes_per_msg")).as(kind).allMatch(v -> v > 64);
      }
    }
  }

  @Test
  void latencyTimesEveryMessageOfEveryClientInEveryRound() throws Exception {
    Map<Integer, List<String>> kinds = new LinkedHashMap<>();
    kinds.put(1000, List.of("tyrus", "tether-raw", "tether-envelope"));
    kinds.put(2000, List.of("tether-raw"));
    List<String[]> rows = Rounds.latency(kinds, new Rounds.Settings(300, 2, 300));
    Map<String, List<Double>> m = byKindAndMetric(rows);
    for (String kind : List.of("tyrus", "tether-raw", "tether-envelope")) {
      assertThat(rows).filteredOn(r -> r[1].equals(kind) && r[2].equals("1000") && r[4].equals("p99.9_us"))
          .as(kind).hasSize(2).allMatch(r -> Double.parseDouble(r[5]) > 0);
      assertThat(rows).filteredOn(r -> r[1].equals(kind) && r[2].equals("1000") && r[4].equals("missing"))
          .as(kind + " missing").allMatch(r -> Double.parseDouble(r[5]) == 0);
      assertThat(m.get(kind + "|p99_us")).as(kind).allMatch(v -> v > 0);
    }
    assertThat(rows).filteredOn(r -> r[1].equals("tether-raw") && r[2].equals("2000") && r[4].equals("count"))
        .hasSize(2).allMatch(r -> Double.parseDouble(r[5]) == 600);
  }
}

package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.stub.LocalRedis;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code cluster} benchmark runs, small: every setup (1 node in memory, 1 node on Redis, 2 nodes
 * on Redis) carries chats in every run, Redis runs one script per chat, the latency phase gets its
 * chats across, and the section it writes has a row for each setup and splices into BENCHMARKS.md
 * in place of the old one.
 */
class ClusterBenchTest {
  @Test
  void everySetupCarriesChatsAndTheSectionHasARowForEach() throws Exception {
    ClusterBench.Settings small = new ClusterBench.Settings(2, 8, 200, 1_000, 2, 500, 500, 1_000);
    List<ClusterBench.Result> results;
    try (LocalRedis redis = LocalRedis.start()) {
      results = ClusterBench.measure(small, redis);
    }
    assertThat(results).extracting(r -> r.setup().key())
        .containsExactly("1-node-memory", "1-node-redis", "2-node-redis");
    for (ClusterBench.Result r : results) {
      System.out.printf("cluster bench, small: %s %s chats/s, latency p50 %.2f ms over %d chats, %.2f scripts per"
          + " chat%n", r.setup().key(), r.rates(), r.latency().getValueAtPercentile(50) / 1e6,
          r.latency().getTotalCount(), r.scriptsPerChat());
      assertThat(r.rates()).hasSize(2).allSatisfy(rate -> assertThat(rate).isPositive());
      assertThat(r.latency().getTotalCount()).as("chats timed at 200/s for 1 s").isGreaterThan(100);
      assertThat(r.nodeCpu()).isPositive();
      if (r.setup().redis()) {
        assertThat(r.scriptsPerChat()).as("one script per chat").isBetween(0.8, 1.2);
        assertThat(r.scriptMicros()).isPositive();
        assertThat(r.redisCpu()).isPositive();
      } else {
        assertThat(r.scriptsPerChat()).isZero();
      }
    }

    String section = ClusterBench.section(results, small, "Redis server v=7.0.15 sha=0", 0.5, Instant.EPOCH);
    assertThat(section).startsWith(ClusterBench.HEADING).contains("Redis (7.0.15,");
    for (ClusterBench.Setup s : ClusterBench.SETUPS) {
      assertThat(section).contains("| " + s.name() + " | ");
    }
    String old = "# Tether benchmarks\n\n## Throughput\n\nx\n\n" + ClusterBench.HEADING + "\n\nold figures\n\n"
        + "## Targets\n\ny\n";
    String spliced = ClusterBench.splice(old, section);
    assertThat(spliced).doesNotContain("old figures").contains("## Throughput\n\nx\n\n" + section + "## Targets");
    assertThat(ClusterBench.section(spliced)).isEqualTo(section);
  }
}

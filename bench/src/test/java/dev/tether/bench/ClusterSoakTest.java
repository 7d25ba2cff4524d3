package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short {@code soak --cluster}, against real processes: a redis-server started by the soak, two
 * node JVMs on {@code RoomStore.redis}, six clients (one in a child JVM) failing over between the
 * nodes. Seed 4 plans, within 45 s, Redis stopped with SIGTERM and with SIGKILL (started again on
 * its data), a graceful node restart, Redis restarted twice on no data, every node SIGKILLed at
 * once (at 21 s, so that a node is up in the last third, where the bounds are read) and a node
 * SIGKILLed (the plan is a pure function of the seed, {@link FaultPlanTest}). The soak must pass:
 * every acknowledged chat delivered to every member once and in order, or reported by
 * {@code onReset}; and each of those kinds must have been injected. The thread and heap bounds are
 * not what this tests (a 45-second run in a JVM shared with other tests), so they are set wide;
 * the CI soak and the long runs check them.
 */
class ClusterSoakTest {
  private static final List<String> KINDS = List.of("server-restart", "server-kill", "state-reset", "node-kill",
      "redis-restart");

  @Test
  void aClusterSoakWithNodeKillsAndRedisRestartsPassesAndInjectsEveryKind(@TempDir Path dir) throws Exception {
    Path results = dir.resolve("results");
    int exit = SoakOptions.main(new String[] {"--cluster", "--nodes", "2", "--clients", "6", "--rooms", "2",
        "--children", "1", "--durable", "1", "--links", "2", "--minutes", "0.75", "--fault-gap", "4-6",
        "--quiet-start", "3", "--faults", String.join(",", KINDS), "--seed", "4", "--results", results.toString(),
        "--work", dir.resolve("work").toString(), "--no-summary", "--max-thread-growth", "1000",
        "--max-heap-growth-mib", "1000", "--drain-seconds", "120"});

    Path report;
    try (Stream<Path> files = Files.list(results)) {
      report = files.filter(p -> p.toString().endsWith(".md")).findFirst().orElseThrow();
    }
    String md = Files.readString(report, StandardCharsets.UTF_8);
    System.out.println(md);
    assertThat(exit).as("exit code of the soak (report above)").isZero();
    assertThat(md).contains("| verdict | **PASSED** |", "| **lost silently** | **0** |", "| **duplicated** | **0** |",
        "2 `TetherServer` nodes, defaults on `RoomStore.redis`", "appendfsync always");
    Map<String, Integer> injected = new HashMap<>();
    for (String line : md.split("\n")) {
      String[] cells = line.split("\\|");
      if (cells.length > 3 && KINDS.contains(cells[1].trim())) {
        injected.put(cells[1].trim(), Integer.parseInt(cells[2].trim()));
      }
    }
    assertThat(injected).containsOnlyKeys(KINDS).allSatisfy((kind, n) -> assertThat(n).as(kind).isPositive());
  }
}

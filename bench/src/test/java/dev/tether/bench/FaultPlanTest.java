package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The plan is a pure function of the seed and never has two faults on one target at a time. */
class FaultPlanTest {
  private static final List<FaultKind> KINDS = FaultKinds.all();
  private static final long HOUR = 3_600_000;

  private static List<FaultPlan.Planned> plan(long seed) {
    return FaultPlan.plan(seed, 10_000, HOUR, 3_000, 10_000, KINDS, 5, 5);
  }

  @Test
  void theSameSeedPlansTheSameFaults() {
    assertThat(plan(42)).isEqualTo(plan(42)).hasSizeGreaterThan(300);
  }

  @Test
  void anotherSeedPlansOtherFaults() {
    assertThat(plan(43)).isNotEqualTo(plan(42));
  }

  @Test
  void faultsComeWithinTheRunAtTheGivenGaps() {
    List<FaultPlan.Planned> plan = plan(7);
    assertThat(plan.get(0).atMillis()).isEqualTo(10_000);
    for (int i = 1; i < plan.size(); i++) {
      long gap = plan.get(i).atMillis() - plan.get(i - 1).atMillis();
      assertThat(gap).isBetween(3_000L, 100_000L); // a slot whose kind found no free target is left empty
    }
    assertThat(plan).allMatch(f -> f.atMillis() < HOUR);
  }

  @Test
  void everyKindIsDrawnAndUnavailableOnesArePlannedToBeSkipped() {
    Set<String> drawn = plan(1).stream().map(f -> f.kind().name()).collect(Collectors.toSet());
    assertThat(drawn).containsAll(KINDS.stream().map(FaultKind::name).toList());
    assertThat(plan(1)).filteredOn(f -> f.kind().unavailable() != null)
        .extracting(f -> f.kind().name()).contains("node-kill", "redis-restart")
        .doesNotContain("lossy-link", "state-reset");
  }

  @Test
  void noTwoFaultsHoldOneTargetAtOnce() {
    for (long seed = 0; seed < 20; seed++) {
      Map<String, List<long[]>> held = new HashMap<>();
      for (FaultPlan.Planned f : plan(seed)) {
        if (f.kind().unavailable() != null) {
          continue;
        }
        List<String> targets = new ArrayList<>();
        switch (f.kind().scope()) {
          case SERVER -> targets.add("server");
          case CHILD -> targets.add("child" + f.target());
          case LINK -> {
            if (f.target() < 0) {
              for (int i = 0; i < 5; i++) {
                targets.add("link" + i);
              }
            } else {
              targets.add("link" + f.target());
            }
          }
          default -> throw new AssertionError();
        }
        for (String t : targets) {
          List<long[]> spans = held.computeIfAbsent(t, k -> new ArrayList<>());
          for (long[] s : spans) {
            assertThat(f.atMillis() >= s[1] || f.atMillis() + f.durationMillis() <= s[0])
                .as("seed %d: %s overlaps an earlier fault on %s", seed, f, t).isTrue();
          }
          spans.add(new long[] {f.atMillis(), f.atMillis() + f.durationMillis()});
        }
      }
    }
  }

  @Test
  void withoutChildProcessesNoClientIsKilled() {
    List<FaultPlan.Planned> plan = FaultPlan.plan(5, 0, HOUR, 3_000, 10_000, KINDS, 2, 0);
    assertThat(plan).noneMatch(f -> f.kind().name().equals("client-kill"));
    assertThat(plan).filteredOn(f -> f.kind().scope() == FaultKind.Scope.LINK && f.kind().unavailable() == null)
        .allMatch(f -> f.target() >= -1 && f.target() < 2);
  }

  private static List<FaultPlan.Planned> clusterPlan(long seed, int nodes) {
    return FaultPlan.plan(seed, 10_000, HOUR, 3_000, 10_000, FaultKinds.cluster(), 5, 5, nodes);
  }

  @Test
  void withoutAClusterTheClusterKindsAreDeclaredWithAReasonThatNamesTheOption() {
    assertThat(KINDS).filteredOn(k -> k.unavailable() != null).extracting(FaultKind::name)
        .containsExactly("node-kill", "redis-restart");
    assertThat(KINDS).filteredOn(k -> k.unavailable() != null)
        .allMatch(k -> k.unavailable().contains("--cluster"));
  }

  @Test
  void inAClusterEveryKindIsAvailableAndDrawnWithTheSameNamesInTheSameOrder() {
    assertThat(FaultKinds.cluster()).extracting(FaultKind::name)
        .containsExactlyElementsOf(KINDS.stream().map(FaultKind::name).toList());
    assertThat(FaultKinds.cluster()).allMatch(k -> k.unavailable() == null);
    List<FaultPlan.Planned> plan = clusterPlan(3, 2);
    assertThat(plan).isEqualTo(clusterPlan(3, 2));
    Map<String, Long> byKind = plan.stream().collect(Collectors.groupingBy(f -> f.kind().name(), Collectors.counting()));
    assertThat(byKind.keySet()).containsAll(KINDS.stream().map(FaultKind::name).toList());
    assertThat(plan).filteredOn(f -> f.kind().name().equals("redis-restart"))
        .extracting(FaultPlan.Planned::parameter).contains(0L, 1L).containsOnly(0L, 1L);
    assertThat(plan).filteredOn(f -> f.kind().name().equals("node-kill"))
        .allMatch(f -> f.durationMillis() >= 1000 && f.durationMillis() <= 8000 && f.target() >= 0 && f.target() < 2);
  }

  @Test
  void aClusterAlwaysHasANodeUpAndRedisFaultsNeverOverlap() {
    for (int nodes = 2; nodes <= 3; nodes++) {
      for (long seed = 0; seed < 20; seed++) {
        List<long[]> redis = new ArrayList<>();
        List<List<long[]>> down = new ArrayList<>();
        for (int n = 0; n < nodes; n++) {
          down.add(new ArrayList<>());
        }
        for (FaultPlan.Planned f : clusterPlan(seed, nodes)) {
          long[] span = {f.atMillis(), f.atMillis() + f.durationMillis()};
          switch (f.kind().scope()) {
            case REDIS -> redis.add(span);
            case NODE -> down.get(f.target()).add(span);
            case SERVER -> down.forEach(d -> d.add(span));
            default -> { }
          }
        }
        assertNoOverlap(redis, "seed " + seed + ": Redis");
        for (int n = 0; n < nodes; n++) {
          assertNoOverlap(down.get(n), "seed " + seed + ": node " + n);
        }
        // Every moment some node is up, unless a server-kill took them all.
        for (FaultPlan.Planned f : clusterPlan(seed, nodes)) {
          if (f.kind().scope() != FaultKind.Scope.NODE) {
            continue;
          }
          long t = f.atMillis();
          long others = 0;
          for (int n = 0; n < nodes; n++) {
            if (n != f.target() && down.get(n).stream().noneMatch(s -> s[0] <= t && t < s[1])) {
              others++;
            }
          }
          assertThat(others).as("seed %d, %d nodes: %s leaves no node up", seed, nodes, f).isPositive();
        }
      }
    }
  }

  private static void assertNoOverlap(List<long[]> spans, String what) {
    for (int i = 0; i < spans.size(); i++) {
      for (int j = 0; j < i; j++) {
        assertThat(spans.get(i)[0] >= spans.get(j)[1] || spans.get(i)[1] <= spans.get(j)[0])
            .as("%s: faults at %d and %d overlap", what, spans.get(j)[0], spans.get(i)[0]).isTrue();
      }
    }
  }
}

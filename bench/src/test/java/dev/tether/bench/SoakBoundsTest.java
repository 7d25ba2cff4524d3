package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/** Flat threads and heap pass; growth beyond the bounds, in either JVM, fails. */
class SoakBoundsTest {
  private static List<SoakSampler.Sample> samples(int n, IntToDoubleFunction clientHeap, IntToDoubleFunction threads,
      IntToDoubleFunction serverHeap) {
    List<SoakSampler.Sample> xs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      xs.add(new SoakSampler.Sample(i + 1, 1, clientHeap.applyAsDouble(i), 50, serverHeap.applyAsDouble(i),
          (int) threads.applyAsDouble(i), 30, 0, 10, 10, 0, 100, 1000, 5, 50, 60, 0, 0, true, 0, "", "run"));
    }
    return xs;
  }

  private static boolean allPass(List<SoakBounds.Check> checks) {
    return checks.stream().allMatch(SoakBounds.Check::passed);
  }

  @Test
  void flatThreadsAndHeapPass() {
    List<SoakSampler.Sample> xs = samples(300, i -> 40 + (i % 7), i -> 60 + (i % 3), i -> 20);
    assertThat(allPass(SoakBounds.check(xs, 300, 8, 16, 25))).isTrue();
  }

  @Test
  void aHeapThatKeepsGrowingFails() {
    List<SoakSampler.Sample> xs = samples(300, i -> 40 + i * 0.2, i -> 60, i -> 20);
    List<SoakBounds.Check> checks = SoakBounds.check(xs, 300, 8, 16, 25);
    assertThat(checks).filteredOn(c -> !c.passed()).extracting(SoakBounds.Check::name)
        .containsExactly("client JVM heap after GC");
    assertThat(SoakBounds.slopePerHour(xs, 300, SoakSampler.Sample::clientHeapMiB)).isCloseTo(720, org.assertj.core.data.Offset.offset(1.0));
  }

  @Test
  void threadsThatKeepGrowingFail() {
    List<SoakSampler.Sample> xs = samples(300, i -> 40, i -> 60 + i / 20, i -> 20);
    assertThat(SoakBounds.check(xs, 300, 8, 16, 25)).filteredOn(c -> !c.passed())
        .extracting(SoakBounds.Check::name).containsExactly("client JVM threads");
  }

  @Test
  void theDrainIsLeftOutAndTheServerIsCheckedToo() {
    List<SoakSampler.Sample> xs = samples(400, i -> 40, i -> 60, i -> i < 300 ? 20 : 500);
    assertThat(allPass(SoakBounds.check(xs, 300, 8, 16, 25))).isTrue();
    assertThat(SoakBounds.check(xs, 400, 8, 16, 25)).filteredOn(c -> !c.passed())
        .extracting(SoakBounds.Check::name).containsExactly("server JVM heap after GC");
  }
}

package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The storm's peaks: the most events in any window, from samples of a running count and from times. */
class HandshakeSamplerTest {
  private static final long MS = 1_000_000;

  @Test
  void thePeakIsTheLargestRiseWithinTheWindow() {
    HandshakeSampler s = HandshakeSampler.start(() -> 0);
    s.stop();
    int[] counts = {0, 0, 10, 10, 10, 50, 90, 90, 95, 100};
    long t0 = System.nanoTime() + 1000 * MS;
    for (int i = 0; i < counts.length; i++) {
      s.add(t0 + i * 50 * MS, counts[i]);
    }
    // 50 -> 90 within 50 ms, 10 -> 90 within 100 ms (samples 4 and 6)
    assertThat(s.peak(100 * MS)).isEqualTo(80);
    assertThat(s.peak(50 * MS)).isEqualTo(40);
    assertThat(s.total()).isEqualTo(100);
  }

  @Test
  void thePeakSinceTheMarkLeavesOutWhatCameBefore() {
    HandshakeSampler s = HandshakeSampler.start(() -> 0);
    s.stop();
    long t0 = System.nanoTime() + 1000 * MS;
    s.add(t0, 0);
    s.add(t0 + 50 * MS, 60); // a burst of 60 while refusing
    s.mark(t0 + 1000 * MS, 60);
    s.add(t0 + 1050 * MS, 70);
    s.add(t0 + 1100 * MS, 90);
    assertThat(s.peak(100 * MS)).isEqualTo(60);
    assertThat(s.peakSinceMark(100 * MS)).isEqualTo(30);
  }

  @Test
  void aSamplerCountsWhatHappensWhileItRuns() {
    java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger(7);
    HandshakeSampler s = HandshakeSampler.start(count::get);
    count.addAndGet(5);
    s.stop();
    assertThat(s.total()).isEqualTo(5);
    assertThat(s.peak(100 * MS)).isLessThanOrEqualTo(5);
  }

  @Test
  void peakWithinCountsTimesInAnyWindow() {
    List<Long> times = List.of(0L, 10 * MS, 20 * MS, 150 * MS, 160 * MS, 300 * MS);
    assertThat(Storm.peakWithin(times, 100 * MS)).isEqualTo(3);
    assertThat(Storm.peakWithin(times, 500 * MS)).isEqualTo(6);
    assertThat(Storm.peakWithin(List.of(), 100 * MS)).isZero();
  }
}

package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The per-message figures' meter: bytes allocated on any thread are counted, and stay counted after it ends. */
class ProcessMeterTest {
  /** Keeps the arrays reachable until counted, so the JIT cannot drop the allocations. */
  private static volatile Object sink;

  private static void allocate(int megabytes) {
    for (int i = 0; i < megabytes; i++) {
      sink = new byte[1 << 20];
    }
  }

  @Test
  void bytesAllocatedOnThisThreadAreCounted() {
    ProcessMeter meter = new ProcessMeter();
    ProcessMeter.Reading before = meter.read();
    allocate(16);
    ProcessMeter.Reading after = meter.read();
    assertThat(after.minus(before).allocatedBytes()).isGreaterThanOrEqualTo(16L << 20);
    assertThat(after.cpuNanos()).isGreaterThanOrEqualTo(before.cpuNanos());
  }

  @Test
  void aThreadSeenBeforeItEndedKeepsItsBytesCounted() throws Exception {
    ProcessMeter meter = new ProcessMeter();
    CountDownLatch allocated = new CountDownLatch(1);
    CountDownLatch seen = new CountDownLatch(1);
    Thread t = new Thread(() -> {
      allocate(16);
      allocated.countDown();
      try {
        seen.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    ProcessMeter.Reading before = meter.read();
    t.start();
    assertThat(allocated.await(10, TimeUnit.SECONDS)).isTrue();
    ProcessMeter.Reading whileAlive = meter.read();
    seen.countDown();
    t.join(10_000);
    ProcessMeter.Reading afterEnd = meter.read();
    assertThat(whileAlive.minus(before).allocatedBytes()).isGreaterThanOrEqualTo(16L << 20);
    assertThat(afterEnd.allocatedBytes()).isGreaterThanOrEqualTo(whileAlive.allocatedBytes());
    assertThat(meter.threadsEnded()).isPositive();
  }
}

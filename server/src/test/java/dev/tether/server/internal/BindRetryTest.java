package dev.tether.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.BindException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link BindRetry} on fake time: what it retries, how long it waits, when it gives up. */
class BindRetryTest {
  private final AtomicLong nanos = new AtomicLong();
  private final List<Long> waits = new ArrayList<>();
  private final BindRetry retry = new BindRetry(Duration.ofSeconds(10), nanos::get, millis -> {
    waits.add(millis);
    nanos.addAndGet(millis * 1_000_000);
  });

  /** Fails with a BindException the first {@code failures} times. */
  private static BindRetry.Attempt busyFor(int failures, AtomicInteger attempts) {
    return () -> {
      if (attempts.incrementAndGet() <= failures) {
        throw new BindException("Address already in use");
      }
    };
  }

  @Test
  void aPortBusyForAMomentIsBoundOnceFreeWithGrowingWaits() throws IOException {
    AtomicInteger attempts = new AtomicInteger();
    assertThat(retry.run(8025, busyFor(7, attempts))).isEqualTo(7);
    assertThat(attempts).hasValue(8);
    assertThat(waits).containsExactly(20L, 40L, 80L, 160L, 320L, 500L, 500L);
  }

  @Test
  void aPortBusyLongerThanThePatienceFailsWithTheLastErrorAndHowLongItTried() {
    AtomicInteger attempts = new AtomicInteger();
    assertThatThrownBy(() -> retry.run(8025, busyFor(Integer.MAX_VALUE, attempts)))
        .isInstanceOf(BindException.class)
        .hasMessage("Address already in use (" + attempts.get() + " attempts in 10000 ms)")
        .hasCauseInstanceOf(BindException.class);
    assertThat(waits.stream().mapToLong(Long::longValue).sum()).isEqualTo(10_000);
  }

  @Test
  void portZeroAndOtherFailuresAreNotRetried() {
    AtomicInteger attempts = new AtomicInteger();
    assertThatThrownBy(() -> retry.run(0, busyFor(1, attempts))).isInstanceOf(BindException.class)
        .hasMessage("Address already in use");
    assertThatThrownBy(() -> retry.run(8025, () -> {
      attempts.incrementAndGet();
      throw new IOException("no such interface");
    })).hasMessage("no such interface");
    assertThat(attempts).hasValue(2);
    assertThat(waits).isEmpty();
  }

  @Test
  void anInterruptEndsTheWaitingAndStaysSet() {
    BindRetry interrupted = new BindRetry(Duration.ofSeconds(10), nanos::get, millis -> {
      throw new InterruptedException();
    });
    try {
      assertThatThrownBy(() -> interrupted.run(8025, busyFor(5, new AtomicInteger())))
          .isInstanceOf(BindException.class);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }
}

package dev.tether.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  private final AtomicLong nanos = new AtomicLong(1_000);

  @Test
  void allowsABurstOfOneSecondsWorthThenRefuses() {
    RateLimiter limiter = new RateLimiter(3, nanos::get);
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isFalse();
    assertThat(limiter.tryAcquire()).isFalse();
  }

  @Test
  void refillsAtTheRateAndNoFurtherThanTheBurst() {
    RateLimiter limiter = new RateLimiter(4, nanos::get);
    for (int i = 0; i < 4; i++) {
      limiter.tryAcquire();
    }
    nanos.addAndGet(249_000_000); // just short of a quarter second: no token yet
    assertThat(limiter.tryAcquire()).isFalse();
    nanos.addAndGet(1_000_000);
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isFalse();

    nanos.addAndGet(60_000_000_000L); // a minute idle still buys only one second's worth
    int allowed = 0;
    while (limiter.tryAcquire()) {
      allowed++;
    }
    assertThat(allowed).isEqualTo(4);
  }

  @Test
  void refusesANonPositiveRate() {
    assertThatThrownBy(() -> new RateLimiter(0, nanos::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("perSecond < 1: 0");
  }
}

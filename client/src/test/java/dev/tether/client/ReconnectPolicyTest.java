package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class ReconnectPolicyTest {
  /** A "random" source that always returns the same value. */
  private static RandomGenerator fixed(double value) {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        throw new UnsupportedOperationException();
      }

      @Override
      public double nextDouble() {
        return value;
      }
    };
  }

  @Test
  void delaysGrowByTheMultiplierUntilTheCap() {
    ReconnectPolicy p = ReconnectPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(30));
    RandomGenerator r = fixed(0.7);
    assertThat(p.delay(1, r)).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.delay(2, r)).isEqualTo(Duration.ofSeconds(2));
    assertThat(p.delay(3, r)).isEqualTo(Duration.ofSeconds(4));
    assertThat(p.delay(5, r)).isEqualTo(Duration.ofSeconds(16));
    assertThat(p.delay(6, r)).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.delay(1000, r)).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.withMultiplier(3).delay(3, r)).isEqualTo(Duration.ofSeconds(9));
  }

  @Test
  void jitterIsAppliedAfterTheCapAndStaysWithinItsWindow() {
    ReconnectPolicy p = ReconnectPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(30)).withJitter(0.5);
    assertThat(p.delay(10, fixed(0.0))).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.delay(10, fixed(0.999999))).isGreaterThan(Duration.ofSeconds(15));
    assertThat(p.delay(10, fixed(0.5))).isEqualTo(Duration.ofMillis(22_500));
    SplittableRandom seeded = new SplittableRandom(42);
    for (int attempt = 1; attempt <= 20; attempt++) {
      Duration base = ReconnectPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(30))
          .delay(attempt, seeded);
      for (int i = 0; i < 100; i++) {
        Duration d = p.delay(attempt, seeded);
        assertThat(d).isLessThanOrEqualTo(base).isGreaterThanOrEqualTo(base.dividedBy(2));
      }
    }
  }

  @Test
  void defaultsAreOneSecondDoublingToThirtyWithHalfJitterAndNoLimit() {
    ReconnectPolicy d = ReconnectPolicy.defaults();
    assertThat(d).isEqualTo(ReconnectPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(30))
        .withMultiplier(2).withJitter(0.5));
    assertThat(d.maxAttempts()).isEqualTo(Integer.MAX_VALUE);
    assertThat(d.allowsAttempt(1_000_000)).isTrue();
    assertThat(d.toString()).isEqualTo(
        "ReconnectPolicy.exponential(PT1S, PT30S).withMultiplier(2.0).withJitter(0.5)");
  }

  @Test
  void maxAttemptsLimitsAttempts() {
    ReconnectPolicy p = ReconnectPolicy.exponential(Duration.ofMillis(10), Duration.ofMillis(10)).withMaxAttempts(3);
    assertThat(p.allowsAttempt(3)).isTrue();
    assertThat(p.allowsAttempt(4)).isFalse();
    assertThat(p.toString()).endsWith(".withMaxAttempts(3)");
  }

  @Test
  void noneNeverReconnects() {
    assertThat(ReconnectPolicy.none().isEnabled()).isFalse();
    assertThat(ReconnectPolicy.none().allowsAttempt(1)).isFalse();
    assertThat(ReconnectPolicy.none()).hasToString("ReconnectPolicy.none()");
    assertThatThrownBy(() -> ReconnectPolicy.none().withJitter(0.1)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void policiesAreValuesAndWithersDoNotMutate() {
    ReconnectPolicy a = ReconnectPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(5));
    ReconnectPolicy b = a.withJitter(0.2);
    assertThat(a).isNotEqualTo(b);
    assertThat(a).isEqualTo(ReconnectPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(5)));
    assertThat(a.hashCode()).isEqualTo(
        ReconnectPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(5)).hashCode());
  }

  @Test
  void badArgumentsAreRejectedWithTheValue() {
    assertThatThrownBy(() -> ReconnectPolicy.exponential(Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("initial must be > 0: PT0S");
    assertThatThrownBy(() -> ReconnectPolicy.exponential(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("max must be >= initial (PT2S): PT1S");
    ReconnectPolicy p = ReconnectPolicy.defaults();
    assertThatThrownBy(() -> p.withJitter(1.5)).hasMessage("jitter must be in [0, 1]: 1.5");
    assertThatThrownBy(() -> p.withMultiplier(0.5)).hasMessage("multiplier must be >= 1: 0.5");
    assertThatThrownBy(() -> p.withMaxAttempts(0)).hasMessage("maxAttempts must be >= 1: 0");
    assertThatThrownBy(() -> p.delay(0, new SplittableRandom())).hasMessage("attempt must be >= 1: 0");
    assertThatThrownBy(() -> ReconnectPolicy.exponential(null, Duration.ofSeconds(1)))
        .isInstanceOf(NullPointerException.class).hasMessage("initial == null");
  }
}

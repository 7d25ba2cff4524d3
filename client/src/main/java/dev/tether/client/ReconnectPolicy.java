package dev.tether.client;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * When to try connecting again after a connection was lost: exponential backoff with a cap, jitter
 * and an optional limit on attempts. An immutable value with {@code equals} and a readable
 * {@code toString}; every {@code with...} method returns a new policy.
 *
 * <p>The delay before attempt {@code n} (1 for the first retry) is computed cap first, then jitter:
 * <pre>
 *   base  = min(initial * multiplier^(n-1), max)
 *   delay = base * (1 - jitter * u)      with u uniform in [0, 1)
 * </pre>
 * so a delay is never above {@code max} and, with jitter 0.5, lies between half the base and the
 * base. Jitter spreads the retries of many clients after a server restart. The attempt count starts
 * again at 1 after a connection opens. A client with several URIs
 * ({@code TetherClient.builder(first, others...)}) tries them in turn without waiting and takes one
 * step of this policy per whole round of them that failed: there an attempt is a round, for the
 * delay and for {@link #withMaxAttempts}.
 *
 * <p>The default, {@link #defaults()}, is 1 s doubling to 30 s, jitter 0.5, unlimited attempts.
 */
public final class ReconnectPolicy {
  private static final ReconnectPolicy NONE = new ReconnectPolicy(false, Duration.ZERO, Duration.ZERO, 1, 0, 0);
  private static final ReconnectPolicy DEFAULTS =
      exponential(Duration.ofSeconds(1), Duration.ofSeconds(30)).withJitter(0.5);

  private final boolean enabled;
  private final Duration initial;
  private final Duration max;
  private final double multiplier;
  private final double jitter;
  private final int maxAttempts;

  private ReconnectPolicy(
      boolean enabled, Duration initial, Duration max, double multiplier, double jitter, int maxAttempts) {
    this.enabled = enabled;
    this.initial = initial;
    this.max = max;
    this.multiplier = multiplier;
    this.jitter = jitter;
    this.maxAttempts = maxAttempts;
  }

  /**
   * Exponential backoff from {@code initial} up to {@code max}, multiplier 2, no jitter, unlimited
   * attempts.
   *
   * @throws IllegalArgumentException if {@code initial} is not positive or {@code max < initial}
   */
  public static ReconnectPolicy exponential(Duration initial, Duration max) {
    Objects.requireNonNull(initial, "initial == null");
    Objects.requireNonNull(max, "max == null");
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial must be > 0: " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max must be >= initial (" + initial + "): " + max);
    }
    return new ReconnectPolicy(true, initial, max, 2.0, 0.0, Integer.MAX_VALUE);
  }

  /** Never reconnect: a lost connection leaves the socket {@code CLOSED}. */
  public static ReconnectPolicy none() {
    return NONE;
  }

  /** 1 s doubling to 30 s, jitter 0.5, unlimited attempts. */
  public static ReconnectPolicy defaults() {
    return DEFAULTS;
  }

  /**
   * @param multiplier growth factor per attempt, at least 1
   * @throws IllegalArgumentException if {@code multiplier < 1} or not finite
   */
  public ReconnectPolicy withMultiplier(double multiplier) {
    requireEnabled("withMultiplier");
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier must be >= 1: " + multiplier);
    }
    return new ReconnectPolicy(true, initial, max, multiplier, jitter, maxAttempts);
  }

  /**
   * @param jitter fraction of each delay that is random, from 0 (none) to 1 (anywhere from 0 to the
   *     base delay)
   * @throws IllegalArgumentException if {@code jitter} is outside [0, 1]
   */
  public ReconnectPolicy withJitter(double jitter) {
    requireEnabled("withJitter");
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      throw new IllegalArgumentException("jitter must be in [0, 1]: " + jitter);
    }
    return new ReconnectPolicy(true, initial, max, multiplier, jitter, maxAttempts);
  }

  /**
   * @param maxAttempts how many attempts to make after a connection is lost before giving up
   * @throws IllegalArgumentException if {@code maxAttempts < 1}
   */
  public ReconnectPolicy withMaxAttempts(int maxAttempts) {
    requireEnabled("withMaxAttempts");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1: " + maxAttempts);
    }
    return new ReconnectPolicy(true, initial, max, multiplier, jitter, maxAttempts);
  }

  private void requireEnabled(String method) {
    if (!enabled) {
      throw new IllegalStateException(method + "() on ReconnectPolicy.none()");
    }
  }

  /** False for {@link #none()}. */
  public boolean isEnabled() {
    return enabled;
  }

  /** The most attempts after a lost connection; {@link Integer#MAX_VALUE} means unlimited. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** True if attempt number {@code attempt} (1-based) may be made. */
  public boolean allowsAttempt(int attempt) {
    return enabled && attempt >= 1 && attempt <= maxAttempts;
  }

  /**
   * The delay before attempt {@code attempt} (1-based), cap first, then jitter.
   *
   * @param random source of the jitter; injected so that tests can fix it
   * @throws IllegalArgumentException if {@code attempt < 1}
   * @throws IllegalStateException for {@link #none()}
   */
  public Duration delay(int attempt, RandomGenerator random) {
    requireEnabled("delay");
    Objects.requireNonNull(random, "random == null");
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be >= 1: " + attempt);
    }
    double maxNanos = max.toNanos();
    double base = initial.toNanos() * Math.pow(multiplier, attempt - 1.0);
    double capped = Math.min(base, maxNanos);
    double jittered = capped * (1.0 - jitter * random.nextDouble());
    return Duration.ofNanos((long) jittered);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReconnectPolicy p
        && enabled == p.enabled
        && initial.equals(p.initial)
        && max.equals(p.max)
        && Double.compare(multiplier, p.multiplier) == 0
        && Double.compare(jitter, p.jitter) == 0
        && maxAttempts == p.maxAttempts;
  }

  @Override
  public int hashCode() {
    return Objects.hash(enabled, initial, max, multiplier, jitter, maxAttempts);
  }

  @Override
  public String toString() {
    if (!enabled) {
      return "ReconnectPolicy.none()";
    }
    return "ReconnectPolicy.exponential(" + initial + ", " + max + ")"
        + ".withMultiplier(" + multiplier + ")"
        + ".withJitter(" + jitter + ")"
        + (maxAttempts == Integer.MAX_VALUE ? "" : ".withMaxAttempts(" + maxAttempts + ")");
  }
}

package dev.tether.server.internal;

import java.util.function.LongSupplier;

/**
 * A token bucket for one connection: holds up to {@code perSecond} tokens, gains {@code perSecond}
 * a second, and each frame takes one. So a connection may burst a second's worth of frames, then
 * keeps to the rate. Thread-safe; Tyrus calls it one frame of a connection at a time anyway.
 */
final class RateLimiter {
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final int perSecond;
  private final LongSupplier nanoTime;
  /** Guarded by this; in tokens. */
  private double tokens;
  /** Guarded by this; nanoTime at the last refill. */
  private long refilledAt;

  RateLimiter(int perSecond, LongSupplier nanoTime) {
    if (perSecond < 1) {
      throw new IllegalArgumentException("perSecond < 1: " + perSecond);
    }
    this.perSecond = perSecond;
    this.nanoTime = nanoTime;
    this.tokens = perSecond;
    this.refilledAt = nanoTime.getAsLong();
  }

  /** Takes a token if there is one; false means the frame is over the limit. */
  synchronized boolean tryAcquire() {
    long now = nanoTime.getAsLong();
    long elapsed = now - refilledAt;
    if (elapsed > 0) {
      tokens = Math.min(perSecond, tokens + (double) elapsed * perSecond / NANOS_PER_SECOND);
      refilledAt = now;
    }
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }

  /**
   * How long until a frame would be within the limit again, in milliseconds, rounded up and at
   * least 1: what a refused frame's {@code retry_after} says.
   */
  synchronized long millisUntilNextToken() {
    long now = nanoTime.getAsLong();
    long elapsed = now - refilledAt;
    double have = Math.min(perSecond, tokens + (double) Math.max(0, elapsed) * perSecond / NANOS_PER_SECOND);
    if (have >= 1) {
      return 1;
    }
    return Math.max(1, (long) Math.ceil((1 - have) * 1_000 / perSecond));
  }
}

package dev.tether.client.internal;

import java.time.Duration;

/**
 * The time seam of the client: heartbeat, reconnect waits and timeouts are scheduled here, so that
 * tests can run them on fake time. {@link TetherThreads#scheduler()} is the real one.
 */
public interface Scheduler {

  /** Runs {@code task} once after {@code delay}. The returned handle cancels it. */
  Cancellable schedule(Runnable task, Duration delay);

  /** Monotonic time in nanoseconds, as {@link System#nanoTime()}. */
  long nanoTime();

  /** A scheduled task that may be cancelled; cancelling twice or after it ran is harmless. */
  @FunctionalInterface
  interface Cancellable {
    Cancellable DONE = () -> {};

    void cancel();
  }
}

package dev.tether.server.internal;

import java.io.IOException;
import java.net.BindException;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Binding a fixed port again, which can fail for a moment after it was released: a connection of
 * the last process still closing, or another process's outgoing connection that got the port as
 * its local one (an ephemeral port lies in the range the OS hands out for those). Retries a
 * {@link BindException} for up to {@link #DEFAULT_PATIENCE}, waiting 20 ms, then twice as long
 * each time up to 500 ms; any other failure, or a bind that keeps failing, is thrown. Port 0 is
 * never retried (the OS picks a free one). Time and sleeping come in through the constructor.
 */
final class BindRetry {
  /** How long a busy port is retried by default. */
  static final Duration DEFAULT_PATIENCE = Duration.ofSeconds(10);
  private static final long FIRST_WAIT_MILLIS = 20;
  private static final long MAX_WAIT_MILLIS = 500;

  /** Waits; may be interrupted. */
  interface Sleeper {
    void sleep(long millis) throws InterruptedException;
  }

  /** One attempt to bind. */
  interface Attempt {
    void run() throws IOException;
  }

  private final Duration patience;
  private final LongSupplier nanoTime;
  private final Sleeper sleeper;

  BindRetry(Duration patience, LongSupplier nanoTime, Sleeper sleeper) {
    this.patience = patience;
    this.nanoTime = nanoTime;
    this.sleeper = sleeper;
  }

  static BindRetry system() {
    return new BindRetry(DEFAULT_PATIENCE, System::nanoTime, Thread::sleep);
  }

  /**
   * Runs {@code attempt} until it does not throw a {@link BindException} (for port 0: once).
   * Returns how many attempts failed first.
   *
   * @throws BindException the last one, with how long it was retried, once patience runs out or
   *     the thread is interrupted (the interrupt stays set)
   */
  int run(int port, Attempt attempt) throws IOException {
    long deadline = nanoTime.getAsLong() + patience.toNanos();
    long wait = FIRST_WAIT_MILLIS;
    for (int failed = 0; ; failed++) {
      try {
        attempt.run();
        return failed;
      } catch (BindException e) {
        long left = deadline - nanoTime.getAsLong();
        if (port == 0 || left <= 0) {
          throw retried(e, failed + 1);
        }
        try {
          sleeper.sleep(Math.min(wait, Math.max(1, left / 1_000_000)));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw retried(e, failed + 1);
        }
        wait = Math.min(MAX_WAIT_MILLIS, wait * 2);
      }
    }
  }

  private BindException retried(BindException last, int attempts) {
    if (attempts == 1) {
      return last;
    }
    BindException e = new BindException(last.getMessage() + " (" + attempts + " attempts in " + patience.toMillis()
        + " ms)");
    e.initCause(last);
    return e;
  }
}

package dev.tether.bench;

import java.util.Arrays;
import java.util.function.IntSupplier;

/**
 * Samples a running count of handshakes (the stub server's {@code handshakeCount}) every 5 ms on
 * a daemon thread, {@code bench-handshakes}, and answers the most handshakes in any window of a
 * given length: the storm's peak connection attempts per 100 ms. The count is read at the server,
 * so refused attempts (503) count as well as accepted ones. Resolution: the 5 ms sampling period
 * (a late sample only widens one step). Thread-safe.
 */
final class HandshakeSampler {
  private final IntSupplier count;
  /** Guarded by this: pairs of (nanoTime, count), {@code size} of them. */
  private long[] times = new long[4096];
  private int[] counts = new int[4096];
  private int size;
  /** Guarded by this: the first sample of the marked phase ({@link #mark}); 0 until marked. */
  private int marked;
  private final Thread thread;
  private volatile boolean running = true;

  private HandshakeSampler(IntSupplier count) {
    this.count = count;
    this.thread = new Thread(this::loop, "bench-handshakes");
    thread.setDaemon(true);
  }

  static HandshakeSampler start(IntSupplier count) {
    HandshakeSampler s = new HandshakeSampler(count);
    s.add(System.nanoTime(), count.getAsInt());
    s.thread.start();
    return s;
  }

  private void loop() {
    while (running) {
      java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
      add(System.nanoTime(), count.getAsInt());
    }
  }

  synchronized void add(long nanos, int value) {
    if (size == times.length) {
      times = Arrays.copyOf(times, size * 2);
      counts = Arrays.copyOf(counts, size * 2);
    }
    times[size] = nanos;
    counts[size] = value;
    size++;
  }

  /** Starts a second phase (the server accepting again), with a sample, for {@link #peakSinceMark}. */
  void mark() {
    mark(System.nanoTime(), count.getAsInt());
  }

  synchronized void mark(long nanos, int value) {
    add(nanos, value);
    marked = size - 1;
  }

  /** Stops sampling, after one last sample. */
  void stop() {
    running = false;
    thread.interrupt();
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    add(System.nanoTime(), count.getAsInt());
  }

  /**
   * The largest increase of the count between two samples at most {@code windowNanos} apart; a
   * window is never narrower than the sampling step.
   */
  synchronized int peak(long windowNanos) {
    return peak(windowNanos, 0);
  }

  /** {@link #peak} over the samples from the {@link #mark} on. */
  synchronized int peakSinceMark(long windowNanos) {
    return peak(windowNanos, marked);
  }

  private int peak(long windowNanos, int from) {
    int best = 0;
    for (int lo = from, hi = from + 1; hi < size; hi++) {
      while (lo < hi - 1 && times[hi] - times[lo] > windowNanos) {
        lo++;
      }
      best = Math.max(best, counts[hi] - counts[lo]);
    }
    return best;
  }

  /** Handshakes between the first and the last sample. */
  synchronized int total() {
    return size == 0 ? 0 : counts[size - 1] - counts[0];
  }
}

package dev.tether.stub.internal;

import dev.tether.stub.Received;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The frames a server received, oldest first, bounded: when full the oldest is dropped so that a
 * long benchmark cannot exhaust memory. Thread-safe; {@link #add} is O(1) and never blocks for long.
 */
public final class ReceivedLog {
  private final int capacity;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  /** Guarded by lock; at most {@code capacity} entries. */
  private final ArrayDeque<Received> frames = new ArrayDeque<>();
  /** Guarded by lock. */
  private long total;

  public ReceivedLog(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity < 1: " + capacity);
    }
    this.capacity = capacity;
  }

  public void add(Received received) {
    lock.lock();
    try {
      if (frames.size() == capacity) {
        frames.pollFirst();
      }
      frames.addLast(received);
      total++;
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Removes and returns the oldest frame, waiting up to {@code timeout} for one to arrive. */
  public Received take(Duration timeout) throws InterruptedException, TimeoutException {
    long nanos = timeout.toNanos();
    lock.lockInterruptibly();
    try {
      while (frames.isEmpty()) {
        if (nanos <= 0) {
          throw new TimeoutException(
              "no frame received within " + timeout.toMillis() + " ms (" + total + " before)");
        }
        nanos = notEmpty.awaitNanos(nanos);
      }
      return frames.pollFirst();
    } finally {
      lock.unlock();
    }
  }

  public long total() {
    lock.lock();
    try {
      return total;
    } finally {
      lock.unlock();
    }
  }
}

package dev.tether.client.internal;

import dev.tether.client.NetworkMonitor;

/**
 * A socket's use of its {@link NetworkMonitor}, which is user-implementable: every call to it
 * ({@code isAvailable}, {@code subscribe}, the subscription's {@code close}) happens without the
 * socket's lock, and the subscription is made once, on the first {@code open()}, and closed by
 * {@code close()}, even when the two race. With no monitor, the network is always up.
 */
final class NetworkWatch {
  private final NetworkMonitor monitor;
  private final Object lock;
  /** Guarded by lock. True once a first open() took charge of subscribing. */
  private boolean subscribing;
  /** Guarded by lock. True after close(). */
  private boolean closed;
  /** Guarded by lock. The subscription, until close(). */
  private NetworkMonitor.Subscription subscription;

  /** @param monitor null for none */
  NetworkWatch(NetworkMonitor monitor, Object lock) {
    this.monitor = monitor;
    this.lock = lock;
  }

  /** Whether attempts may go ahead now. Call without the lock. */
  boolean isUp() {
    assert !Thread.holdsLock(lock);
    return monitor == null || monitor.isAvailable();
  }

  /**
   * Subscribes {@code listener}, the first time only. It is then told the availability once, in
   * case it changed between the caller's {@link #isUp()} and the subscription.
   */
  void subscribe(NetworkMonitor.Listener listener) {
    assert !Thread.holdsLock(lock);
    synchronized (lock) {
      if (monitor == null || subscribing || closed) {
        return;
      }
      subscribing = true;
    }
    NetworkMonitor.Subscription s = monitor.subscribe(listener);
    boolean late;
    synchronized (lock) {
      late = closed;
      subscription = late ? null : s;
    }
    if (late) {
      s.close();
    } else {
      listener.onAvailabilityChanged(monitor.isAvailable());
    }
  }

  /** Ends the subscription, now or as soon as a subscribe() under way has it. Idempotent. */
  void close() {
    assert !Thread.holdsLock(lock);
    NetworkMonitor.Subscription s;
    synchronized (lock) {
      closed = true;
      s = subscription;
      subscription = null;
    }
    if (s != null) {
      s.close();
    }
  }
}

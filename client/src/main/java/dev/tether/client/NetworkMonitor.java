package dev.tether.client;

import dev.tether.client.internal.InterfacePollingMonitor;
import java.time.Duration;

/**
 * Tells a {@link TetherClient} whether the network is usable, like the reachability checks of the
 * iOS article Tether grew from. While {@link #isAvailable()} is false the client makes no connection
 * attempts (messages wait in the outbox); when it becomes true again the client connects at once,
 * with its attempt count reset.
 *
 * <p>Implement it to bridge your platform's connectivity events, or use {@link #manual(boolean)} and
 * call {@link Manual#setAvailable}. The default, {@link #interfaces()}, polls the machine's network
 * interfaces. A client whose target host is a loopback address ignores the default monitor: loopback
 * is always reachable.
 *
 * <p>Threads: the client calls {@link #isAvailable()}, {@link #subscribe} and the subscription's
 * {@code close} on its own threads (the shared scheduler's among them), never while holding its
 * lock; they must return quickly. Listeners may be called on any thread and must return quickly.
 */
public interface NetworkMonitor {

  /** True if the network is believed usable now. */
  boolean isAvailable();

  /**
   * Calls {@code listener} whenever availability changes, until the returned subscription is closed.
   */
  Subscription subscribe(Listener listener);

  /** Hears availability changes. */
  @FunctionalInterface
  interface Listener {
    /** The network became usable ({@code true}) or stopped being usable. */
    void onAvailabilityChanged(boolean available);
  }

  /** Stops a {@link Listener}. Closing twice is harmless. */
  interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * A monitor that polls the machine's interfaces every 3 seconds while anyone is subscribed: the
   * network is available when some interface is up, not loopback, and has an address. Shared.
   */
  static NetworkMonitor interfaces() {
    return InterfacePollingMonitor.shared();
  }

  /** A monitor that polls the machine's interfaces every {@code interval}. */
  static NetworkMonitor interfaces(Duration interval) {
    return new InterfacePollingMonitor(interval);
  }

  /** A monitor you drive yourself, for example from OS connectivity callbacks, or in tests. */
  static Manual manual(boolean available) {
    return new Manual(available);
  }

  /** A {@link NetworkMonitor} whose availability is set by {@link #setAvailable}. Thread-safe. */
  final class Manual implements NetworkMonitor {
    private final java.util.concurrent.CopyOnWriteArrayList<Listener> listeners =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean available;

    private Manual(boolean available) {
      this.available = available;
    }

    @Override
    public boolean isAvailable() {
      return available;
    }

    /** Changes availability and, if it changed, tells every listener on the calling thread. */
    public void setAvailable(boolean available) {
      boolean changed;
      synchronized (this) {
        changed = this.available != available;
        this.available = available;
      }
      if (changed) {
        for (Listener l : listeners) {
          l.onAvailabilityChanged(available);
        }
      }
    }

    @Override
    public Subscription subscribe(Listener listener) {
      java.util.Objects.requireNonNull(listener, "listener == null");
      listeners.add(listener);
      return () -> listeners.remove(listener);
    }

    @Override
    public String toString() {
      return "NetworkMonitor.manual(" + available + ")";
    }
  }
}

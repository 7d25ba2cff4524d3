package dev.tether.client.internal;

import dev.tether.client.NetworkMonitor;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.Enumeration;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link NetworkMonitor}: the network is available when some interface is up, is not
 * loopback and has an address. It polls on the shared scheduler only while someone is subscribed.
 */
public final class InterfacePollingMonitor implements NetworkMonitor {
  private static final Logger log = LoggerFactory.getLogger(InterfacePollingMonitor.class);
  private static final InterfacePollingMonitor SHARED =
      new InterfacePollingMonitor(Duration.ofSeconds(3));

  private final Duration interval;
  private final Scheduler scheduler = TetherThreads.scheduler();
  private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
  /** Guarded by this. */
  private Scheduler.Cancellable poll = Scheduler.Cancellable.DONE;
  /** Last observed availability; written by the poll task only. */
  private volatile boolean available = probe();

  public InterfacePollingMonitor(Duration interval) {
    Objects.requireNonNull(interval, "interval == null");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be > 0: " + interval);
    }
    this.interval = interval;
  }

  public static InterfacePollingMonitor shared() {
    return SHARED;
  }

  @Override
  public boolean isAvailable() {
    return available;
  }

  @Override
  public Subscription subscribe(Listener listener) {
    Objects.requireNonNull(listener, "listener == null");
    synchronized (this) {
      listeners.add(listener);
      if (listeners.size() == 1) {
        available = probe();
        poll = scheduler.schedule(this::poll, interval);
      }
    }
    return () -> {
      synchronized (this) {
        if (listeners.remove(listener) && listeners.isEmpty()) {
          poll.cancel();
        }
      }
    };
  }

  private void poll() {
    boolean now = probe();
    boolean changed = now != available;
    available = now;
    if (changed) {
      for (Listener l : listeners) {
        try {
          l.onAvailabilityChanged(now);
        } catch (RuntimeException e) {
          log.warn("network listener threw", e);
        }
      }
    }
    synchronized (this) {
      if (!listeners.isEmpty()) {
        poll = scheduler.schedule(this::poll, interval);
      }
    }
  }

  static boolean probe() {
    try {
      Enumeration<NetworkInterface> all = NetworkInterface.getNetworkInterfaces();
      while (all != null && all.hasMoreElements()) {
        NetworkInterface ni = all.nextElement();
        if (ni.isUp() && !ni.isLoopback() && ni.getInetAddresses().hasMoreElements()) {
          return true;
        }
      }
      return false;
    } catch (SocketException e) {
      log.debug("cannot list network interfaces; assuming the network is available", e);
      return true;
    }
  }

  @Override
  public String toString() {
    return "NetworkMonitor.interfaces(" + interval + ")";
  }
}

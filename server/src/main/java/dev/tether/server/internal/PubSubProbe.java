package dev.tether.server.internal;

import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * Finds a pub/sub connection that stopped delivering while its TCP connection looks healthy (a
 * subscription left on a demoted primary after a failover, a half-open connection: the failure
 * centrifugal/centrifugo#1189 describes). {@link #tick()} runs once per probe interval:
 * <ul>
 *   <li>if anything arrived on the connection since the last tick, it is alive: nothing to do;
 *   <li>else the probe publishes to the node's own probe channel, through the command connection.
 *       Redis answers with the number of subscribers: 0 means Redis does not know our subscription,
 *       so the connection is replaced at once; otherwise the message must be back by the next tick,
 *       or the connection is replaced then. A publish that fails says the command path is down
 *       (Lettuce is reconnecting), not the subscription: nothing is replaced, the next tick tries
 *       again.
 * </ul>
 * Replacements in a row back off: after one, the next {@code 1, 2, 4 … 10} ticks are skipped (the
 * new connection gets that long to prove itself), until something arrives again.
 *
 * <p>Time comes in only through the ticks, so tests drive it on fake time. Thread-safe: ticks and
 * publish completions take this object's monitor; the target is called under it and must only
 * start work, not wait for it.
 */
final class PubSubProbe {
  /** The most ticks skipped after a replacement. */
  static final int MAX_BACKOFF_TICKS = 10;

  /** What the probe watches and acts on. */
  interface Target {
    /** Whether a connection is open (false while a replacement connects or failed to). */
    boolean connected();

    /** Publishes a probe to our own probe channel; the stage has Redis's count of subscribers. */
    CompletionStage<Long> publishProbe();

    /** Replaces the connection. */
    void replace(String why);
  }

  private final Target target;
  private final LongSupplier received;
  /** Guarded by this; what {@link #received} said at the last tick. */
  private long lastReceived = -1;
  /** Guarded by this; the probe was published to subscribers and its message is awaited. */
  private boolean awaiting;
  /** Guarded by this; a publish in flight. */
  private boolean publishing;
  /** Guarded by this; ticks still to skip after a replacement. */
  private int skip;
  /** Guarded by this; how many ticks the last replacement made us skip. */
  private int backoff;

  PubSubProbe(Target target, LongSupplier received) {
    this.target = target;
    this.received = received;
  }

  /** One probe interval passed. */
  synchronized void tick() {
    long now = received.getAsLong();
    if (now != lastReceived) {
      lastReceived = now;
      awaiting = false;
      backoff = 0;
      skip = 0;
      return;
    }
    if (skip > 0) {
      skip--;
      return;
    }
    if (!target.connected()) {
      replace("is closed");
      return;
    }
    if (awaiting) {
      replace("delivered nothing for two probe intervals, not even the probe");
      return;
    }
    if (publishing) {
      return;
    }
    publishing = true;
    target.publishProbe().whenComplete(this::published);
  }

  private synchronized void published(Long subscribers, Throwable error) {
    publishing = false;
    if (error != null || received.getAsLong() != lastReceived) {
      return; // the command path is down (not necessarily the subscription), or the connection spoke
    }
    if (subscribers == 0) {
      replace("has no subscription in Redis (a probe found no subscriber)");
    } else {
      awaiting = true;
    }
  }

  private void replace(String why) {
    awaiting = false;
    lastReceived = received.getAsLong();
    backoff = backoff == 0 ? 1 : Math.min(MAX_BACKOFF_TICKS, backoff * 2);
    skip = backoff;
    target.replace(why);
  }
}

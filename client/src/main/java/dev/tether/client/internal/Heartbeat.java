package dev.tether.client.internal;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One connection's liveness check: a ping every interval from the shared scheduler, and a deadline
 * for each ping's pong. A missed deadline reports the connection dead, once. Works against any RFC
 * 6455 peer, since peers must answer pings.
 *
 * <p>Ping payloads are a 4-byte marker and the ping's sequence number, so that a pong answering the
 * heartbeat is told apart from one answering the user's {@code sendPing} (only the latter reaches
 * the delegate). Thread-safe: the scheduler, the container's reading thread and the socket call it.
 *
 * <p>The scheduler thread only counts and schedules here: the ping itself is handed to
 * {@code pinger}, which writes it elsewhere ({@link Outbound#heartbeatPing}), because a ping write
 * may block (Jetty's {@code sendPing} waits until the frame is written) and a peer that stops
 * reading must not freeze the deadline meant to find it, nor any other timer.
 */
final class Heartbeat {
  private static final int MARKER = 0x54485442; // "THTB"
  private static final int SIZE = 12;

  private final Scheduler scheduler;
  private final Duration interval;
  private final Duration pongTimeout;
  private final Consumer<ByteBuffer> pinger;
  private final Consumer<TimeoutException> onDead;

  /** Guarded by this. */
  private boolean stopped;
  private long pingsSent;
  private long pongsReceived;
  /** When the last ping went out, in scheduler nanos. */
  private long lastPingAt;
  private long lastRttNanos = -1;
  private Scheduler.Cancellable tick = Scheduler.Cancellable.DONE;
  /**
   * Deadlines of unanswered pings, oldest first; each leaves when it fires. Rarely more than one or
   * two (the pong timeout is usually below the interval), so it starts small; it grows if needed.
   */
  private final ArrayDeque<Scheduler.Cancellable> deadlines = new ArrayDeque<>(2);

  /**
   * @param pinger sends a ping with the given payload; called on the scheduler thread, so it must
   *     only hand the write off
   * @param onDead told when a ping went unanswered; called at most once, on the scheduler thread
   */
  Heartbeat(Scheduler scheduler, Duration interval, Duration pongTimeout, Consumer<ByteBuffer> pinger,
      Consumer<TimeoutException> onDead) {
    this.scheduler = scheduler;
    this.interval = interval;
    this.pongTimeout = pongTimeout;
    this.pinger = pinger;
    this.onDead = onDead;
  }

  /** Starts pinging, unless the interval is zero. */
  synchronized void start() {
    if (!interval.isZero() && !stopped) {
      tick = scheduler.schedule(this::ping, interval);
    }
  }

  /** Stops pinging and forgets every deadline. Idempotent. */
  synchronized void stop() {
    stopped = true;
    tick.cancel();
    deadlines.forEach(Scheduler.Cancellable::cancel);
    deadlines.clear();
  }

  private void ping() {
    long n;
    synchronized (this) {
      if (stopped) {
        return;
      }
      n = ++pingsSent;
      lastPingAt = scheduler.nanoTime();
      deadlines.add(scheduler.schedule(() -> deadline(n), pongTimeout));
      tick = scheduler.schedule(this::ping, interval);
    }
    pinger.accept(payload(n)); // a failed or stuck write shows as a missed deadline
  }

  private void deadline(long ping) {
    TimeoutException dead;
    synchronized (this) {
      deadlines.poll(); // deadlines fire in the order they were set: this one is the oldest
      if (stopped || pongsReceived >= ping) {
        return;
      }
      dead = new TimeoutException(
          "no pong within " + pongTimeout.toMillis() + " ms (" + pongsReceived + " pongs before)");
    }
    stop();
    onDead.accept(dead);
  }

  /**
   * Takes a pong if it answers the heartbeat.
   *
   * @return the round trip of the latest ping if this pong answers it, 0 for an older heartbeat
   *     ping, or -1 if the pong is not the heartbeat's (it answers the user's sendPing)
   */
  long pong(ByteBuffer payload) {
    long n = sequence(payload);
    if (n == 0) {
      return -1;
    }
    synchronized (this) {
      pongsReceived = Math.max(pongsReceived, n);
      if (n == pingsSent) {
        lastRttNanos = scheduler.nanoTime() - lastPingAt;
        return Math.max(1, lastRttNanos);
      }
      return 0;
    }
  }

  static ByteBuffer payload(long sequence) {
    return ByteBuffer.allocate(SIZE).putInt(MARKER).putLong(sequence).flip();
  }

  /** The sequence number in a heartbeat pong, or 0 if {@code payload} is not one. */
  static long sequence(ByteBuffer payload) {
    if (payload.remaining() != SIZE || payload.getInt(payload.position()) != MARKER) {
      return 0;
    }
    return payload.getLong(payload.position() + 4);
  }
}

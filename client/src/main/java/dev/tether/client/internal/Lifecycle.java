package dev.tether.client.internal;

import dev.tether.api.ReadyState;
import dev.tether.api.TetherException;
import dev.tether.client.ReconnectPolicy;
import jakarta.websocket.CloseReason;
import java.time.Duration;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection state machine of one socket: its {@link Phase}, the timer of that phase (connect
 * timeout, backoff wait) and the heartbeat of an open connection.
 *
 * <p>Each event is a method that checks and changes the phase, queues the delegate callbacks the
 * move implies (which fixes their order) and returns what must happen on the wire once the lock is
 * released ({@link After}), in the manner of Jetty's {@code WebSocketSessionState}. An event about a
 * phase or connection that is no longer current is ignored: phases and connections are compared by
 * identity. Decisions that need user code (the {@code reconnectOn} predicate, the network monitor)
 * are made by the caller before it takes the lock and passed in.
 *
 * <p>Threads: every method but {@link #readyState()} must be called holding the socket's lock, and
 * asserts it. Timer tasks only call the {@link Hooks}, on the scheduler thread.
 */
final class Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);

  /** What the lifecycle needs from its socket. */
  interface Hooks {
    /** A new endpoint for connection attempt number {@code number} (counting from 1). */
    Connection newConnection(long number);

    /** A heartbeat for connection {@code c}, which just opened; not started. */
    Heartbeat heartbeat(Connection c);

    /** The connect timeout of {@code attempt} passed. On the scheduler thread: hand work off. */
    void connectTimedOut(Phase.Attempt attempt);

    /** The wait of {@code backoff} is over. On the scheduler thread: hand work off. */
    void backoffOver(Phase.Backoff backoff);

    /** The close timeout of {@code closing} passed. On the scheduler thread: hand work off. */
    void closeTimedOut(Phase.Closing closing);
  }

  private final Object lock;
  private final Scheduler scheduler;
  private final ClientConfig.Timeouts timeouts;
  private final ReconnectPolicy policy;
  private final RandomGenerator random;
  private final Callbacks events;
  private final Hooks hooks;
  /** The URI with its query values masked ({@link Redaction}), for messages. */
  private final String target;

  /** Guarded by lock for writes; volatile so that readyState() needs no lock. */
  private volatile Phase phase = new Phase.Idle();
  /** Guarded by lock. The timer of the current phase, cancelled when the phase ends. */
  private Scheduler.Cancellable timer = Scheduler.Cancellable.DONE;
  /** Guarded by lock. Connection attempts made; numbers them. */
  private long attempts;

  Lifecycle(Object lock, Scheduler scheduler, ClientConfig.Timeouts timeouts, ReconnectPolicy policy,
      RandomGenerator random, Callbacks events, Hooks hooks, String target) {
    this.lock = lock;
    this.scheduler = scheduler;
    this.timeouts = timeouts;
    this.policy = policy;
    this.random = random;
    this.events = events;
    this.hooks = hooks;
    this.target = target;
  }

  /** The current state; any thread, no lock. */
  ReadyState readyState() {
    return phase.readyState();
  }

  Phase phase() {
    assert Thread.holdsLock(lock);
    return phase;
  }

  /** True after the user's close(): nothing may be sent or opened any more. */
  boolean isClosedByUser() {
    assert Thread.holdsLock(lock);
    return phase instanceof Phase.Closing || phase instanceof Phase.Closed;
  }

  /** True if {@code c} is the connection of the current attempt. */
  boolean isAttempt(Connection c) {
    assert Thread.holdsLock(lock);
    return phase instanceof Phase.Attempt a && a.connection() == c;
  }

  /** True if {@code c} is the open connection. */
  boolean isOpen(Connection c) {
    assert Thread.holdsLock(lock);
    return phase instanceof Phase.Open o && o.connection() == c;
  }

  /** True if frames arriving on {@code c} are still delivered: it is open or closing. */
  boolean carries(Connection c) {
    assert Thread.holdsLock(lock);
    return isOpen(c) || phase instanceof Phase.Closing cl && cl.connection() == c;
  }

  /** The connection sends may write to at once (open, outbox flushed), or null: queue instead. */
  Connection writable() {
    assert Thread.holdsLock(lock);
    return phase instanceof Phase.Open o && o.connection().flushed ? o.connection() : null;
  }

  /** The open connection, flushed or not, or null. */
  Connection open() {
    assert Thread.holdsLock(lock);
    return phase instanceof Phase.Open o ? o.connection() : null;
  }

  /** The user's open(): Idle starts an attempt; a no-op while connecting or open. */
  After open(boolean networkUp) {
    assert Thread.holdsLock(lock);
    if (isClosedByUser()) {
      throw new IllegalStateException("open() after close(): a closed socket cannot be reused");
    }
    return phase instanceof Phase.Idle ? startAttempt(0, networkUp) : After.NOTHING;
  }

  /** The handshake of {@code c} completed; the caller set its session. */
  After opened(Connection c) {
    assert Thread.holdsLock(lock);
    if (!isAttempt(c)) {
      return After.close(c, new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "attempt abandoned"));
    }
    enter(new Phase.Open(c));
    Heartbeat heartbeat = hooks.heartbeat(c);
    c.heartbeat = heartbeat;
    heartbeat.start();
    events.open();
    return After.flush(c);
  }

  /**
   * The attempt of {@code c} failed before opening.
   *
   * @param reported what the delegate is told
   * @param terminal true if retrying cannot help (HTTP 401, 404, TLS)
   */
  After attemptFailed(Connection c, Throwable reported, boolean terminal, boolean reconnectable,
      boolean networkUp) {
    assert Thread.holdsLock(lock);
    if (!(phase instanceof Phase.Attempt a && a.connection() == c)) {
      return After.NOTHING;
    }
    events.failure(reported);
    if (terminal) {
      enter(new Phase.Idle());
      return After.drop(new TetherException("not delivered: " + reported.getMessage(), reported));
    }
    return retryOrStop(a.retry(), 1006, reported.getMessage(), reported, reconnectable, networkUp);
  }

  /**
   * The open or closing connection {@code c} ended: the container reported its close.
   *
   * @param failure the error that ended it, reported just before onClose; null for none
   */
  After connectionEnded(Connection c, int code, String reason, boolean clean, Throwable failure,
      boolean reconnectable, boolean networkUp) {
    assert Thread.holdsLock(lock);
    boolean closing = phase instanceof Phase.Closing cl && cl.connection() == c;
    if (!closing && !isOpen(c)) {
      return After.NOTHING;
    }
    if (failure != null) {
      events.failure(failure);
    }
    events.disconnected();
    events.close(code, reason == null ? "" : reason, clean);
    if (closing) {
      enter(new Phase.Closed());
      return After.NOTHING;
    }
    return retryOrStop(0, code, reason, failure, reconnectable, networkUp);
  }

  /** The open connection {@code c} is dead (no pong, no ack): report it, then abort it. */
  After lost(Connection c, String why, Throwable cause, boolean reconnectable, boolean networkUp) {
    assert Thread.holdsLock(lock);
    if (!isOpen(c)) {
      return After.NOTHING;
    }
    return connectionEnded(c, 1006, why, false, cause, reconnectable, networkUp)
        .andAbort(c, new CloseReason(CloseReason.CloseCodes.GOING_AWAY, why));
  }

  /** The wait of {@code backoff} is over: the next attempt starts, unless the phase moved on. */
  After backoffOver(Phase.Backoff backoff, boolean networkUp) {
    assert Thread.holdsLock(lock);
    return phase == backoff ? startAttempt(backoff.retry(), networkUp) : After.NOTHING;
  }

  /** The network monitor reports a change: waits end at once when it is back, pause when it is gone. */
  After networkChanged(boolean available) {
    assert Thread.holdsLock(lock);
    if (!(phase instanceof Phase.Backoff) && !(phase instanceof Phase.WaitingForNetwork)) {
      return After.NOTHING; // an attempt under way goes on; an open connection has its heartbeat
    }
    if (available) {
      log.debug("{}: network available; connecting now", target);
      return startAttempt(0, true);
    }
    if (phase instanceof Phase.Backoff) {
      enter(new Phase.WaitingForNetwork());
    }
    return After.NOTHING;
  }

  /** The user's close(code, reason). Idempotent. */
  After close(int code, String reason) {
    assert Thread.holdsLock(lock);
    Phase p = phase;
    if (isClosedByUser()) {
      return After.NOTHING;
    }
    if (p instanceof Phase.Open o) {
      Phase.Closing closing = new Phase.Closing(o.connection(), code);
      enter(closing);
      // Not the phase's timer: it outlives Closing, to release the TCP connection of a container
      // that reports the close before the peer answered (Tyrus).
      scheduler.schedule(() -> hooks.closeTimedOut(closing), timeouts.close());
      return After.close(o.connection(), new CloseReason(CloseReason.CloseCodes.getCloseCode(code), reason));
    }
    enter(new Phase.Closed());
    if (!(p instanceof Phase.Idle)) {
      // Connecting or waiting: nothing on the wire. A handshake still under way finds its attempt
      // stale when it completes and closes its session.
      events.close(code, reason, true);
    }
    return After.NOTHING;
  }

  /** The close timeout of {@code closing}: an unanswered close ends unclean; the transport goes. */
  After closeTimedOut(Phase.Closing closing) {
    assert Thread.holdsLock(lock);
    if (phase == closing) {
      events.disconnected();
      events.close(closing.code(),
          "no close frame from the peer within " + timeouts.close().toMillis() + " ms", false);
      enter(new Phase.Closed());
    }
    return After.abort(closing.connection(), null);
  }

  private After startAttempt(int retry, boolean networkUp) {
    if (!networkUp) {
      log.debug("{}: network unavailable; waiting before connecting", target);
      enter(new Phase.WaitingForNetwork());
      return After.NOTHING;
    }
    Phase.Attempt attempt = new Phase.Attempt(retry, hooks.newConnection(++attempts));
    enter(attempt);
    timer = scheduler.schedule(() -> hooks.connectTimedOut(attempt), timeouts.connect());
    return After.connect(attempt.connection());
  }

  /** After a failed attempt or a lost connection: wait and retry, wait for the network, or stop. */
  private After retryOrStop(int lastRetry, int code, String reason, Throwable cause, boolean reconnectable,
      boolean networkUp) {
    if (!policy.isEnabled() || !reconnectable) {
      enter(new Phase.Idle());
      String why = reason == null || reason.isEmpty() ? "" : " " + reason;
      return After.drop(new TetherException("not delivered: connection closed with " + code + why
          + (policy.isEnabled() ? "; the close code does not allow reconnecting" : "; reconnect is off"), cause));
    }
    int next = lastRetry + 1;
    if (!policy.allowsAttempt(next)) {
      TetherException gaveUp = new TetherException(
          "gave up reconnecting to " + target + " after " + lastRetry + " attempts", cause);
      events.failure(gaveUp);
      enter(new Phase.Idle());
      return After.drop(gaveUp);
    }
    if (!networkUp) {
      enter(new Phase.WaitingForNetwork());
      return After.NOTHING;
    }
    Duration delay = policy.delay(next, random);
    events.reconnecting(next, delay);
    Phase.Backoff backoff = new Phase.Backoff(next, delay);
    enter(backoff);
    timer = scheduler.schedule(() -> hooks.backoffOver(backoff), delay);
    return After.NOTHING;
  }

  private void enter(Phase next) {
    timer.cancel();
    timer = Scheduler.Cancellable.DONE;
    if (phase instanceof Phase.Open o) {
      o.connection().stopHeartbeat();
    }
    phase = next;
    lock.notifyAll(); // wakes awaitOpen; they look once the lock is released
  }
}

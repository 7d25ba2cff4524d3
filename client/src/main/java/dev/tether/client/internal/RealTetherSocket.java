package dev.tether.client.internal;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.ReadyState;
import dev.tether.api.TetherException;
import dev.tether.api.TetherSocket;
import dev.tether.api.WireRules;
import dev.tether.client.ClientStats;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client behind {@code TetherClient}. It owns the parts, each with one job, and routes every
 * event to the part that decides it:
 *
 * <ul>
 *   <li>{@link Lifecycle}: the connection state machine ({@link Phase}s, their timers, the heartbeat
 *       of an open connection); driven from here by the user's open() and close(), the container's
 *       callbacks, the lifecycle's timers and the network monitor;
 *   <li>{@link DeliveryTracker}: the outbox, envelopes from send to ack, delivery states, ack timeout,
 *       expiry and resend order;
 *   <li>{@link Sender}: the user's sends; {@link Outbound}: writes, pings, close frames, aborts;
 *   <li>{@link WriteFlow}: what is written on the open connection and in which order: sender-order
 *       counters ({@link SenderOrder}), rewinds and waits after refusals, pacing;
 *   <li>{@link Inbound}: frames in, through the codec and room ordering, to callbacks;
 *   <li>{@link StoreSync}: the only caller of the {@code OutboxStore};
 *   <li>{@link Callbacks}: delegate callbacks, queued in order, run one at a time.
 * </ul>
 *
 * <p>Locking: one lock guards the state of all parts, and each part asserts it. A locked section only
 * decides and queues: callbacks and store calls are queued in it (which fixes their order) and
 * started after it ({@link #afterUnlock}); what must happen on the wire comes back as an
 * {@link After} and is done after it ({@link #run}). Nothing waits on the network, the disk or user
 * code (store, network monitor, {@code reconnectOn}) while holding the lock: user code is asked
 * before the lock is taken. Timer tasks on the shared scheduler thread take the lock briefly and hand
 * every write to other threads.
 */
public final class RealTetherSocket implements Connection.Events, Lifecycle.Hooks {
  private static final Logger log = LoggerFactory.getLogger(RealTetherSocket.class);

  private final ClientConfig config;
  private final UriRotation uris;
  private final Object lock = new Object();
  private final Callbacks events;
  private final Scheduler scheduler;
  private final Dialer dialer;
  private final NetworkWatch network;
  private final Counters counters = new Counters();
  private final RoomTracker rooms = new RoomTracker(1024, lock);
  private final StoreSync store;
  private final DeliveryTracker delivery;
  private final Lifecycle lifecycle;
  private final WriteFlow flow;
  private final Outbound outbound;
  private final Inbound inbound;
  private final Sender sender;
  /** The user the server named for the last connection that opened; null if none did or it named none. */
  private volatile String user;
  /** Guarded by lock. Why the socket stopped trying (a final failure, or giving up); null while it tries. */
  private TetherException stopped;

  public RealTetherSocket(ClientConfig config, TetherSocket facade) {
    this.config = config;
    this.uris = new UriRotation(config.target().uris());
    this.events = new Callbacks(config.threads().callbacks(), config.delegate(), facade, config.listener());
    this.scheduler = config.threads().scheduler();
    this.dialer = new Dialer(config);
    this.network = new NetworkWatch(config.retry().networkMonitor(), lock);
    this.store = new StoreSync(config.outbox().store(), lock, events);
    this.delivery = new DeliveryTracker(lock, new Outbox(config.outbox().maxMessages(), config.outbox().maxBytes()),
        events, store, counters, scheduler, config.timeouts().ack(), this::maintenanceTick);
    this.lifecycle = new Lifecycle(lock, scheduler, config.timeouts(), config.retry().policy(),
        config.retry().random(), events, this, uris);
    Runnable afterUnlock = this::afterUnlock; // one instance for all parts
    this.flow = new WriteFlow(lock, lifecycle, delivery, rooms, scheduler, TetherThreads.io(), afterUnlock);
    this.outbound = new Outbound(lock, lifecycle, flow, TetherThreads.io(), afterUnlock);
    this.inbound = new Inbound(lock, lifecycle, delivery, rooms, store, events, counters, outbound, flow,
        config.target().maxMessageSize(), afterUnlock);
    this.sender = new Sender(lock, lifecycle, delivery, store, scheduler, outbound, flow,
        config.target().maxMessageSize(), afterUnlock);
    Map<String, Long> restoredRooms = store.rooms();
    Map<String, String> restoredEpochs = store.roomEpochs();
    List<Envelope> restored = store.pending();
    synchronized (lock) {
      rooms.restore(restoredRooms, restoredEpochs);
      restored.forEach(delivery::restore);
    }
  }

  // ---------------------------------------------------------------------------------- public API

  public ClientStats stats() {
    synchronized (lock) {
      return counters.snapshot(delivery.size());
    }
  }

  public ReadyState readyState() {
    return lifecycle.readyState();
  }

  /** The URI in use, or to be tried next. */
  public java.net.URI uri() {
    return uris.current();
  }

  public int outboxSize() {
    synchronized (lock) {
      return delivery.size();
    }
  }

  public void open() {
    boolean networkUp = network.isUp();
    After after;
    synchronized (lock) {
      stopped = null;
      after = lifecycle.open(networkUp);
    }
    run(after);
    network.subscribe(this::networkChanged);
  }

  /** See {@code TetherClient.user()}. */
  public String user() {
    return user;
  }

  /**
   * Waits until a connection is open. See {@code TetherClient.awaitOpen}.
   *
   * @throws TetherException if the socket stopped (closed, a final failure, gave up) or the time ran out
   * @throws IllegalStateException if {@code open()} was never called
   */
  public void awaitOpen(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (true) {
        Phase phase = lifecycle.phase();
        if (phase instanceof Phase.Open) {
          return;
        }
        if (phase instanceof Phase.Closing || phase instanceof Phase.Closed) {
          throw new TetherException("not open: " + target() + " was closed by close()");
        }
        if (phase instanceof Phase.Idle) {
          if (stopped == null) {
            throw new IllegalStateException("not open: open() was not called");
          }
          throw new TetherException("not open: " + stopped.getMessage().replaceFirst("^not delivered: ", ""), stopped);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          Throwable last = events.lastFailure();
          throw new TetherException("not open within " + timeout.toMillis() + " ms: " + target() + " is "
              + phase.readyState() + (last == null ? "" : "; last failure: " + last.getMessage()), last);
        }
        java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
    }
  }

  /** True if the calling thread runs one of this socket's delegate callbacks or future completions. */
  public boolean isCallbackThread() {
    return events.isCallbackThread();
  }

  public boolean send(String text) {
    return sender.text(text);
  }

  public boolean send(ByteBuffer bytes) {
    return sender.binary(bytes);
  }

  /** See {@link Sender#envelope}. */
  public CompletableFuture<Ack> send(Envelope envelope, Duration expiresAfter) {
    return sender.envelope(envelope, expiresAfter);
  }

  public void sendPing(ByteBuffer payload) {
    sender.ping(payload);
  }

  public void close(int code, String reason) {
    After after;
    synchronized (lock) {
      if (lifecycle.isClosedByUser()) {
        return;
      }
      after = lifecycle.close(code, reason);
      // The store keeps them: a client built on it later sends them.
      delivery.failAll(new TetherException("not delivered: the socket was closed by close()"), false);
    }
    run(after);
    network.close();
    store.settle(target());
  }

  @Override
  public String toString() {
    return "TetherClient{" + HandshakeFailures.redacted(uris.current()) + ", " + readyState() + "}";
  }

  // ------------------------------------------------------------- container callbacks (any thread)

  @Override
  public int maxMessageSize() {
    return config.target().maxMessageSize();
  }

  @Override
  public void opened(Connection c, Session session) {
    After after;
    synchronized (lock) {
      c.session = session;
      c.remote = session.getAsyncRemote();
      c.v2 = WireRules.PROTOCOL_V2.equals(session.getNegotiatedSubprotocol());
      after = lifecycle.opened(c);
      if (after.action() == After.Action.FLUSH) {
        counters.connectionsOpened++;
        user = c.user;
      }
    }
    run(after);
  }

  @Override
  public void text(Connection c, String text) {
    inbound.text(c, text);
  }

  @Override
  public void binary(Connection c, ByteBuffer bytes) {
    inbound.binary(c, bytes);
  }

  @Override
  public void pong(Connection c, ByteBuffer payload) {
    inbound.pong(c, payload);
  }

  @Override
  public void closed(Connection c, int code, String reason) {
    boolean clean = code != 1006;
    boolean reconnect = config.retry().reconnectOn().test(code);
    boolean networkUp = network.isUp();
    After after;
    synchronized (lock) {
      if (!lifecycle.carries(c)) {
        return;
      }
      // A connection that ends without a close frame ended by an error: say which.
      Throwable failure = clean ? null : lifecycle.isOpen(c) ? lostWithoutCloseFrame(c) : c.failure;
      connectionGone();
      after = drop(lifecycle.connectionEnded(c, code, reason, clean, failure, reconnect, networkUp));
    }
    run(after);
  }

  @Override
  public void failed(Connection c, Throwable error) {
    boolean attempt;
    synchronized (lock) {
      attempt = lifecycle.isAttempt(c);
      if (!attempt && lifecycle.carries(c) && c.failure == null) {
        c.failure = error; // the close callback follows and reports it
      }
    }
    if (attempt) {
      attemptFailed(c, error);
    }
  }

  // -------------------------------------------------------------------------- lifecycle hooks

  @Override
  public Connection newConnection(long number, java.net.URI uri) {
    return new Connection(this, number, uri);
  }

  @Override
  public Heartbeat heartbeat(Connection c) {
    return new Heartbeat(scheduler, config.liveness().interval(), config.liveness().pongTimeout(),
        payload -> outbound.heartbeatPing(c, payload), timeout -> lost(c, "heartbeat timeout", timeout));
  }

  @Override
  public void connectTimedOut(Phase.Attempt attempt) {
    TimeoutException timeout = new TimeoutException(
        "no handshake response within " + config.timeouts().connect().toMillis() + " ms from "
            + HandshakeFailures.redacted(attempt.connection().uri));
    attemptFailed(attempt.connection(), new HandshakeFailures.Verdict(timeout, false));
  }

  @Override
  public void backoffOver(Phase.Backoff backoff) {
    boolean networkUp = network.isUp();
    After after;
    synchronized (lock) {
      after = lifecycle.backoffOver(backoff, networkUp);
    }
    run(after);
  }

  @Override
  public void closeTimedOut(Phase.Closing closing) {
    After after;
    synchronized (lock) {
      after = lifecycle.closeTimedOut(closing);
    }
    run(after);
  }

  // ---------------------------------------------------------------------------------- internals

  /** The handshake of {@code c}, on an I/O thread: connectToServer blocks until it completes. */
  private void connect(Connection c) {
    synchronized (lock) {
      if (!lifecycle.isAttempt(c)) {
        return; // timed out or closed while waiting for an io thread: don't tie one up for nothing
      }
    }
    try {
      dialer.connect(c);
    } catch (Exception e) {
      attemptFailed(c, e);
    }
  }

  private void attemptFailed(Connection c, Throwable failure) {
    boolean openedBefore;
    synchronized (lock) {
      openedBefore = lifecycle.openedBefore(c.uri);
    }
    attemptFailed(c, HandshakeFailures.judge(c.uri, failure, openedBefore));
  }

  private void attemptFailed(Connection c, HandshakeFailures.Verdict verdict) {
    boolean reconnect = config.retry().reconnectOn().test(1006);
    boolean networkUp = network.isUp();
    After after;
    synchronized (lock) {
      after = drop(lifecycle.attemptFailed(c, verdict.reported(), verdict.terminal(), reconnect, networkUp));
    }
    run(after);
  }

  /** The open connection {@code c} is dead although the container has not noticed: abort it. */
  private void lost(Connection c, String why, Throwable cause) {
    boolean reconnect = config.retry().reconnectOn().test(1006);
    boolean networkUp = network.isUp();
    After after;
    synchronized (lock) {
      if (!lifecycle.isOpen(c)) {
        return;
      }
      log.info("{}: {}; aborting the connection", HandshakeFailures.redacted(c.uri), cause.getMessage());
      connectionGone();
      after = drop(lifecycle.lost(c, why, cause, reconnect, networkUp));
    }
    run(after);
  }

  private void networkChanged(boolean available) {
    After after;
    synchronized (lock) {
      after = lifecycle.networkChanged(available);
    }
    run(after);
  }

  /** The delivery tracker's tick, on the scheduler thread: expiry, and the ack timeout. */
  private void maintenanceTick() {
    Connection open;
    String overdue;
    synchronized (lock) {
      open = lifecycle.open();
      overdue = delivery.tick(open != null);
      if (overdue == null && open != null) {
        overdue = flow.overdue(open, config.timeouts().ack());
      }
    }
    afterUnlock();
    if (overdue != null) {
      lost(open, "ack timeout", new TimeoutException(
          "no ack for " + overdue + " within " + config.timeouts().ack().toMillis() + " ms"));
    }
  }

  /** The open connection ended: what was written on it goes back to waiting. Guarded by lock. */
  private void connectionGone() {
    delivery.connectionLost();
    rooms.connectionLost();
  }

  /**
   * The URIs, query values redacted, for messages and logs that are not about one connection. Made
   * when needed, not kept: every idle client would carry it.
   */
  private String target() {
    return uris.all().stream().map(HandshakeFailures::redacted).collect(java.util.stream.Collectors.joining(", "));
  }

  /** Fails what waits if the transition stopped the socket for good. Guarded by lock. */
  private After drop(After after) {
    if (after.dropQueued() != null) {
      delivery.failAll(after.dropQueued(), true);
      stopped = after.dropQueued();
    }
    return after;
  }

  private IOException lostWithoutCloseFrame(Connection c) {
    Throwable cause = Redaction.scrub(c.failure, c.uri);
    return new IOException("connection to " + HandshakeFailures.redacted(c.uri) + " lost without a close frame"
        + (cause == null ? "" : ": " + cause), cause);
  }

  /** Acts on a transition's answer; call after releasing the lock. */
  private void run(After after) {
    assert !Thread.holdsLock(lock);
    Connection c = after.connection();
    switch (after.action()) {
      case CONNECT -> TetherThreads.io().execute(() -> connect(c));
      case FLUSH -> {
        afterUnlock(); // onOpen first
        outbound.flush(c);
      }
      case CLOSE -> outbound.close(c, after.reason());
      case ABORT -> outbound.abort(c, after.reason());
      case NONE -> {
        // nothing on the wire
      }
    }
    afterUnlock();
  }

  /** Runs what the last locked section queued: delegate callbacks and store writes. */
  private void afterUnlock() {
    events.start();
    store.start();
  }
}

package dev.tether.client.internal;

import dev.tether.api.Ack;
import dev.tether.api.DeliveryState;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ErrorReply;
import dev.tether.api.MalformedEnvelopeException;
import dev.tether.api.OutboxFullException;
import dev.tether.api.ReadyState;
import dev.tether.api.RejectedException;
import dev.tether.api.TetherException;
import dev.tether.api.TetherSocket;
import dev.tether.api.Wire;
import dev.tether.api.WireRules;
import dev.tether.client.ClientStats;
import dev.tether.client.NetworkMonitor;
import dev.tether.client.OutboxStore;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.Session;
import jakarta.websocket.WebSocketContainer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine behind {@code TetherClient}: connection attempts, the outbox, acks, heartbeat,
 * reconnect and close.
 *
 * <p>Locking: every mutable field is guarded by {@link #lock}. Delegate callbacks are queued on
 * {@link #events} while holding the lock (which fixes their order) and run after it is released.
 * The outbox flush on open writes while holding the lock, so that nothing sent later overtakes it;
 * once OPEN, sends write after releasing it (JSR-356 async sends only queue the frame). Blocking
 * container calls (connect, close, abort) run on {@link TetherThreads#io()}.
 *
 * <p>Every {@link Connection} is one attempt. Callbacks from an attempt that is no longer
 * {@link #conn} are stale and ignored, which is how timeouts, aborts and late handshakes stay safe.
 */
public final class RealTetherSocket {
  private static final Logger log = LoggerFactory.getLogger(RealTetherSocket.class);
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();

  private final ClientConfig config;
  private final Callbacks events;
  private final Scheduler scheduler;
  private final WebSocketContainer container;
  private final ClientEndpointConfig endpointConfig;
  private final NetworkMonitor monitor;

  private final Object lock = new Object();
  /** Guarded by lock. */
  private ReadyState state = ReadyState.CLOSED;
  /** Guarded by lock. Set by the user's close(); final. */
  private boolean userClosed;
  /** Guarded by lock. The current attempt or open connection; null when there is none. */
  private Connection conn;
  /** Guarded by lock. */
  private final Outbox outbox;
  /** Guarded by lock. Attempts made since the last connection opened. */
  private int attempt;
  /** Guarded by lock. Pending reconnect wait. */
  private Scheduler.Cancellable reconnectWait = Scheduler.Cancellable.DONE;
  /**
   * Guarded by lock. Identifies the pending reconnect wait; a wait that fires after it was cancelled
   * or replaced finds a different token and does nothing.
   */
  private Object reconnectToken;
  /** Guarded by lock. Rooms joined and the last seq delivered in each; resumed on reconnect. */
  private final RoomTracker rooms = new RoomTracker(1024);
  /** Guarded by lock. Ids of resumes we sent on the current connection, and their rooms. */
  private final Map<String, String> resumes = new HashMap<>();
  /** Guarded by lock. True while a maintenance tick (ack timeout, expiry) is scheduled. */
  private boolean maintenanceScheduled;
  /** Guarded by lock. Counters for {@link #stats()}. */
  private long connectionsOpened;
  private long resends;
  private long duplicatesDropped;
  private long acks;
  private long lastRttNanos = -1;
  /**
   * Persists unacked envelopes and room positions, or null for none; calls other than add run on
   * {@link #storeOps}.
   */
  private final OutboxStore store;
  private final SerialExecutor storeOps = new SerialExecutor(TetherThreads.io());
  /** Guarded by lock. */
  private NetworkMonitor.Subscription networkSubscription;
  /** Guarded by lock. Numbers the attempts, for logs. */
  private long connectionCount;

  public RealTetherSocket(ClientConfig config, TetherSocket facade) {
    this.config = config;
    this.events = new Callbacks(config.threads().callbacks(), config.delegate(), facade);
    this.scheduler = config.threads().scheduler();
    this.container = config.target().container() != null
        ? config.target().container()
        : ContainerSupport.defaultContainer(config.timeouts().connect(), config.target().sslContext());
    this.endpointConfig = EndpointConfigs.create(config.target().headers(), config.target().headerSupplier(), config.target().subprotocols());
    this.monitor = config.retry().networkMonitor();
    this.outbox = new Outbox(config.outbox().maxMessages(), config.outbox().maxBytes());
    this.store = config.outbox().store();
    if (store != null) {
      rooms.restore(store.rooms());
      for (Envelope e : store.pending()) {
        outbox.add(Outbox.Entry.envelope(e, CODEC.encode(e), new CompletableFuture<>()));
      }
    }
  }

  int maxMessageSize() {
    return config.target().maxMessageSize();
  }

  public ClientStats stats() {
    synchronized (lock) {
      return new ClientStats(Math.max(0, connectionsOpened - 1), resends, duplicatesDropped, acks,
          outbox.size(), lastRttNanos < 0 ? null : Duration.ofNanos(lastRttNanos));
    }
  }

  // ---------------------------------------------------------------------------------- public API

  public ReadyState readyState() {
    synchronized (lock) {
      return state;
    }
  }

  public int outboxSize() {
    synchronized (lock) {
      return outbox.size();
    }
  }

  public void open() {
    synchronized (lock) {
      if (userClosed) {
        throw new IllegalStateException("open() after close(): a closed socket cannot be reused");
      }
      if (state != ReadyState.CLOSED) {
        return;
      }
      if (monitor != null && networkSubscription == null) {
        networkSubscription = monitor.subscribe(this::networkChanged);
      }
      attempt = 0;
      startAttempt();
    }
    afterUnlock();
  }

  /** Refuses an outgoing message over the size limit. */
  private void checkSize(long bytes) {
    if (bytes > config.target().maxMessageSize()) {
      throw new IllegalArgumentException("message > " + config.target().maxMessageSize() + " bytes: " + bytes);
    }
  }

  private void checkSize(String text) {
    // chars * 3 bounds the UTF-8 size: only long texts need counting.
    if ((long) text.length() * 3 > config.target().maxMessageSize()) {
      checkSize(WireRules.utf8Length(text));
    }
  }

  /*
   * Sends while OPEN write after releasing the lock: the container's async send frames and queues
   * the message itself (keeping one thread's calls in order), and holding our lock meanwhile would
   * stall the receiving thread. Nothing can overtake: while OPEN the outbox holds no frames, only
   * envelopes already written. A write that races with the connection ending fails quietly, like
   * any frame in flight when a connection dies; envelopes are kept until acked and written again.
   */

  public boolean send(String text) {
    checkSize(text);
    RemoteEndpoint.Async remote;
    synchronized (lock) {
      if (userClosed) {
        return false;
      }
      if (state != ReadyState.OPEN) {
        return enqueue(Outbox.Entry.text(text)) == null;
      }
      remote = conn.remote;
    }
    writeText(remote, text);
    return true;
  }

  public boolean send(ByteBuffer bytes) {
    checkSize(bytes.remaining());
    RemoteEndpoint.Async remote;
    synchronized (lock) {
      if (userClosed) {
        return false;
      }
      if (state != ReadyState.OPEN) {
        ByteBuffer copy = ByteBuffer.allocate(bytes.remaining()).put(bytes.duplicate()).flip();
        return enqueue(Outbox.Entry.binary(copy)) == null;
      }
      remote = conn.remote;
    }
    writeBinary(remote, bytes.duplicate());
    return true;
  }

  /**
   * Sends an envelope; {@code expiresAfter} (null for never) fails it if no ack came in time. An
   * envelope whose id is already waiting is not sent twice: its existing future is returned.
   */
  public CompletableFuture<Ack> send(Envelope envelope, Duration expiresAfter) {
    String encoded = CODEC.encode(envelope);
    checkSize(encoded);
    CompletableFuture<Ack> future = new CompletableFuture<>();
    RemoteEndpoint.Async remote = null;
    synchronized (lock) {
      if (userClosed) {
        return CompletableFuture.failedFuture(
            new TetherException("not sent: the socket was closed by close(): " + envelope.id()));
      }
      Outbox.Entry existing = outbox.envelope(envelope.id());
      if (existing != null) {
        return existing.future;
      }
      Outbox.Entry entry = Outbox.Entry.envelope(envelope, encoded, future);
      String refusal = enqueue(entry);
      if (refusal != null) {
        future.completeExceptionally(new OutboxFullException(refusal));
        return future;
      }
      if (store != null) {
        try {
          // Durable before send returns; under the lock so the store keeps the outbox's order.
          store.add(envelope, encoded);
        } catch (RuntimeException e) {
          outbox.removeEnvelope(envelope.id());
          future.completeExceptionally(e);
          return future;
        }
      }
      if (expiresAfter != null) {
        entry.expiresAt = scheduler.nanoTime() + expiresAfter.toNanos();
      }
      if (state == ReadyState.OPEN) {
        remote = conn.remote;
        markWritten(entry);
      } else {
        deliveryState(entry, DeliveryState.QUEUED);
      }
      scheduleMaintenance();
    }
    if (remote != null) {
      writeText(remote, encoded);
    }
    afterUnlock();
    return future;
  }

  public void sendPing(ByteBuffer payload) {
    synchronized (lock) {
      if (state == ReadyState.OPEN) {
        writePing(conn.remote, payload.duplicate());
      }
    }
  }

  public void close(int code, String reason) {
    Session toClose = null;
    List<Outbox.Entry> dropped;
    synchronized (lock) {
      if (userClosed) {
        return;
      }
      userClosed = true;
      reconnectWait.cancel();
      reconnectToken = null;
      if (networkSubscription != null) {
        networkSubscription.close();
        networkSubscription = null;
      }
      dropped = outbox.drain();
      Connection c = conn;
      if (state == ReadyState.OPEN) {
        state = ReadyState.CLOSING;
        c.cancelHeartbeat();
        c.closeRequested = true;
        c.closeTimer = scheduler.schedule(() -> TetherThreads.io().execute(() -> closeTimedOut(c, code)),
            config.timeouts().close());
        toClose = c.session;
      } else if (state != ReadyState.CLOSED) {
        // Connecting or waiting to reconnect: nothing to close on the wire. A handshake still
        // under way finds itself stale when it completes and closes its session.
        if (c != null) {
          c.cancelTimers();
          conn = null;
        }
        state = ReadyState.CLOSED;
        events.close(code, reason, true);
      }
      // The store keeps them: a client built on it later sends them.
      failAll(dropped, new TetherException("not delivered: the socket was closed by close()"), false);
    }
    if (toClose != null) {
      Session session = toClose;
      CloseReason closeReason = new CloseReason(CloseReason.CloseCodes.getCloseCode(code), reason);
      TetherThreads.io().execute(() -> ContainerSupport.closeQuietly(session, closeReason));
    }
    afterUnlock();
    if (store == null) {
      return;
    }
    // Let pending store writes (acks, room positions) finish, so that the caller may close the store.
    try {
      if (!storeOps.awaitIdle(Duration.ofSeconds(5))) {
        log.warn("{}: outbox store writes still pending after close()", config.target().uri());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs what the last locked section queued: delegate callbacks and store writes. */
  private void afterUnlock() {
    events.start();
    storeOps.start();
  }

  // ---------------------------------------------------------------------------- outbox and writes

  /** Adds to the outbox; returns why it was refused, or null. Guarded by lock. */
  private String enqueue(Outbox.Entry entry) {
    String refusal = outbox.refusal(entry);
    if (refusal != null) {
      log.debug("{}: refused: {}", config.target().uri(), refusal);
      return refusal;
    }
    outbox.add(entry);
    return null;
  }

  private static void writeText(RemoteEndpoint.Async remote, String text) {
    try {
      remote.sendText(text, SendResults.HANDLER);
    } catch (RuntimeException e) {
      // The connection is going away; its close callback follows and queued envelopes are resent.
      log.debug("text write failed", e);
    }
  }

  private static void writeBinary(RemoteEndpoint.Async remote, ByteBuffer bytes) {
    try {
      remote.sendBinary(bytes, SendResults.HANDLER);
    } catch (RuntimeException e) {
      log.debug("binary write failed", e);
    }
  }

  private static void writePing(RemoteEndpoint.Async remote, ByteBuffer payload) {
    try {
      remote.sendPing(payload);
    } catch (Exception e) {
      log.debug("ping write failed", e);
    }
  }

  /**
   * Fails envelope futures and reports dropped frames; {@code forget} also removes the envelopes from
   * the store (they failed for good). Guarded by lock.
   */
  private void failAll(List<Outbox.Entry> entries, TetherException cause, boolean forget) {
    int frames = 0;
    for (Outbox.Entry e : entries) {
      if (e.future != null) {
        fail(e, cause, forget);
      } else {
        frames++;
      }
    }
    if (frames > 0) {
      log.warn("{}: {} queued text/binary messages not sent: {}", config.target().uri(), frames, cause.getMessage());
    }
  }

  // ----------------------------------------------------------------------------------- attempts

  /** Starts one connection attempt, unless the network is down. Guarded by lock. */
  private void startAttempt() {
    state = ReadyState.CONNECTING;
    if (monitor != null && !monitor.isAvailable()) {
      log.debug("{}: network unavailable; waiting before connecting", config.target().uri());
      return;
    }
    Connection c = new Connection(this, ++connectionCount);
    conn = c;
    c.connectTimer = scheduler.schedule(() -> connectTimedOut(c), config.timeouts().connect());
    TetherThreads.io().execute(() -> connect(c));
  }

  private void connect(Connection c) {
    synchronized (lock) {
      if (conn != c) {
        return; // timed out or closed while waiting for an io thread: don't tie one up for nothing
      }
    }
    try {
      container.connectToServer(c, endpointConfig, config.target().uri());
    } catch (Exception e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      attemptFailed(c, new TetherException("cannot connect to " + config.target().uri() + ": " + root, e));
    }
  }

  private void connectTimedOut(Connection c) {
    attemptFailed(c, new TimeoutException(
        "no handshake response within " + config.timeouts().connect().toMillis() + " ms from " + config.target().uri()));
  }

  private void attemptFailed(Connection c, Throwable cause) {
    synchronized (lock) {
      if (conn != c || c.session != null) {
        return;
      }
      String terminal = HandshakeFailures.terminalReason(cause);
      Throwable reported = cause;
      if (terminal != null) {
        c.terminal = true;
        reported = new TetherException("cannot connect to " + config.target().uri() + ": " + terminal, cause);
      }
      ended(c, CloseReason.CloseCodes.CLOSED_ABNORMALLY.getCode(), reported.getMessage(), false, reported);
    }
    afterUnlock();
  }

  /** The handshake completed; called by the connection's endpoint on a container thread. */
  void opened(Connection c, Session session) {
    boolean stale;
    synchronized (lock) {
      stale = conn != c || userClosed;
      if (!stale) {
        c.session = session;
        c.remote = session.getAsyncRemote();
        c.connectTimer.cancel();
        attempt = 0;
        connectionsOpened++;
        rooms.resumePoints().forEach((room, lastSeq) -> sendResume(c, room, lastSeq));
        state = ReadyState.OPEN;
        outbox.forEach(e -> {
          if (e.envelope != null) {
            writeEntry(e);
            return false;
          }
          write(c.remote, e);
          return true;
        });
        scheduleMaintenance();
        startHeartbeat(c);
        events.open();
      }
    }
    if (stale) {
      CloseReason reason = new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "attempt abandoned");
      TetherThreads.io().execute(() -> ContainerSupport.closeQuietly(session, reason));
    }
    afterUnlock();
  }

  /** Writes an envelope entry on the open connection. Guarded by lock. */
  private void writeEntry(Outbox.Entry e) {
    writeText(conn.remote, e.encoded);
    markWritten(e);
  }

  /** Records that an envelope entry is (being) written on the open connection. Guarded by lock. */
  private void markWritten(Outbox.Entry e) {
    if (e.everWritten) {
      resends++;
    }
    e.written = true;
    e.everWritten = true;
    e.writtenAt = scheduler.nanoTime();
    deliveryState(e, DeliveryState.SENT);
  }

  /** Asks the server to replay {@code room} after {@code lastSeq}. Guarded by lock. */
  private void sendResume(Connection c, String room, long lastSeq) {
    Envelope resume = Envelope.resume(room, lastSeq);
    resumes.put(resume.id(), room);
    rooms.resumeSent(room, resume.id());
    writeText(c.remote, CODEC.encode(resume));
  }

  private void deliveryState(Outbox.Entry e, DeliveryState state) {
    events.deliveryState(e.envelope, state);
  }

  /** Fails one envelope. Guarded by lock. */
  private void fail(Outbox.Entry e, TetherException cause, boolean forget) {
    if (forget && store != null) {
      String id = e.envelope.id();
      storeOps.enqueue(() -> store.remove(id));
    }
    deliveryState(e, DeliveryState.FAILED);
    events.fail(e.future, cause);
  }

  private static void write(RemoteEndpoint.Async remote, Outbox.Entry e) {
    if (e.encoded != null) {
      writeText(remote, e.encoded);
    } else if (e.text != null) {
      writeText(remote, e.text);
    } else {
      writeBinary(remote, e.bytes.duplicate());
    }
  }

  /** The container reports the connection closed. */
  void closed(Connection c, int code, String reason) {
    synchronized (lock) {
      if (conn != c) {
        return;
      }
      boolean clean = code != CloseReason.CloseCodes.CLOSED_ABNORMALLY.getCode();
      ended(c, code, reason, clean, clean ? null : c.failure);
    }
    afterUnlock();
  }

  /** The container reports an error; a close callback usually follows. */
  void failed(Connection c, Throwable error) {
    synchronized (lock) {
      if (conn != c) {
        return;
      }
      if (c.session == null) {
        ended(c, CloseReason.CloseCodes.CLOSED_ABNORMALLY.getCode(), String.valueOf(error), false, error);
      } else if (c.failure == null) {
        c.failure = error;
      }
    }
    afterUnlock();
  }

  /**
   * Ends connection {@code c}: reports it, then reconnects, gives up or stays closed. Guarded by lock;
   * {@code c} is {@link #conn}.
   */
  private void ended(Connection c, int code, String reason, boolean clean, Throwable failure) {
    conn = null;
    if (c.closeRequested) {
      c.cancelHeartbeat(); // the close timer still runs, to release the transport
    } else {
      c.cancelTimers();
    }
    outbox.markAllUnwritten();
    rooms.connectionLost();
    resumes.clear();
    if (!userClosed) {
      outbox.forEach(e -> {
        if (e.written) {
          deliveryState(e, DeliveryState.QUEUED);
        }
        return false;
      });
    }
    String why = reason == null ? "" : reason;
    if (failure != null) {
      events.failure(failure);
    }
    if (c.session != null) {
      events.close(code, why, clean);
    }
    if (userClosed) {
      state = ReadyState.CLOSED;
      return;
    }
    if (!c.terminal && config.retry().policy().isEnabled() && config.retry().reconnectOn().test(code)) {
      scheduleReconnect(failure);
    } else {
      state = ReadyState.CLOSED;
      attempt = 0;
      failAll(outbox.drain(), new TetherException(
          "not delivered: connection closed with " + code + (why.isEmpty() ? "" : " " + why)
              + (c.terminal ? "" : config.retry().policy().isEnabled()
                  ? "; the close code does not allow reconnecting" : "; reconnect is off"), failure), true);
    }
  }

  /** Waits for the next attempt, or gives up. Guarded by lock. */
  private void scheduleReconnect(Throwable cause) {
    int next = attempt + 1;
    if (!config.retry().policy().allowsAttempt(next)) {
      state = ReadyState.CLOSED;
      TetherException gaveUp = new TetherException(
          "gave up reconnecting to " + config.target().uri() + " after " + attempt + " attempts", cause);
      attempt = 0;
      events.failure(gaveUp);
      failAll(outbox.drain(), gaveUp, true);
      return;
    }
    state = ReadyState.CONNECTING;
    if (monitor != null && !monitor.isAvailable()) {
      return;
    }
    attempt = next;
    Duration delay = config.retry().policy().delay(next, config.retry().random());
    events.reconnecting(next, delay);
    Object token = new Object();
    reconnectToken = token;
    reconnectWait = scheduler.schedule(() -> reconnectDue(token), delay);
  }

  private void reconnectDue(Object token) {
    synchronized (lock) {
      if (reconnectToken != token || userClosed || conn != null || state != ReadyState.CONNECTING) {
        return;
      }
      reconnectToken = null;
      reconnectWait = Scheduler.Cancellable.DONE;
      startAttempt();
    }
    afterUnlock();
  }

  private void networkChanged(boolean available) {
    synchronized (lock) {
      if (userClosed || state != ReadyState.CONNECTING || conn != null) {
        return;
      }
      // Down: drop the pending wait; attempts resume when the network returns. Up: connect now.
      reconnectWait.cancel();
      reconnectWait = Scheduler.Cancellable.DONE;
      reconnectToken = null;
      if (available) {
        log.debug("{}: network available; connecting now", config.target().uri());
        attempt = 0;
        startAttempt();
      }
    }
    afterUnlock();
  }

  /**
   * The close timeout after the user's close(). If the container has not reported the close yet,
   * the peer never answered: report an unclean close. Either way, abort the transport: Tyrus reports
   * the close as soon as our close frame is written and then keeps the TCP connection open until
   * the peer closes it, which a dead peer never does.
   */
  private void closeTimedOut(Connection c, int code) {
    synchronized (lock) {
      if (conn == c) {
        ended(c, code, "no close frame from the peer within " + config.timeouts().close().toMillis() + " ms",
            false, null);
      }
    }
    ContainerSupport.abort(c.session, c.remote, null);
    afterUnlock();
  }

  // ---------------------------------------------------------------------------------- heartbeat

  /** Starts the connection's heartbeat. Guarded by lock. */
  private void startHeartbeat(Connection c) {
    c.heartbeat = new Heartbeat(scheduler, config.liveness().interval(), config.liveness().pongTimeout(), c.remote,
        timeout -> heartbeatMissed(c, timeout));
    c.heartbeat.start();
  }

  /** A ping of {@code c} went unanswered: the link is dead. */
  private void heartbeatMissed(Connection c, TimeoutException timeout) {
    synchronized (lock) {
      if (conn != c) {
        return;
      }
      log.info("{}: {}; aborting the connection", config.target().uri(), timeout.getMessage());
      ended(c, CloseReason.CloseCodes.CLOSED_ABNORMALLY.getCode(), "heartbeat timeout", false, timeout);
    }
    CloseReason reason = new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "heartbeat timeout");
    TetherThreads.io().execute(() -> ContainerSupport.abort(c.session, c.remote, reason));
    afterUnlock();
  }

  // ------------------------------------------------------------------------------------ inbound

  void pong(Connection c, ByteBuffer payload) {
    Heartbeat heartbeat = c.heartbeat;
    long rtt = heartbeat == null ? -1 : heartbeat.pong(payload);
    synchronized (lock) {
      if (conn != c) {
        return;
      }
      if (rtt >= 0) {
        if (rtt > 0) {
          lastRttNanos = rtt;
        }
        return;
      }
      events.pong(payload);
    }
    afterUnlock();
  }

  /**
   * Closes with 1009 if an incoming message is over the limit. Containers enforce their buffer size
   * only on fragmented messages (Tyrus) or not at all, so the check is ours.
   */
  private boolean tooBig(Connection c, long bytes) {
    if (bytes <= config.target().maxMessageSize()) {
      return false;
    }
    String why = "incoming message > " + config.target().maxMessageSize() + " bytes: " + bytes;
    // Report first: once the close is under way the connection stops being current.
    queueIfCurrent(c, events -> events.failure(new TetherException(why + "; closing with 1009")));
    CloseReason reason = new CloseReason(CloseReason.CloseCodes.TOO_BIG, "message too big");
    TetherThreads.io().execute(() -> ContainerSupport.closeQuietly(c.session, reason));
    return true;
  }

  /** Queues callbacks for something that arrived on {@code c}, unless {@code c} is stale. */
  private void queueIfCurrent(Connection c, java.util.function.Consumer<Callbacks> queue) {
    synchronized (lock) {
      if (conn != c) {
        return;
      }
      queue.accept(events);
    }
    afterUnlock();
  }

  void binary(Connection c, ByteBuffer bytes) {
    if (!tooBig(c, bytes.remaining())) {
      queueIfCurrent(c, events -> events.binary(bytes));
    }
  }

  void text(Connection c, String text) {
    if ((long) text.length() * 3 > config.target().maxMessageSize() && tooBig(c, WireRules.utf8Length(text))) {
      return;
    }
    if (!WireRules.isEnvelope(text)) {
      queueIfCurrent(c, events -> events.text(text));
      return;
    }
    Wire wire;
    try {
      wire = CODEC.decode(text);
    } catch (MalformedEnvelopeException e) {
      queueIfCurrent(c, events -> events.failure(e));
      return;
    }
    queueIfCurrent(c, events -> {
      if (wire instanceof Envelope envelope) {
        if (envelope.type() == Envelope.Type.CHAT) {
          apply(c, rooms.chat(envelope));
        } else {
          events.envelope(envelope);
        }
      } else if (wire instanceof Ack ack) {
        acked(c, ack);
      } else if (wire instanceof ErrorReply error) {
        rejected(c, error);
      }
    });
  }

  /** Delivers what a room step released, reports gaps, asks for a resume. Guarded by lock. */
  private void apply(Connection c, RoomTracker.Step step) {
    duplicatesDropped += step.duplicates();
    for (long[] gap : step.gaps()) {
      events.gap(step.room(), gap[0], gap[1]);
    }
    for (Envelope e : step.deliver()) {
      events.envelope(e);
    }
    if (step.resume()) {
      // A seq jump on a live connection: ask for what is missing.
      sendResume(c, step.room(), step.resumeAfter());
    }
    saveRoomsLater();
  }

  /** Queues a write of the room positions that changed, if there is a store. Guarded by lock. */
  private void saveRoomsLater() {
    if (store == null || !rooms.hasDirty()) {
      return;
    }
    storeOps.enqueue(() -> {
      Map<String, Long> dirty;
      synchronized (lock) {
        dirty = rooms.takeDirty();
      }
      dirty.forEach(store::saveRoom);
    });
  }

  /** Guarded by lock. */
  private void acked(Connection c, Ack ack) {
    String resumedRoom = resumes.remove(ack.id());
    if (resumedRoom != null) {
      apply(c, rooms.resumed(ack.id()));
      return;
    }
    Outbox.Entry entry = outbox.removeEnvelope(ack.id());
    if (entry == null) {
      // A duplicate ack, or one for an envelope that already failed (expired).
      return;
    }
    acks++;
    if (entry.written) {
      lastRttNanos = scheduler.nanoTime() - entry.writtenAt;
    }
    Envelope e = entry.envelope;
    if (e.type() == Envelope.Type.JOIN) {
      rooms.joined(e.room(), ack.seq());
    } else if (e.type() == Envelope.Type.LEAVE) {
      rooms.left(e.room());
    }
    if (store != null) {
      String id = e.id();
      storeOps.enqueue(() -> store.remove(id));
    }
    saveRoomsLater();
    deliveryState(entry, DeliveryState.ACKED);
    events.complete(entry.future, ack);
  }

  /** Guarded by lock. */
  private void rejected(Connection c, ErrorReply error) {
    if (ErrorReply.HISTORY_GAP.equals(error.code()) && error.room() != null) {
      apply(c, rooms.gap(error.room(), error.first(), error.last()));
      return;
    }
    RejectedException rejection = new RejectedException(error);
    Outbox.Entry entry = error.id() == null ? null : outbox.removeEnvelope(error.id());
    if (entry != null) {
      fail(entry, rejection, true);
    } else {
      events.failure(rejection);
    }
  }

  // -------------------------------------------------------------------- ack timeout and expiry

  /** Makes sure a maintenance tick is coming while the outbox holds envelopes. Guarded by lock. */
  private void scheduleMaintenance() {
    if (maintenanceScheduled || outbox.size() == 0 || userClosed) {
      return;
    }
    maintenanceScheduled = true;
    long tick = Math.max(10_000_000L, Math.min(1_000_000_000L, config.timeouts().ack().toNanos() / 4));
    scheduler.schedule(this::maintain, Duration.ofNanos(tick));
  }

  /** Fails expired envelopes; declares the connection dead if an ack is overdue. */
  private void maintain() {
    Connection dead = null;
    synchronized (lock) {
      maintenanceScheduled = false;
      long now = scheduler.nanoTime();
      outbox.forEach(e -> {
        if (e.future != null && e.expiresAt <= now) {
          fail(e, new TetherException("expired: " + e.envelope.id() + " was not acknowledged in time"), true);
          return true;
        }
        return false;
      });
      Outbox.Entry oldest = state == ReadyState.OPEN ? outbox.firstWritten() : null;
      if (oldest != null && now - oldest.writtenAt >= config.timeouts().ack().toNanos()) {
        dead = conn;
        TimeoutException timeout = new TimeoutException("no ack for " + oldest.envelope.id() + " within "
            + config.timeouts().ack().toMillis() + " ms");
        log.info("{}: {}; aborting the connection", config.target().uri(), timeout.getMessage());
        ended(dead, CloseReason.CloseCodes.CLOSED_ABNORMALLY.getCode(), "ack timeout", false, timeout);
      }
      scheduleMaintenance();
    }
    if (dead != null) {
      Connection c = dead;
      CloseReason reason = new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "ack timeout");
      TetherThreads.io().execute(() -> ContainerSupport.abort(c.session, c.remote, reason));
    }
    afterUnlock();
  }

  @Override
  public String toString() {
    return "TetherClient{" + config.target().uri() + ", " + readyState() + "}";
  }
}

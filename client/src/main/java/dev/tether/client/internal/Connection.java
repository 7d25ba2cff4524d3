package dev.tether.client.internal;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.PongMessage;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.Session;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * One connection attempt and, if it opens, the connection: the JSR-356 endpoint the container
 * calls. It only forwards what the container reports to {@link Events}; the socket decides, and
 * ignores a connection that is no longer the one its current {@link Phase} holds. One instance per
 * attempt, so the instance itself tells a stale callback from a current one.
 *
 * <p>Fields are guarded by the socket's lock, except where noted. What only some connections need
 * (lost rooms, queues of frames and pings) is created when first needed: most connections are idle.
 */
final class Connection extends Endpoint {
  private static final VarHandle HEARTBEAT_PING_PENDING;

  static {
    try {
      HEARTBEAT_PING_PENDING = MethodHandles.lookup()
          .findVarHandle(Connection.class, "heartbeatPingPending", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Hears what the container reports; implemented by the socket. Called on container threads. */
  interface Events {
    int maxMessageSize();

    void opened(Connection c, Session session);

    void text(Connection c, String text);

    /** {@code bytes} belongs to the container and may be reused once this returns. */
    void binary(Connection c, ByteBuffer bytes);

    /** {@code payload} belongs to the container and may be reused once this returns. */
    void pong(Connection c, ByteBuffer payload);

    void closed(Connection c, int code, String reason);

    void failed(Connection c, Throwable error);
  }

  final long number;
  /** Where this attempt goes: one of the socket's URIs. */
  final URI uri;
  private final Events events;

  /** Set when the handshake completes; null before. */
  Session session;
  /** The session's async remote, taken at open: some containers refuse to hand it out once closed. */
  RemoteEndpoint.Async remote;
  /**
   * The user the server named in its handshake response, null if it named none. Written by the
   * container's thread before {@link #onOpen}; volatile, read when the connection opens.
   */
  volatile String user;
  /** An error the container reported before its close callback. */
  Throwable failure;
  /**
   * True while sends may write directly: the outbox flush after opening is done and the sender
   * order lets new envelopes go (no hold, window open). Kept by {@link WriteFlow}.
   */
  boolean flushed;
  /**
   * True if the server accepted protocol v2 ({@code tether.v2}) for this connection: acks of our
   * chats carry them and stand for the copies it no longer sends. Set when it opens.
   */
  boolean v2;
  /** The sender-order counter and rewind state of this connection. */
  final SenderOrder order = new SenderOrder();
  /** Rooms whose membership the server lost on this connection; null until one is. See {@link #lostRooms()}. */
  private Set<String> lostRooms;
  /** This connection's frames, queued in order under the lock and written without it. Thread-safe. */
  final FrameWriter writer = new FrameWriter(this);
  /**
   * True once a frame from the server arrived: the node works, and a failure after this begins a new
   * round of URIs ({@link UriRotation#answered}). Written by the container's thread, read under the
   * socket's lock.
   */
  volatile boolean answered;
  /** Set when the connection opens; volatile because pongs are matched without the lock. */
  volatile Heartbeat heartbeat;
  /** Pings of this connection, written one at a time on an I/O thread. Thread-safe. */
  final SerialExecutor pings = new SerialExecutor(TetherThreads.io(), "ping write");
  /** True while a heartbeat ping waits to be written or is being written. Changed by CAS. */
  @SuppressWarnings("unused") // through HEARTBEAT_PING_PENDING
  private volatile boolean heartbeatPingPending;

  Connection(Events events, long number, URI uri) {
    this.events = events;
    this.number = number;
    this.uri = uri;
  }

  /** Rooms whose membership the server lost on this connection, to resume at the barrier's lift. */
  Set<String> lostRooms() {
    if (lostRooms == null) {
      lostRooms = new LinkedHashSet<>();
    }
    return lostRooms;
  }

  /** True if no room was lost on this connection so far. For tests. */
  boolean noLostRooms() {
    return lostRooms == null;
  }

  /** Marks a heartbeat ping as waiting to be written: false if the previous one still waits. Any thread. */
  boolean claimHeartbeatPing() {
    return HEARTBEAT_PING_PENDING.compareAndSet(this, false, true);
  }

  /** The pending heartbeat ping was written (or failed to be). Any thread. */
  void heartbeatPingWritten() {
    heartbeatPingPending = false;
  }

  void stopHeartbeat() {
    Heartbeat h = heartbeat;
    if (h != null) {
      h.stop();
    }
  }

  @Override
  public void onOpen(Session session, EndpointConfig config) {
    ContainerSupport.configure(session);
    session.setMaxTextMessageBufferSize(events.maxMessageSize());
    session.setMaxBinaryMessageBufferSize(events.maxMessageSize());
    session.addMessageHandler(String.class, text -> {
      heard();
      events.text(this, text);
    });
    session.addMessageHandler(ByteBuffer.class, bytes -> {
      heard();
      events.binary(this, bytes);
    });
    session.addMessageHandler(PongMessage.class, pong -> {
      heard();
      events.pong(this, pong.getApplicationData());
    });
    events.opened(this, session);
  }

  private void heard() {
    if (!answered) {
      answered = true;
    }
  }

  @Override
  public void onClose(Session session, CloseReason reason) {
    events.closed(this, reason.getCloseCode().getCode(), reason.getReasonPhrase());
  }

  @Override
  public void onError(Session session, Throwable error) {
    events.failed(this, error);
  }

  @Override
  public String toString() {
    return "Connection#" + number;
  }
}

package dev.tether.client.internal;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.PongMessage;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;

/**
 * One connection attempt and, if it opens, the connection: the JSR-356 endpoint the container calls,
 * plus the per-connection timers and heartbeat. The container's callbacks are forwarded to
 * the owning {@link RealTetherSocket}, which ignores them once this is no longer its current
 * connection. Fields are guarded by the socket's lock, except where noted.
 */
final class Connection extends Endpoint {
  private final RealTetherSocket socket;
  final long number;

  /** Set when the handshake completes; null before. */
  Session session;
  /** The session's async remote, taken at open: some containers refuse to hand it out once closed. */
  RemoteEndpoint.Async remote;
  /** True if this attempt failed in a way retrying cannot fix (HTTP 401/403, TLS). */
  boolean terminal;
  /** True once the user's close() sent our close frame on this connection. */
  boolean closeRequested;
  /** An error the container reported before its close callback. */
  Throwable failure;
  Scheduler.Cancellable connectTimer = Scheduler.Cancellable.DONE;
  Scheduler.Cancellable closeTimer = Scheduler.Cancellable.DONE;
  /** Set when the connection opens; volatile because pongs are read without the lock. */
  volatile Heartbeat heartbeat;

  Connection(RealTetherSocket socket, long number) {
    this.socket = socket;
    this.number = number;
  }

  void cancelHeartbeat() {
    Heartbeat h = heartbeat;
    if (h != null) {
      h.stop();
    }
  }

  void cancelTimers() {
    connectTimer.cancel();
    closeTimer.cancel();
    cancelHeartbeat();
  }

  @Override
  public void onOpen(Session session, EndpointConfig config) {
    ContainerSupport.configure(session);
    session.setMaxTextMessageBufferSize(socket.maxMessageSize());
    session.setMaxBinaryMessageBufferSize(socket.maxMessageSize());
    session.addMessageHandler(String.class, text -> socket.text(this, text));
    session.addMessageHandler(ByteBuffer.class, bytes -> socket.binary(this, bytes));
    session.addMessageHandler(PongMessage.class, pong -> socket.pong(this, pong.getApplicationData()));
    socket.opened(this, session);
  }

  @Override
  public void onClose(Session session, CloseReason reason) {
    socket.closed(this, reason.getCloseCode().getCode(), reason.getReasonPhrase());
  }

  @Override
  public void onError(Session session, Throwable error) {
    socket.failed(this, error);
  }

  @Override
  public String toString() {
    return "Connection#" + number;
  }
}

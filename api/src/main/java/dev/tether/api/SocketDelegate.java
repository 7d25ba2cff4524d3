package dev.tether.api;

import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * Hears what happens on a {@link TetherSocket}; SocketRocket's {@code SRWebSocketDelegate}. Every
 * method is a no-op by default, so implement only what you need.
 *
 * <h2>Threads and order</h2>
 * Callbacks for one socket run one at a time, in the order the events happened, on the socket's
 * callback executor (by default a serial executor on a shared pool of daemon threads named
 * {@code tether-callback-N}). They never run while the socket holds its own lock, so a callback may
 * call any socket method. A callback that throws is logged and does not disturb the socket or later
 * callbacks. A slow callback delays later callbacks of the same socket, but not its heartbeat or other
 * sockets.
 *
 * <h2>Lifecycle of one connection</h2>
 * <ul>
 *   <li>A connection that opens produces {@link #onOpen}, then messages, then exactly one
 *       {@link #onClose}. If it ended because of an error rather than a close frame, {@link #onFailure}
 *       with the cause comes first and {@code onClose} follows with {@code wasClean=false}: an
 *       {@link java.io.IOException} for a TCP connection lost without a close frame (reset, EOF), a
 *       {@link java.util.concurrent.TimeoutException} for a missed pong or ack.
 *   <li>An attempt that never opens (refused, handshake failed or timed out) produces exactly one
 *       {@link #onFailure} and no {@code onClose}. A final answer to the handshake (HTTP 401, 403,
 *       404 and the other 4xx but 408 and 429) or a TLS failure is not retried (except a 4xx other
 *       than 401 and 403 from a server that accepted the URI before, which may be restarting).
 *   <li>Your own {@code close()} while connecting or waiting to reconnect produces exactly one
 *       {@code onClose(code, reason, true)} with your code and reason, and no {@code onFailure}; when
 *       the socket is already closed, nothing.
 *   <li>With reconnect on, {@link #onReconnecting} comes before each wait for the next attempt. When
 *       the socket gives up, one final {@code onFailure} says so.
 * </ul>
 * Failures that do not end the connection are also reported to {@link #onFailure}: an envelope the
 * codec could not decode, or a server {@code error} that names no envelope of ours.
 *
 * <h2>What is never lost silently</h2>
 * Chats of a room are delivered once each, in seq order. When some cannot be, you are told:
 * {@link #onGap} for seqs the server's history no longer holds, {@link #onReset} for a server that
 * lost the room's stream.
 */
public interface SocketDelegate {

  /** The handshake completed and the socket is {@link ReadyState#OPEN}; queued messages are sent. */
  default void onOpen(TetherSocket socket) {}

  /** A text frame arrived that is not an envelope (it does not start with <code>{</code>). */
  default void onMessage(TetherSocket socket, String text) {}

  /**
   * A binary message arrived. The buffer is yours: a copy made for this call that nobody else holds
   * (containers reuse their own buffers), so you may keep it, read it later or change it.
   */
  default void onMessage(TetherSocket socket, ByteBuffer bytes) {}

  /** An envelope arrived, for example a chat fanned out to a room we joined. */
  default void onEnvelope(TetherSocket socket, Envelope envelope) {}

  /**
   * A pong arrived in answer to {@link TetherSocket#sendPing}; the heartbeat's own pongs are not
   * reported. The payload is yours, as in {@link #onMessage(TetherSocket, ByteBuffer)}.
   */
  default void onPong(TetherSocket socket, ByteBuffer payload) {}

  /** Something failed; see the class documentation for when the connection ends with it. */
  default void onFailure(TetherSocket socket, Throwable error) {}

  /**
   * The connection ended.
   *
   * @param code the close code the peer sent, or the one we sent if the peer's never came; 1006
   *     when the connection was lost without a close frame
   * @param reason the close reason, possibly empty
   * @param wasClean true if both close frames were exchanged
   */
  default void onClose(TetherSocket socket, int code, String reason, boolean wasClean) {}

  /**
   * Chats {@code fromSeq..toSeq} of {@code room} were missed and can no longer be replayed: the
   * server's history does not reach back that far (for example after a long time offline). Chats
   * after {@code toSeq} are delivered as usual. Nothing is skipped without this call.
   */
  default void onGap(TetherSocket socket, String room, long fromSeq, long toSeq) {}

  /**
   * The server no longer has {@code room}'s stream after {@code lastSeqBefore}: chats of the old
   * stream after it that you did not get are lost, and what follows is a new stream, numbered from
   * seq 1 again. This happens when a server loses its state (an in-memory server restarted after a
   * crash or a deploy, a wiped store); PROTOCOL.md calls it a <em>reset</em> and tells it by the
   * room's epoch. It never happens across a server restart that keeps its state, nor across a lost
   * connection.
   *
   * <p>What to do: reload the room from your app's own source of truth (your backend's message
   * store, say), as you would after {@link #onGap}; Centrifugo tells its users the same when a
   * stream cannot be recovered. Then carry on: the new stream is delivered to {@link #onEnvelope}
   * once, in seq order, from its first seq.
   *
   * <p>Called once per reset, before any chat of the new stream is delivered. A chat you already
   * got in the old stream and that its sender resends (its ack was lost with the old server) comes
   * back with a new seq; it is not delivered again if it is among the last 1,024 chats delivered in
   * the room before the reset (the client remembers their senders and ids, in memory).
   *
   * @param lastSeqBefore the last seq of the old stream delivered to you (0 if none)
   */
  default void onReset(TetherSocket socket, String room, long lastSeqBefore) {}

  /**
   * An envelope we sent changed {@linkplain DeliveryState delivery state}. Only called if the
   * delegate overrides it, so that clients that do not watch pay nothing. Envelopes recovered from a
   * durable outbox after a restart are reported too, though their futures are gone.
   */
  default void onDeliveryState(TetherSocket socket, Envelope envelope, DeliveryState state) {}

  /**
   * The socket will try to connect again after {@code delay}.
   *
   * @param attempt 1 for the first retry after a connection was lost, counting up until one opens;
   *     a socket with several URIs waits (and counts) once per round of them that failed
   */
  default void onReconnecting(TetherSocket socket, int attempt, Duration delay) {}
}

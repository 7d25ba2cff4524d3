package dev.tether.api;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * A WebSocket connection for instant messaging, modelled on SocketRocket's {@code SRWebSocket}: you
 * {@link #open()} it, send text, binary or {@linkplain Envelope envelopes}, and a
 * {@link SocketDelegate} hears what happens.
 *
 * <h2>States</h2>
 * A new socket is {@link ReadyState#CLOSED} until {@link #open()}; then {@link ReadyState#CONNECTING},
 * {@link ReadyState#OPEN} once the handshake completes, and {@link ReadyState#CLOSING} /
 * {@link ReadyState#CLOSED} after {@link #close()}. An implementation that reconnects goes back to
 * {@code CONNECTING} after an abnormal disconnect.
 *
 * <h2>Sending</h2>
 * Every {@code send} returns at once and never blocks on the network. Messages sent while the socket
 * is not {@code OPEN} (before {@code open()}, while connecting or reconnecting) wait in an outbox and
 * are written in order, before anything sent later, as soon as a connection opens. After the user's
 * {@link #close()} every send is refused: the boolean sends return {@code false} and the envelope
 * future fails. Network failures are never thrown at the caller; they go to the delegate.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe and may be called from any thread, including from delegate callbacks.
 * Messages sent from one thread are written in the order of the calls.
 */
public interface TetherSocket extends AutoCloseable {

  /** The URI this socket connects to. */
  URI uri();

  /** The current state; it may change as soon as this method returns. */
  ReadyState readyState();

  /**
   * Who the server says this socket is: the name it puts in the {@code from} of the chats this
   * socket sends. Your own chats come back to {@link SocketDelegate#onEnvelope} like everyone
   * else's; {@code envelope.from().equals(socket.user())} tells them apart. Learnt from the
   * handshake of each connection (PROTOCOL.md, "Who you are"), so it is set before
   * {@link SocketDelegate#onOpen} and kept after the connection ends; an anonymous user may get a
   * new name on each connection.
   *
   * @return the user of the last connection that opened; null before one opened, or if the server
   *     did not say (not a Tether server)
   */
  String user();

  /**
   * Starts connecting and returns at once; the delegate's {@code onOpen} or {@code onFailure} tells
   * the outcome. A no-op while {@code CONNECTING} or {@code OPEN}, so calling it twice never opens
   * two connections.
   *
   * @throws IllegalStateException if {@link #close()} was called: a closed socket cannot be reused
   */
  void open();

  /**
   * Sends a text frame, or queues it in the outbox while not open.
   *
   * @return true if the message was written or queued; false if the socket was closed by
   *     {@link #close()} or the outbox is full
   * @throws NullPointerException if {@code text} is null
   */
  boolean send(String text);

  /**
   * Sends a binary frame with the bytes remaining in {@code bytes}, or queues a copy of them while
   * not open. The buffer's position is not changed.
   *
   * @return true if the message was written or queued; false if the socket was closed by
   *     {@link #close()} or the outbox is full
   * @throws NullPointerException if {@code bytes} is null
   */
  boolean send(ByteBuffer bytes);

  /**
   * Sends an envelope and returns a future that completes with the server's {@link Ack}. The future
   * fails with a {@link RejectedException} if the server refuses the envelope for good (for example
   * {@code not_member} for a room the app never joined or left; a client that knows it is in the
   * room takes {@code not_member} for a lost membership, resumes the room and writes the chat
   * again), and with a {@link TetherException} if it cannot be delivered (the socket
   * was closed, the outbox was full, it expired, reconnecting gave up). A refusal that takes nothing
   * and asks for the envelope again ({@code rate_limited}, {@code unavailable}, {@code out_of_order})
   * does not fail it: it stays in the outbox and is written again, in order, after the server's
   * {@code retry_after} (PROTOCOL.md, "Sender order"). It never fails silently and never completes
   * twice. The ack of a chat has its id and seq, whichever protocol version the connection speaks;
   * the chat itself, as the server stamped it, reaches {@link SocketDelegate#onEnvelope} like
   * everyone else's, in the room's seq order.
   *
   * <p><b>Which thread completes it.</b> Tether's client completes a future with its ack (or a
   * refusal) on the thread that read the server's answer, a container I/O thread, right after its
   * lock is released: no hand-off to the callback executor, and no wait behind a delegate callback
   * that is still running. A future that fails for another reason (expiry, {@code close()}, giving
   * up) completes on the callback executor, or on the thread that called {@code close()}.
   * Completions of one socket run one at a time, in the order they were decided, but not in any
   * order with the delegate's callbacks (the {@code onDeliveryState} and {@code onEnvelope} about
   * the same envelope may run before or after it). Dependent stages attached with
   * {@code thenAccept} and the like run on that thread too: keep them short, or attach them with
   * {@code thenAcceptAsync(action, executor)} to run blocking work elsewhere, since a container I/O
   * thread that blocks reads nothing else meanwhile. A client given a {@code ClientEventListener}
   * instead completes its futures on the callback executor, in the delegate's queue, each after the
   * listener was told of its ack.
   *
   * @throws NullPointerException if {@code envelope} is null
   */
  CompletableFuture<Ack> send(Envelope envelope);

  /**
   * Sends a ping frame; the peer's pong arrives at {@link SocketDelegate#onPong}. Does nothing unless
   * {@code OPEN}. Returns at once: the payload is copied and written on another thread.
   *
   * @param payload at most 125 bytes (RFC 6455 control frame limit); the buffer is not changed
   * @throws IllegalArgumentException if {@code payload} has more than 125 bytes remaining
   * @throws NullPointerException if {@code payload} is null
   */
  void sendPing(ByteBuffer payload);

  /**
   * Closes with code 1000 (normal closure). Idempotent; no reconnect happens after it, and a
   * reconnect wait under way is cancelled. When {@code OPEN}, ends with
   * {@link SocketDelegate#onClose} once the close handshake completes (or, if the peer never
   * answers, after a close timeout with {@code wasClean=false}); while {@code CONNECTING} or waiting
   * to reconnect, {@code onClose(code, reason, true)} follows at once (and no {@code onFailure}: the
   * attempt under way is abandoned, see {@link SocketDelegate}); when already {@code CLOSED} nothing
   * is called. Envelopes still waiting fail their futures.
   */
  @Override
  void close();

  /**
   * Closes with the given code and reason. Idempotent: only the first close sends a close frame.
   *
   * @param code 1000-1003, 1007-1014, or 3000-4999; RFC 6455 forbids sending the others
   * @param reason at most 123 UTF-8 bytes; may be empty
   * @throws IllegalArgumentException for a forbidden code or a reason over 123 bytes
   * @throws NullPointerException if {@code reason} is null
   */
  void close(int code, String reason);
}

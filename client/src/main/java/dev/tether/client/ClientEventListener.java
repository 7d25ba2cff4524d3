package dev.tether.client;

import dev.tether.api.Envelope;
import java.time.Duration;

/**
 * Hears what a {@link TetherClient} measures and notices, for metrics and tracing: connections
 * opening and ending, heartbeat round trips, how long envelopes took to be acknowledged, gaps and
 * resets. In the spirit of OkHttp's {@code EventListener}: every method is a no-op by default, so an
 * implementation overrides what it needs, and methods may be added in later versions. Set it with
 * {@link TetherClient.Builder#eventListener}; {@code tether-micrometer}'s
 * {@code TetherClientMetrics} is one.
 *
 * <p>Unlike the {@link dev.tether.api.SocketDelegate}, the listener is for observing: it cannot
 * change what the client does, and it is told numbers the delegate is not (durations). Counts the
 * client keeps anyway (acks, resends, duplicates dropped, reconnects, the outbox depth) are in
 * {@link TetherClient#stats()}, not here.
 *
 * <h2>Threads and order</h2>
 * {@link #clientCreated} is called on the thread calling {@link TetherClient.Builder#build()}.
 * Every other method runs on the client's callback executor
 * ({@link TetherClient.Builder#callbackExecutor}), in the same serial queue as the delegate's
 * callbacks: one at a time, in the order the events happened, never while the client holds its
 * lock. Each event is queued just before the delegate callback it goes with, so when
 * {@code onOpen}, {@code onClose}, {@code onGap}, {@code onReset} or an envelope's future is
 * reached, the listener has been told. For that, a client with a listener completes its envelope
 * futures on the callback executor too, in the same queue, instead of on the thread that read the
 * ack (see {@link dev.tether.api.TetherSocket#send}). Durations are measured when the event
 * happens, not when the listener runs. Methods must return quickly and must not block: they hold up the delegate's
 * callbacks (and, with a direct executor, network I/O). What a method throws is logged and
 * ignored.
 *
 * <h2>Cost</h2>
 * Without a listener, nothing is measured or queued for one. With one, each event costs one task
 * in the callback queue: one per ack, one per heartbeat pong, one per connection opened or ended,
 * gap and reset.
 */
public interface ClientEventListener {

  /**
   * The client this listener hears about was built; called once per
   * {@link TetherClient.Builder#build()} of a builder this listener was given to, before
   * {@code build()} returns, on its thread. What it throws, {@code build()} throws.
   */
  default void clientCreated(TetherClient client) {}

  /** A connection opened (the first, or a reconnect); just before {@code onOpen}. */
  default void connected() {}

  /**
   * The open connection ended, whatever ended it (the server, the network, a missed heartbeat or
   * ack, the user's {@code close()}); just before {@code onClose}. Follows each
   * {@link #connected()} exactly once.
   */
  default void disconnected() {}

  /**
   * A heartbeat ping was answered by its pong after {@code rtt}: the round trip of the link and
   * the server's WebSocket stack, without Tether's processing. Only the latest ping's pong counts;
   * nothing is measured with the heartbeat off.
   */
  default void rttMeasured(Duration rtt) {}

  /**
   * The server acknowledged {@code envelope} (a chat, a join or a leave; resumes are not
   * reported), {@code sinceFirstWrite} after this client first wrote it: the link's round trip,
   * the server's work (its store's write) and, if the envelope had to be written again, the time
   * spent reconnecting. Time queued before the first write (while offline) is not included. Called
   * once per envelope, just before its future completes; an envelope restored from an
   * {@link OutboxStore} counts from when this client wrote it.
   */
  default void acked(Envelope envelope, Duration sinceFirstWrite) {}

  /**
   * Chats {@code fromSeq..toSeq} of {@code room} are lost to this client (the server's history no
   * longer holds them); just before {@link dev.tether.api.SocketDelegate#onGap}.
   */
  default void gap(String room, long fromSeq, long toSeq) {}

  /**
   * {@code room}'s stream was reset after {@code lastSeqBefore} (the server lost its state); just
   * before {@link dev.tether.api.SocketDelegate#onReset}.
   */
  default void reset(String room, long lastSeqBefore) {}
}

package dev.tether.api;

/**
 * Where an envelope sent with {@link TetherSocket#send(Envelope)} is on its way to the server, as
 * reported to {@link SocketDelegate#onDeliveryState}.
 *
 * <pre>
 *   QUEUED --written--> SENT --ack--> ACKED
 *      ^                  |
 *      +-- connection lost before the ack (written again on the next connection), or refused
 *          without being taken (rate_limited, unavailable: written again after retry_after)
 *   any state but ACKED --> FAILED  (refused for good, expired, closed, gave up)
 * </pre>
 * A connection lost before the ack reads {@code SENT, QUEUED, SENT, ACKED}; so does a
 * {@code rate_limited} answer. An envelope written again at once on the same connection, because a
 * message before it was lost on the way ({@code out_of_order}), stays {@code SENT}.
 */
public enum DeliveryState {
  /** In the outbox, not written on the current connection, or waiting there to be written again. */
  QUEUED,
  /** Written on the current connection; waiting for the server's answer. */
  SENT,
  /** The server acknowledged it; final. */
  ACKED,
  /** It will not be delivered; final. The future says why. */
  FAILED
}

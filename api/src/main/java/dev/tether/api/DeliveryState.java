package dev.tether.api;

/**
 * Where an envelope sent with {@link TetherSocket#send(Envelope)} is on its way to the server, as
 * reported to {@link SocketDelegate#onDeliveryState}.
 *
 * <pre>
 *   QUEUED --written--> SENT --ack--> ACKED
 *      ^                  |
 *      +-- connection lost before the ack (written again on the next connection)
 *   any state but ACKED --> FAILED  (refused by the server, expired, closed, gave up)
 * </pre>
 */
public enum DeliveryState {
  /** In the outbox, not yet written on the current connection. */
  QUEUED,
  /** Written on the current connection; waiting for the server's ack. */
  SENT,
  /** The server acknowledged it; final. */
  ACKED,
  /** It will not be delivered; final. The future says why. */
  FAILED
}

package dev.tether.api;

/**
 * The lifecycle state of a {@link TetherSocket}, named after SocketRocket's {@code SRReadyState}.
 *
 * <pre>
 *   CLOSED --open()--&gt; CONNECTING --handshake ok--&gt; OPEN --close()--&gt; CLOSING --&gt; CLOSED
 *                          ^                          |
 *                          +---- reconnect wait &lt;-----+  (abnormal end, when reconnect is on)
 * </pre>
 *
 * <p>A socket is {@link #CONNECTING} from {@code open()} until the handshake succeeds, and again
 * while it waits to reconnect after an abnormal disconnect. Only in {@link #OPEN} are messages
 * written to the network at once; in every other state they wait in the outbox.
 */
public enum ReadyState {
  /** A handshake is under way, or the socket is waiting to retry one. */
  CONNECTING,
  /** The handshake completed; frames flow both ways. */
  OPEN,
  /** A close frame was sent; waiting for the peer's close frame or the close timeout. */
  CLOSING,
  /** Not connected: before the first {@code open()}, after {@code close()}, or after giving up. */
  CLOSED
}

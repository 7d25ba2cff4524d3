package dev.tether.server.internal;

import dev.tether.api.Envelope;
import java.nio.ByteBuffer;

/**
 * The seam through which test tooling (the stub server's recorder and its handshake switch) watches
 * a server that itself has none. Called on the container's threads; implementations must be quick,
 * thread-safe, and must not throw.
 */
public interface Tap {
  /** Sees nothing and admits every handshake. */
  Tap NONE = new Tap() { };

  /**
   * One handshake attempt, called once per handshake before the server's own checks; false
   * refuses it with 503. Also called for handshakes refused for their origin, whose answer is
   * ignored.
   */
  default boolean handshake() {
    return true;
  }

  /**
   * One frame from {@code user}, before the server acts on it: exactly one of {@code text} and
   * {@code binary} is set; the binary buffer is the tap's own copy; {@code envelope} is the chat,
   * join, leave or resume the text decoded as, else null; {@code n} is the frame's sender-order
   * counter, 0 if it had none or it could not be read. Not called for messages refused as too big.
   */
  default void frame(String user, String text, ByteBuffer binary, Envelope envelope, long n) { }
}

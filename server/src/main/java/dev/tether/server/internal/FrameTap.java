package dev.tether.server.internal;

import dev.tether.api.Envelope;
import java.nio.ByteBuffer;

/**
 * Sees every frame a {@link Hub} receives from a client, before the hub acts on it: the seam through
 * which test tooling (the stub server's recorder) watches a server that itself has none. Called on
 * the container's thread that delivered the frame, one frame of a connection at a time; it must be
 * quick and must not throw.
 */
@FunctionalInterface
public interface FrameTap {
  /** Sees nothing. */
  FrameTap NONE = (user, text, binary, envelope) -> { };

  /**
   * One frame from {@code user}: exactly one of {@code text} and {@code binary} is set; the binary
   * buffer is the tap's own copy; {@code envelope} is the chat, join, leave or resume the text
   * decoded as, else null.
   */
  void received(String user, String text, ByteBuffer binary, Envelope envelope);
}

package dev.tether.stub;

import dev.tether.api.Envelope;
import java.nio.ByteBuffer;

/**
 * One frame a {@link StubServer} received from a client, as returned by
 * {@link StubServer#takeReceived}. Immutable: the binary payload is a read-only buffer.
 *
 * @param user the user of the connection the frame came on (named by its bearer token when the
 *     server requires one, else the {@code user} query parameter of the handshake, or
 *     {@code anon-<n>})
 * @param text the text frame's content; null for a binary frame
 * @param binary the binary frame's content as a read-only buffer; null for a text frame
 * @param envelope the chat, join, leave or resume envelope the text decoded as; null for binary frames, plain
 *     text, malformed envelopes and client-sent {@code ack} or {@code error} frames
 * @param n the frame's sender-order counter (PROTOCOL.md, "Sender order"), which is not part of
 *     {@code envelope}; 0 if it had none (plain and binary frames never do)
 */
public record Received(String user, String text, ByteBuffer binary, Envelope envelope, long n) {
  /** Checks the fields: exactly one of {@code text} and {@code binary}. */
  public Received {
    if ((text == null) == (binary == null)) {
      throw new IllegalArgumentException("exactly one of text and binary must be set");
    }
    if (n < 0) {
      throw new IllegalArgumentException("n < 0: " + n);
    }
    binary = binary == null ? null : binary.asReadOnlyBuffer();
  }

  /** A frame without a sender-order counter. */
  public Received(String user, String text, ByteBuffer binary, Envelope envelope) {
    this(user, text, binary, envelope, 0);
  }

  /** The binary payload as a new array; throws if this is a text frame. */
  public byte[] bytes() {
    if (binary == null) {
      throw new IllegalStateException("text frame: " + text);
    }
    ByteBuffer copy = binary.duplicate();
    byte[] result = new byte[copy.remaining()];
    copy.get(result);
    return result;
  }
}

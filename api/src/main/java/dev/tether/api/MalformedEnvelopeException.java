package dev.tether.api;

/**
 * A text frame that should have been an envelope could not be decoded. The message names what was
 * wrong, for example {@code "missing field 'room' in chat"} or
 * {@code "field 'seq' in ack must be a number, was a string"}.
 */
public final class MalformedEnvelopeException extends TetherException {
  private static final long serialVersionUID = 1L;

  /** A frame that is not a valid envelope; {@code message} names the field and what was wrong. */
  public MalformedEnvelopeException(String message) {
    super(message);
  }

  /** As {@link #MalformedEnvelopeException(String)}, caused by the parser's {@code cause}. */
  public MalformedEnvelopeException(String message, Throwable cause) {
    super(message, cause);
  }
}

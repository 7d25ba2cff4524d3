package dev.tether.api;

/**
 * Base class of the exceptions Tether reports: to a {@link SocketDelegate#onFailure}, to a failed
 * {@code send(Envelope)} future, or thrown by {@link EnvelopeCodec#decode}. Misuse of the API is not
 * reported this way: it throws {@link IllegalArgumentException}, {@link NullPointerException} or
 * {@link IllegalStateException} at the caller.
 */
public class TetherException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An exception that says what went wrong in {@code message}. */
  public TetherException(String message) {
    super(message);
  }

  /** An exception that says what went wrong in {@code message}, caused by {@code cause}. */
  public TetherException(String message, Throwable cause) {
    super(message, cause);
  }
}

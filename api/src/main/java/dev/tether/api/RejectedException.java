package dev.tether.api;

/**
 * The server refused something we sent: it answered with an {@code error} envelope. When the error
 * names the id of an envelope we sent, that envelope's {@code send(Envelope)} future fails with this
 * exception; otherwise it is reported to {@link SocketDelegate#onFailure} and the connection stays
 * open.
 */
public final class RejectedException extends TetherException {
  private static final long serialVersionUID = 1L;

  private final ErrorReply error;

  /** The server's refusal {@code error}; the message names its code and the server's message. */
  public RejectedException(ErrorReply error) {
    super(describe(error));
    this.error = error;
  }

  private static String describe(ErrorReply error) {
    String what = error.id() == null ? "server error" : "server rejected " + error.id();
    return what + ": " + error.code() + ": " + error.message();
  }

  /** The server's error envelope. */
  public ErrorReply error() {
    return error;
  }

  /** The machine-readable error code, for example {@code "not_member"}. */
  public String code() {
    return error.code();
  }
}

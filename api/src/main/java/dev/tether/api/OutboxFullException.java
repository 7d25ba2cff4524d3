package dev.tether.api;

/**
 * A message was refused because the outbox is full: too many messages, or too many bytes, are
 * waiting to be written or acknowledged. The socket stays as it was; try again once the outbox
 * drains (for example after {@link SocketDelegate#onOpen}).
 */
public final class OutboxFullException extends TetherException {
  private static final long serialVersionUID = 1L;

  /** A full outbox; {@code message} says its bounds. */
  public OutboxFullException(String message) {
    super(message);
  }
}

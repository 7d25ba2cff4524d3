package dev.tether.api;

/**
 * One JSON text frame of the Tether IM protocol, as {@link EnvelopeCodec} reads and writes it:
 * an {@link Envelope} (chat, join, leave, resume), an {@link Ack} or an {@link ErrorReply}. See
 * PROTOCOL.md. All are immutable records, safe to share between threads.
 */
public sealed interface Wire permits Envelope, Ack, ErrorReply {
  /** The frame's {@code type} field as it appears on the wire, for example {@code "chat"}. */
  String wireType();
}

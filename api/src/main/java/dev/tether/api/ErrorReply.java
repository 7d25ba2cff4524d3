package dev.tether.api;

import java.util.Objects;

/**
 * The server's refusal of a frame: {@code {"type":"error","id":..,"code":..,"message":..}}.
 *
 * @param id the id of the refused envelope, or null when the refused frame had none (for example
 *     malformed JSON)
 * @param code a machine-readable code such as {@code "malformed"}, {@code "unknown_type"} or
 *     {@code "not_member"}; PROTOCOL.md lists them
 * @param message a human-readable explanation
 */
public record ErrorReply(String id, String code, String message) implements Wire {
  public ErrorReply {
    Objects.requireNonNull(code, "code == null");
    Objects.requireNonNull(message, "message == null");
  }

  @Override
  public String wireType() {
    return "error";
  }
}

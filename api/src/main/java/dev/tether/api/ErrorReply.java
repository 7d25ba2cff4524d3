package dev.tether.api;

import java.util.Objects;

/**
 * The server's refusal of a frame: {@code {"type":"error","id":..,"code":..,"message":..}}. An
 * error about missing history ({@code code "history_gap"}) also names the room and the range of
 * seqs that can no longer be replayed: {@code "room":..,"first":..,"last":..}. An immutable
 * value, safe to share between threads.
 *
 * @param id the id of the refused envelope, or null when the refused frame had none (for example
 *     malformed JSON)
 * @param code a machine-readable code such as {@code "malformed"}, {@code "unknown_type"},
 *     {@code "not_member"} or {@code "history_gap"}; PROTOCOL.md lists them
 * @param message a human-readable explanation
 * @param room for {@code history_gap}, the room; otherwise null
 * @param first for {@code history_gap}, the first missing seq; otherwise 0
 * @param last for {@code history_gap}, the last missing seq; otherwise 0
 */
public record ErrorReply(String id, String code, String message, String room, long first, long last)
    implements Wire {

  /** The code of an error that reports seqs the server no longer holds. */
  public static final String HISTORY_GAP = "history_gap";

  public ErrorReply {
    Objects.requireNonNull(code, "code == null");
    Objects.requireNonNull(message, "message == null");
    if (first < 0 || last < first) {
      throw new IllegalArgumentException("bad range: " + first + ".." + last);
    }
  }

  /** An error without a seq range. */
  public ErrorReply(String id, String code, String message) {
    this(id, code, message, null, 0, 0);
  }

  /** A {@code history_gap} error: seqs {@code first..last} of {@code room} are gone. */
  public static ErrorReply historyGap(String id, String room, long first, long last) {
    Objects.requireNonNull(room, "room == null");
    return new ErrorReply(id, HISTORY_GAP,
        "history of '" + room + "' no longer holds seqs " + first + ".." + last, room, first, last);
  }

  @Override
  public String wireType() {
    return "error";
  }
}

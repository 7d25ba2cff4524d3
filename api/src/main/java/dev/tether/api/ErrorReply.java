package dev.tether.api;

import java.util.Objects;

/**
 * An error frame from the server: {@code {"type":"error","id":..,"code":..,"message":..}} plus the
 * fields its code defines. Most codes refuse the envelope named by {@code id}; two only report
 * something, ahead of a resume's replay: {@code history_gap} and {@code epoch_changed} (see
 * {@link #refused()}). PROTOCOL.md lists every code and its fields. An immutable value, safe to
 * share between threads; the factories make well-formed errors of each kind.
 *
 * <p>Fields a code does not use are {@code null} (strings) or {@code 0} (numbers) and are left out
 * on the wire.
 *
 * @param id the id of the envelope the error is about, or null when the frame had none (for
 *     example malformed JSON, or a plain frame refused by the rate limit)
 * @param code a machine-readable code such as {@code "malformed"} or {@code "not_member"}; the
 *     constants of this class name them
 * @param message a human-readable explanation
 * @param room for {@code history_gap} and {@code epoch_changed}, the room; otherwise null
 * @param first for {@code history_gap}, the first missing seq; otherwise 0
 * @param last for {@code history_gap}, the last missing seq; otherwise 0
 * @param oldEpoch for {@code epoch_changed}, the epoch the resume named (wire {@code old_epoch})
 * @param newEpoch for {@code epoch_changed}, the room's current epoch (wire {@code new_epoch})
 * @param n for {@code out_of_order}, {@code rate_limited} and {@code unavailable}: the sender-order
 *     counter of the refused envelope, if it had one (PROTOCOL.md, "Sender order"); otherwise 0
 * @param expected for {@code out_of_order}: the counter the server waits for; otherwise 0
 * @param retryAfterMillis for {@code rate_limited} and {@code unavailable}: how long to wait
 *     before sending again, in milliseconds (wire {@code retry_after}); otherwise 0
 */
public record ErrorReply(
    String id, String code, String message, String room, long first, long last,
    String oldEpoch, String newEpoch, long n, long expected, long retryAfterMillis)
    implements Wire {

  /** The frame is not valid JSON, not an object, or a field is missing or of the wrong type. */
  public static final String MALFORMED = "malformed";
  /** The envelope's {@code type} is not one of the protocol's. */
  public static final String UNKNOWN_TYPE = "unknown_type";
  /** A client sent {@code ack} or {@code error}, which only the server sends. */
  public static final String UNEXPECTED_TYPE = "unexpected_type";
  /** A chat for a room the connection has not joined. */
  public static final String NOT_MEMBER = "not_member";
  /** The connection sent more than its rate limit; send again after {@link #retryAfterMillis()}. */
  public static final String RATE_LIMITED = "rate_limited";
  /** The envelope's counter is ahead of the one the server waits for: a frame before it was lost. */
  public static final String OUT_OF_ORDER = "out_of_order";
  /** The server cannot take the chat now; send it again after {@link #retryAfterMillis()}. */
  public static final String UNAVAILABLE = "unavailable";
  /** Not a refusal: seqs a resume asked for that the history no longer holds. */
  public static final String HISTORY_GAP = "history_gap";
  /** Not a refusal: the room's stream is not the one a resume named; the whole stream follows. */
  public static final String EPOCH_CHANGED = "epoch_changed";

  /** Checks the fields as PROTOCOL.md describes them; a wrong one throws, naming the field. */
  public ErrorReply {
    Objects.requireNonNull(code, "code == null");
    Objects.requireNonNull(message, "message == null");
    if (first < 0 || last < first) {
      throw new IllegalArgumentException("bad range: " + first + ".." + last);
    }
    if (oldEpoch != null && oldEpoch.isEmpty()) {
      throw new IllegalArgumentException("oldEpoch is empty");
    }
    if (newEpoch != null && newEpoch.isEmpty()) {
      throw new IllegalArgumentException("newEpoch is empty");
    }
    if (n < 0) {
      throw new IllegalArgumentException("n < 0: " + n);
    }
    if (expected < 0) {
      throw new IllegalArgumentException("expected < 0: " + expected);
    }
    if (retryAfterMillis < 0) {
      throw new IllegalArgumentException("retryAfterMillis < 0: " + retryAfterMillis);
    }
  }

  /** An error without extra fields. */
  public ErrorReply(String id, String code, String message) {
    this(id, code, message, null, 0, 0);
  }

  /** An error with a room and a seq range, such as a {@code history_gap}. */
  public ErrorReply(String id, String code, String message, String room, long first, long last) {
    this(id, code, message, room, first, last, null, null, 0, 0, 0);
  }

  /** A {@code history_gap} error: seqs {@code first..last} of {@code room} are gone. */
  public static ErrorReply historyGap(String id, String room, long first, long last) {
    Objects.requireNonNull(room, "room == null");
    return new ErrorReply(id, HISTORY_GAP,
        "history of '" + room + "' no longer holds seqs " + first + ".." + last, room, first, last);
  }

  /**
   * An {@code epoch_changed} error: the resume {@code id} named {@code oldEpoch}, but the room's
   * stream is now {@code newEpoch}; what the server holds of it follows from its first seq.
   */
  public static ErrorReply epochChanged(String id, String room, String oldEpoch, String newEpoch) {
    Objects.requireNonNull(room, "room == null");
    Objects.requireNonNull(oldEpoch, "oldEpoch == null");
    Objects.requireNonNull(newEpoch, "newEpoch == null");
    return new ErrorReply(id, EPOCH_CHANGED,
        "room '" + room + "' has a new stream (epoch " + newEpoch + ", was " + oldEpoch
            + "): replaying it from its first seq",
        room, 0, 0, oldEpoch, newEpoch, 0, 0, 0);
  }

  /**
   * An {@code out_of_order} error: the envelope {@code id} came with counter {@code n}, but the
   * server waits for {@code expected} (smaller): nothing from {@code expected} on is taken until it
   * comes.
   */
  public static ErrorReply outOfOrder(String id, long n, long expected) {
    if (expected < 1 || n <= expected) {
      throw new IllegalArgumentException("not out of order: n " + n + ", expected " + expected);
    }
    return new ErrorReply(id, OUT_OF_ORDER,
        "envelope " + n + " came before envelope " + expected + ": send again from " + expected + ", in order",
        null, 0, 0, null, null, n, expected, 0);
  }

  /**
   * A {@code rate_limited} error for a frame (the envelope {@code id} with counter {@code n}; null
   * and 0 if it had none) refused by the rate limit; send it again after {@code retryAfterMillis}.
   */
  public static ErrorReply rateLimited(String id, long n, long retryAfterMillis, String message) {
    return new ErrorReply(id, RATE_LIMITED, message, null, 0, 0, null, null, n, 0, retryAfterMillis);
  }

  /**
   * An {@code unavailable} error: the server could not take the chat {@code id} (counter
   * {@code n}, 0 if none) now; send it again, with the same id, after {@code retryAfterMillis}.
   */
  public static ErrorReply unavailable(String id, long n, long retryAfterMillis, String message) {
    return new ErrorReply(id, UNAVAILABLE, message, null, 0, 0, null, null, n, 0, retryAfterMillis);
  }

  /**
   * Whether this error refuses the envelope it names: true for every code but {@code history_gap}
   * and {@code epoch_changed}, which report something ahead of a resume's replay and its ack.
   */
  public boolean refused() {
    return !code.equals(HISTORY_GAP) && !code.equals(EPOCH_CHANGED);
  }

  @Override
  public String wireType() {
    return "error";
  }
}

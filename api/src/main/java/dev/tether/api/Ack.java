package dev.tether.api;

import java.util.Objects;

/**
 * The server's acknowledgement of an envelope: {@code {"type":"ack","id":..,"seq":..}}, plus
 * {@code "epoch":..} on the acks of joins, leaves and resumes. It completes the future returned by
 * {@link TetherSocket#send(Envelope)}. An immutable value, safe to share between threads.
 *
 * @param id the id of the acknowledged envelope
 * @param seq for a chat, the seq the server gave it in its room; for join, leave and resume, the
 *     room's latest seq at that moment (0 for a room that has no messages yet)
 * @param epoch for join, leave and resume, the epoch of the room's stream that {@code seq} belongs
 *     to (see PROTOCOL.md, "Epochs"); null on a chat's ack, on the ack of a leave of a room the
 *     server does not have, and from servers without epochs
 */
public record Ack(String id, long seq, String epoch) implements Wire {
  /** Checks the fields: {@code id} non-null, {@code seq} not negative, {@code epoch} null or non-empty. */
  public Ack {
    Objects.requireNonNull(id, "id == null");
    if (seq < 0) {
      throw new IllegalArgumentException("seq < 0: " + seq);
    }
    if (epoch != null && epoch.isEmpty()) {
      throw new IllegalArgumentException("epoch is empty");
    }
  }

  /** An ack without an epoch, such as a chat's. */
  public Ack(String id, long seq) {
    this(id, seq, null);
  }

  @Override
  public String wireType() {
    return "ack";
  }
}

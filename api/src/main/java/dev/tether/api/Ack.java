package dev.tether.api;

import java.util.Objects;

/**
 * The server's acknowledgement of an envelope: {@code {"type":"ack","id":..,"seq":..}}. It completes
 * the future returned by {@link TetherSocket#send(Envelope)}. An immutable value, safe to share
 * between threads.
 *
 * @param id the id of the acknowledged envelope
 * @param seq for a chat, the seq the server gave it in its room; for join and leave, the room's
 *     latest seq at that moment (0 for a room that has no messages yet)
 */
public record Ack(String id, long seq) implements Wire {
  public Ack {
    Objects.requireNonNull(id, "id == null");
    if (seq < 0) {
      throw new IllegalArgumentException("seq < 0: " + seq);
    }
  }

  @Override
  public String wireType() {
    return "ack";
  }
}

package dev.tether.api;

import java.util.Objects;

/**
 * The server's acknowledgement of an envelope: {@code {"type":"ack","id":..,"seq":..}}, plus
 * {@code "epoch":..} on the acks of joins, leaves and resumes. It completes the future returned by
 * {@link TetherSocket#send(Envelope)}. An immutable value, safe to share between threads.
 *
 * <p>On a connection that speaks protocol v2 ({@link WireRules#PROTOCOL_V2}), the ack of a chat the
 * server has just accepted also carries what the server stamped on it, {@code from}, {@code ts} and
 * {@code epoch}: such an ack {@linkplain #carriesChat() carries the chat} and stands for the copy
 * the sender no longer gets (PROTOCOL.md, "Protocol v2").
 *
 * @param id the id of the acknowledged envelope
 * @param seq for a chat, the seq the server gave it in its room; for join, leave and resume, the
 *     room's latest seq at that moment (0 for a room that has no messages yet)
 * @param epoch for join, leave and resume, the epoch of the room's stream that {@code seq} belongs
 *     to (see PROTOCOL.md, "Epochs"); on a chat's ack that {@linkplain #carriesChat() carries the
 *     chat}, the epoch it was accepted in; null on other chat acks, on the ack of a leave of a room
 *     the server does not have, and from servers without epochs
 * @param from on an ack that carries its chat, the sender as the server stamped it; else null
 * @param ts on an ack that carries its chat, the server's time of acceptance in epoch
 *     milliseconds; else 0
 */
public record Ack(String id, long seq, String epoch, String from, long ts) implements Wire {
  /**
   * Checks the fields: {@code id} non-null, {@code seq} not negative, {@code epoch} null or
   * non-empty, {@code ts} not negative.
   */
  public Ack {
    Objects.requireNonNull(id, "id == null");
    if (seq < 0) {
      throw new IllegalArgumentException("seq < 0: " + seq);
    }
    if (epoch != null && epoch.isEmpty()) {
      throw new IllegalArgumentException("epoch is empty");
    }
    if (ts < 0) {
      throw new IllegalArgumentException("ts < 0: " + ts);
    }
  }

  /** An ack without an epoch, such as a chat's. */
  public Ack(String id, long seq) {
    this(id, seq, null, null, 0);
  }

  /** An ack with an epoch (null for none), such as a join's, leave's or resume's. */
  public Ack(String id, long seq, String epoch) {
    this(id, seq, epoch, null, 0);
  }

  /**
   * Whether this is the ack of a chat that carries what the server stamped on it ({@code from} and
   * {@code ts} are set): on a protocol v2 connection, the sender's only copy of its chat.
   */
  public boolean carriesChat() {
    return from != null && ts > 0;
  }

  /**
   * {@code sent}, the chat this ack answers, as the server stamped it: what a copy fanned out to
   * the sender would have been.
   *
   * @throws IllegalStateException if this ack does not {@linkplain #carriesChat() carry its chat}
   * @throws IllegalArgumentException if {@code sent} is not the chat with this ack's id
   */
  public Envelope stamp(Envelope sent) {
    Objects.requireNonNull(sent, "sent == null");
    if (!carriesChat()) {
      throw new IllegalStateException("ack of " + id + " carries no chat (no from and ts)");
    }
    if (!sent.id().equals(id) || sent.type() != Envelope.Type.CHAT) {
      throw new IllegalArgumentException("not the chat acked by " + id + ": " + sent.type().wireName() + " " + sent.id());
    }
    return epoch == null ? sent.accepted(from, seq, ts) : sent.accepted(from, seq, ts, epoch);
  }

  @Override
  public String wireType() {
    return "ack";
  }
}

package dev.tether.api;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * An IM envelope: a chat message, or a request to join, leave or resume a room. Immutable, and
 * safe to share between threads.
 *
 * <p>The client fills in {@link #type}, {@link #id}, {@link #room} and {@link #body}; the server
 * fills in {@link #from}, {@link #seq}, {@link #ts} and {@link #epoch} when it accepts a chat and fans
 * it out. Fields the server has not set yet are {@code null} ({@code from}, {@code epoch}) or
 * {@code 0} ({@code seq}, {@code ts}). Create outgoing envelopes with {@link #chat}, {@link #join},
 * {@link #leave} and {@link #resume}; each gets a fresh id that is unique across processes and
 * restarts (a UUIDv7 string).
 *
 * <p>The sender-order counter {@code n} (PROTOCOL.md, "Sender order") is not part of an envelope:
 * it belongs to one transmission on one connection. Add it to an encoded envelope with
 * {@link EnvelopeCodec#withCounter}; read it with {@link EnvelopeCodec#decodeCounted}.
 *
 * @param type what the envelope asks for
 * @param id unique id chosen by the sender; acks and errors refer to it
 * @param room the room the envelope belongs to
 * @param from the sending user, as the server saw it; null on envelopes not yet accepted
 * @param seq the room's sequence number the server gave a chat: gap-free, starting at 1; 0 if unset.
 *     For {@link Type#RESUME}, the seq to resume after (wire field {@code "after"}).
 * @param ts server time of acceptance in epoch milliseconds; 0 if unset
 * @param body the payload, for a chat {@code {"text": ...}}; empty for join and leave. Unmodifiable:
 *     the constructor keeps a read-only copy (shallow) of the map it is given, and envelopes made
 *     from this one ({@link #accepted}, {@link #withId}, {@link #withEpoch}) share it.
 * @param epoch the room's stream the seq belongs to (wire field {@code "epoch"}): on a chat from the
 *     server, the stream it was accepted in; on a {@link Type#RESUME}, the stream its {@code after}
 *     belongs to (null for a client that knows none). Opaque and non-empty; null if unset. A server
 *     ignores it on chats, joins and leaves.
 */
public record Envelope(
    Type type, String id, String room, String from, long seq, long ts, Map<String, Object> body,
    String epoch)
    implements Wire {

  /** The envelope types of the IM protocol. */
  public enum Type {
    /** A message for everyone in a room. */
    CHAT,
    /** Become a member of a room: receive its chats. */
    JOIN,
    /** Stop being a member of a room. */
    LEAVE,
    /**
     * Join a room (if not a member) and get every chat after a given seq replayed, then live
     * traffic. The seq to resume after travels in {@link #seq()}, on the wire as {@code "after"}.
     */
    RESUME;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The {@code type} field's value on the wire, for example {@code "chat"}. */
    public String wireName() {
      return wireName;
    }

    private static final Type[] ALL = values();

    /** The type whose wire name is {@code name}, or null if there is none. */
    public static Type fromWireName(String name) {
      for (Type t : ALL) {
        if (t.wireName.equals(name)) {
          return t;
        }
      }
      return null;
    }
  }

  /** Checks the fields as PROTOCOL.md describes them; a wrong one throws, naming the field. */
  public Envelope {
    Objects.requireNonNull(type, "type == null");
    Objects.requireNonNull(id, "id == null");
    Objects.requireNonNull(room, "room == null");
    Objects.requireNonNull(body, "body == null");
    if (id.isEmpty()) {
      throw new IllegalArgumentException("id is empty");
    }
    if (room.isEmpty()) {
      throw new IllegalArgumentException("room is empty");
    }
    if (seq < 0) {
      throw new IllegalArgumentException("seq < 0: " + seq);
    }
    if (ts < 0) {
      throw new IllegalArgumentException("ts < 0: " + ts);
    }
    if (epoch != null && epoch.isEmpty()) {
      throw new IllegalArgumentException("epoch is empty");
    }
    // A body that is frozen already (decoded, or another envelope's) is shared, not copied.
    body = FrozenMap.of(body);
  }

  /** An envelope without an epoch: what every envelope was before epochs, and what clients send. */
  public Envelope(
      Type type, String id, String room, String from, long seq, long ts, Map<String, Object> body) {
    this(type, id, room, from, seq, ts, body, null);
  }

  /** A new chat message for {@code room} with a fresh id. */
  public static Envelope chat(String room, String text) {
    Objects.requireNonNull(room, "room == null");
    Objects.requireNonNull(text, "text == null");
    return new Envelope(Type.CHAT, EnvelopeIds.next(), room, null, 0, 0, FrozenMap.single("text", text));
  }

  /** A request to join {@code room}, with a fresh id. */
  public static Envelope join(String room) {
    Objects.requireNonNull(room, "room == null");
    return new Envelope(Type.JOIN, EnvelopeIds.next(), room, null, 0, 0, Map.of());
  }

  /** A request to leave {@code room}, with a fresh id. */
  public static Envelope leave(String room) {
    Objects.requireNonNull(room, "room == null");
    return new Envelope(Type.LEAVE, EnvelopeIds.next(), room, null, 0, 0, Map.of());
  }

  /**
   * A request to join {@code room} and replay every chat with a seq above {@code after}, with a
   * fresh id. See PROTOCOL.md.
   *
   * @param after the last seq the client has of this room; 0 for everything the server still holds
   */
  public static Envelope resume(String room, long after) {
    Objects.requireNonNull(room, "room == null");
    if (after < 0) {
      throw new IllegalArgumentException("after < 0: " + after);
    }
    return new Envelope(Type.RESUME, EnvelopeIds.next(), room, null, after, 0, Map.of());
  }

  /**
   * A request to join {@code room} and replay every chat after {@code after} of the stream
   * {@code epoch}, with a fresh id. If the room's stream is no longer {@code epoch}, the server says
   * so (error {@code epoch_changed}) and replays its current stream from the start. See PROTOCOL.md.
   *
   * @param after the last seq the client has of this room; 0 for everything the server still holds
   * @param epoch the epoch {@code after} belongs to, as the server last named it; null if unknown
   */
  public static Envelope resume(String room, long after, String epoch) {
    return resume(room, after).withEpoch(epoch);
  }

  /** An envelope with a caller-chosen id, for example one derived from the app's own message key. */
  public Envelope withId(String id) {
    return new Envelope(type, id, room, from, seq, ts, body, epoch);
  }

  /** This envelope with {@code epoch} (null for none). */
  public Envelope withEpoch(String epoch) {
    return new Envelope(type, id, room, from, seq, ts, body, epoch);
  }

  /** The chat text ({@code body.text}), or null if the body has no string {@code text}. */
  public String text() {
    return body.get("text") instanceof String s ? s : null;
  }

  /** A copy of this envelope as the server stamps it on acceptance; the epoch is kept. */
  public Envelope accepted(String from, long seq, long ts) {
    Objects.requireNonNull(from, "from == null");
    return new Envelope(type, id, room, from, seq, ts, body, epoch);
  }

  /** A copy of this envelope as the server stamps it on acceptance in the stream {@code epoch}. */
  public Envelope accepted(String from, long seq, long ts, String epoch) {
    Objects.requireNonNull(from, "from == null");
    Objects.requireNonNull(epoch, "epoch == null");
    return new Envelope(type, id, room, from, seq, ts, body, epoch);
  }

  @Override
  public String wireType() {
    return type.wireName();
  }
}

package dev.tether.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * An IM envelope: a chat message, or a request to join, leave or resume a room. Immutable, and
 * safe to share between threads.
 *
 * <p>The client fills in {@link #type}, {@link #id}, {@link #room} and {@link #body}; the server
 * fills in {@link #from}, {@link #seq} and {@link #ts} when it accepts a chat and fans it out. Fields
 * the server has not set yet are {@code null} ({@code from}) or {@code 0} ({@code seq}, {@code ts}).
 * Create outgoing envelopes with {@link #chat}, {@link #join} and {@link #leave}; each gets a fresh id
 * that is unique across processes and restarts (a UUIDv7 string).
 *
 * @param type what the envelope asks for
 * @param id unique id chosen by the sender; acks and errors refer to it
 * @param room the room the envelope belongs to
 * @param from the sending user, as the server saw it; null on envelopes not yet accepted
 * @param seq the room's sequence number the server gave a chat: gap-free, starting at 1; 0 if unset.
 *     For {@link Type#RESUME}, the seq to resume after (wire field {@code "after"}).
 * @param ts server time of acceptance in epoch milliseconds; 0 if unset
 * @param body the payload, for a chat {@code {"text": ...}}; empty for join and leave. Unmodifiable.
 */
public record Envelope(
    Type type, String id, String room, String from, long seq, long ts, Map<String, Object> body)
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

    /** The type whose wire name is {@code name}, or null if there is none. */
    public static Type fromWireName(String name) {
      for (Type t : values()) {
        if (t.wireName.equals(name)) {
          return t;
        }
      }
      return null;
    }
  }

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
    body = body.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(body));
  }

  /** A new chat message for {@code room} with a fresh id. */
  public static Envelope chat(String room, String text) {
    Objects.requireNonNull(room, "room == null");
    Objects.requireNonNull(text, "text == null");
    return new Envelope(Type.CHAT, EnvelopeIds.next(), room, null, 0, 0, Map.of("text", text));
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

  /** An envelope with a caller-chosen id, for example one derived from the app's own message key. */
  public Envelope withId(String id) {
    return new Envelope(type, id, room, from, seq, ts, body);
  }

  /** The chat text ({@code body.text}), or null if the body has no string {@code text}. */
  public String text() {
    return body.get("text") instanceof String s ? s : null;
  }

  /** A copy of this envelope as the server stamps it on acceptance. */
  public Envelope accepted(String from, long seq, long ts) {
    Objects.requireNonNull(from, "from == null");
    return new Envelope(type, id, room, from, seq, ts, body);
  }

  @Override
  public String wireType() {
    return type.wireName();
  }
}

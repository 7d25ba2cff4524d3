package dev.tether.server.internal;

/**
 * The names of what {@link RedisRoomStore} keeps in Redis. {@code P} is the prefix, {@code D} the
 * database number:
 * <pre>
 *   P:r:{ROOM}:m     hash    e = the room's epoch, s = its newest seq
 *   P:r:{ROOM}:h     stream  the history: entry id "SEQ-0", field f = the chat's frame
 *   P:u:{USER}:d     hash    dedup: chat id -> "SEQ:TS:EPOCH:ROOM"
 *   P:u:{USER}:o     zset    dedup: chat id -> when it was accepted (ms), the eviction order
 *   P:D:c:ROOM       channel the room's new chats, "SEQ:EPOCH:FRAME"
 *   P:D:probe:NODE   channel one node's liveness probes
 * </pre>
 * Channels carry the database and the prefix because pub/sub ignores {@code SELECT}: deployments
 * sharing one Redis on different databases must not hear each other. The braces are hash tags,
 * for a Redis Cluster some day (a chat touches a room's keys and a user's, so the store runs on a
 * standalone primary today). Immutable.
 */
final class RedisKeys {
  private final String prefix;
  private final String channels;

  RedisKeys(String prefix, int database) {
    this.prefix = prefix;
    this.channels = prefix + ":" + database + ":";
  }

  String prefix() {
    return prefix;
  }

  String meta(String room) {
    return prefix + ":r:{" + room + "}:m";
  }

  String history(String room) {
    return prefix + ":r:{" + room + "}:h";
  }

  String dedup(String user) {
    return prefix + ":u:{" + user + "}:d";
  }

  String dedupOrder(String user) {
    return prefix + ":u:{" + user + "}:o";
  }

  String channel(String room) {
    return channels + "c:" + room;
  }

  String probe(String node) {
    return channels + "probe:" + node;
  }
}

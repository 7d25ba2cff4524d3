package dev.tether.server.internal;

import dev.tether.api.Envelope;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A chat room: its members, its seq counter and its recent history. Every field is guarded by this
 * object's monitor: seq assignment and fan-out happen under it so that all members see a room's
 * chats in seq order.
 */
final class Room {
  private final String name;
  private final int historyLimit;
  /** Guarded by this. */
  private final Set<Peer> members = new LinkedHashSet<>();
  /** Guarded by this; the newest {@code historyLimit} accepted chats, oldest first. */
  private final ArrayDeque<Envelope> history = new ArrayDeque<>();
  /** Guarded by this; seq of the newest accepted chat, 0 before the first. */
  private long lastSeq;

  Room(String name, int historyLimit) {
    this.name = name;
    this.historyLimit = historyLimit;
  }

  String name() {
    return name;
  }

  /** Requires the monitor. */
  Set<Peer> members() {
    return members;
  }

  /** Requires the monitor. */
  long lastSeq() {
    return lastSeq;
  }

  /** Requires the monitor. Records {@code chat} as the room's next message and returns its seq. */
  long append(Envelope chat) {
    if (history.size() == historyLimit) {
      history.pollFirst();
    }
    history.addLast(chat);
    return lastSeq = chat.seq();
  }

  synchronized List<Envelope> history() {
    return List.copyOf(history);
  }
}

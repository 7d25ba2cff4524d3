package dev.tether.server.internal;

import dev.tether.api.Envelope;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
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

  /** Requires the monitor. Seq of the oldest chat the history holds, 0 while it holds none. */
  long oldestSeq() {
    Envelope oldest = history.peekFirst();
    return oldest == null ? 0 : oldest.seq();
  }

  /** Requires the monitor. The held chats with a seq above {@code after}, oldest first. */
  List<Envelope> since(long after) {
    // Seqs in the history are consecutive, so the chats wanted are exactly the newest few.
    long wanted = Math.min(history.size(), Math.max(0, lastSeq - after));
    List<Envelope> chats = new ArrayList<>((int) wanted);
    Iterator<Envelope> newestFirst = history.descendingIterator();
    for (long i = 0; i < wanted; i++) {
      chats.add(newestFirst.next());
    }
    Collections.reverse(chats);
    return chats;
  }

  synchronized List<Envelope> history() {
    return List.copyOf(history);
  }
}

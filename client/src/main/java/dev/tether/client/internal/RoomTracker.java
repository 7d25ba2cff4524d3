package dev.tether.client.internal;

import dev.tether.api.Envelope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The client's view of the rooms it is in: the last seq delivered to the app in each, chats that
 * arrived ahead of a gap, and a window of recent ids. It turns the stream of incoming chats into
 * what the app should see: each chat once, in seq order, with gaps either filled by a resume or
 * reported. Not thread-safe: guarded by the socket's lock.
 */
final class RoomTracker {
  /** What to do after a chat or a resume result arrived. */
  record Step(String room, List<Envelope> deliver, List<long[]> gaps, boolean resume, long resumeAfter,
      int duplicates) {
    static final Step NONE = new Step(null, List.of(), List.of(), false, 0, 0);
  }

  private static final class Room {
    long lastSeq;
    /** Chats with seq above lastSeq + 1, waiting for the gap to fill. */
    final TreeMap<Long, Envelope> ahead = new TreeMap<>();
    /** Id of the resume we sent and whose ack has not come; null if none. */
    String resumeId;
    final Map<String, Boolean> recentIds;

    Room(long lastSeq, int idWindow) {
      this.lastSeq = lastSeq;
      this.recentIds = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > idWindow;
        }
      };
    }
  }

  private final int idWindow;
  /** The owner's lock, asserted held on every call; null for a tracker used alone. */
  private final Object lock;
  private final Map<String, Room> rooms = new LinkedHashMap<>();
  /** True when a lastSeq changed since {@link #takeDirty()}. */
  private final Map<String, Long> dirty = new LinkedHashMap<>();

  RoomTracker(int idWindow) {
    this(idWindow, null);
  }

  /** @param lock the socket's lock, which every caller must hold */
  RoomTracker(int idWindow, Object lock) {
    this.idWindow = idWindow;
    this.lock = lock;
  }

  private boolean locked() {
    return lock == null || Thread.holdsLock(lock);
  }

  /** Rooms restored from a durable store: joined, with the last seq delivered. */
  void restore(Map<String, Long> lastSeqs) {
    assert locked();
    lastSeqs.forEach((room, seq) -> rooms.put(room, new Room(seq, idWindow)));
  }

  boolean isTracked(String room) {
    assert locked();
    return rooms.containsKey(room);
  }

  /** The app's join was acked: chats after {@code latestSeq} are ours. */
  void joined(String room, long latestSeq) {
    assert locked();
    Room r = rooms.get(room);
    if (r == null) {
      rooms.put(room, new Room(latestSeq, idWindow));
      dirty.put(room, latestSeq);
    }
  }

  void left(String room) {
    assert locked();
    rooms.remove(room);
    dirty.put(room, -1L);
  }

  /** Each joined room and the seq to resume after, for a new connection. */
  Map<String, Long> resumePoints() {
    assert locked();
    Map<String, Long> out = new LinkedHashMap<>();
    rooms.forEach((name, r) -> out.put(name, r.lastSeq));
    return out;
  }

  void resumeSent(String room, String id) {
    assert locked();
    Room r = rooms.get(room);
    if (r != null) {
      r.resumeId = id;
    }
  }

  /** Forgets resumes in flight: the connection they were sent on is gone. */
  void connectionLost() {
    assert locked();
    rooms.values().forEach(r -> r.resumeId = null);
  }

  /** A chat arrived. */
  Step chat(Envelope e) {
    assert locked();
    Room r = rooms.get(e.room());
    if (r == null || e.seq() == 0) {
      return new Step(e.room(), List.of(e), List.of(), false, 0, 0);
    }
    if (e.seq() <= r.lastSeq || r.recentIds.containsKey(e.id()) || r.ahead.containsKey(e.seq())) {
      return new Step(e.room(), List.of(), List.of(), false, 0, 1);
    }
    if (e.seq() > r.lastSeq + 1) {
      r.ahead.put(e.seq(), e);
      boolean resume = r.resumeId == null;
      return new Step(e.room(), List.of(), List.of(), resume, r.lastSeq, 0);
    }
    List<Envelope> out = new ArrayList<>();
    deliver(e.room(), r, e, out);
    drain(e.room(), r, out);
    return new Step(e.room(), out, List.of(), false, 0, 0);
  }

  /** The server no longer holds {@code first..last} of {@code room}: skip them. */
  Step gap(String room, long first, long last) {
    assert locked();
    Room r = rooms.get(room);
    if (r == null || last <= r.lastSeq) {
      return Step.NONE;
    }
    long from = Math.max(first, r.lastSeq + 1);
    r.lastSeq = last;
    dirty.put(room, last);
    List<Envelope> out = new ArrayList<>();
    drain(room, r, out);
    List<long[]> gaps = new ArrayList<>();
    gaps.add(new long[] {from, last});
    return new Step(room, out, gaps, false, 0, 0);
  }

  /**
   * The resume with {@code id} was acked: everything up to then was replayed. A hole still left
   * before chats that arrived ahead cannot be filled any more; it is reported as a gap.
   */
  Step resumed(String id) {
    assert locked();
    for (Map.Entry<String, Room> entry : rooms.entrySet()) {
      Room r = entry.getValue();
      if (id.equals(r.resumeId)) {
        r.resumeId = null;
        if (r.ahead.isEmpty()) {
          return Step.NONE;
        }
        long first = r.lastSeq + 1;
        long last = r.ahead.firstKey() - 1;
        if (last < first) {
          return Step.NONE;
        }
        return gap(entry.getKey(), first, last);
      }
    }
    return Step.NONE;
  }

  private void deliver(String room, Room r, Envelope e, List<Envelope> out) {
    out.add(e);
    r.lastSeq = e.seq();
    r.recentIds.put(e.id(), Boolean.TRUE);
    dirty.put(room, e.seq());
  }

  private void drain(String room, Room r, List<Envelope> out) {
    while (!r.ahead.isEmpty()) {
      Map.Entry<Long, Envelope> first = r.ahead.firstEntry();
      if (first.getKey() <= r.lastSeq) {
        r.ahead.pollFirstEntry();
      } else if (first.getKey() == r.lastSeq + 1) {
        r.ahead.pollFirstEntry();
        deliver(room, r, first.getValue(), out);
      } else {
        return;
      }
    }
  }

  /** Last seqs changed since the previous call (-1: the room was left); clears the record. */
  Map<String, Long> takeDirty() {
    assert locked();
    if (dirty.isEmpty()) {
      return Collections.emptyMap();
    }
    Map<String, Long> out = new LinkedHashMap<>(dirty);
    dirty.clear();
    return out;
  }

  boolean hasDirty() {
    assert locked();
    return !dirty.isEmpty();
  }
}

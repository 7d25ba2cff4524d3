package dev.tether.client.internal;

import dev.tether.api.Envelope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The client's view of the rooms it is in: per room the position (the last seq delivered to the
 * app) and the epoch it belongs to, chats that arrived ahead of a gap, and a window of recent chat
 * ids. It turns the stream of incoming chats into what the app should see: each chat once, in seq
 * order, with gaps either filled by a resume or reported, and resets reported before the new
 * stream (PROTOCOL.md, "Rules for clients").
 *
 * <p>A <em>reset</em> is found four ways: an {@code epoch_changed} for our resume
 * ({@link #epochChanged}), a chat of another epoch ({@link #chat}), a join or resume ack of another
 * epoch, or one whose seq is below the position (a server without epochs; {@link #joined},
 * {@link #resumed}). Each is reported once, as a {@link Reset} step event ahead of the new
 * stream's chats; the position goes to 0 in the new epoch.
 *
 * <p>Duplicates: a chat with a seq at or below the position is dropped. So is a chat whose sender
 * and id are among the last {@code idWindow} chats delivered in its room, or among the last
 * {@code idWindow} delivered before the room's latest reset (a resent chat the server forgot
 * when it lost its state comes back with a new seq); it still advances the position. Memory: at
 * most {@code 2 * idWindow} ids per room. Not thread-safe: guarded by the socket's lock.
 *
 * <p>Cost: the next chat of a room's stream (the common case) takes a fast path that allocates its
 * step, one event and the id window's entry, nothing else (no list to grow, no boxed seq, no key
 * string).
 */
final class RoomTracker {

  /** Something the app is told, in order. */
  sealed interface Event permits Delivered, Missed, Reset {}

  /** Deliver {@code chat} to the app. */
  record Delivered(Envelope chat) implements Event {}

  /** Seqs {@code from..to} are lost for good: {@code onGap}. */
  record Missed(long from, long to) implements Event {}

  /** The room's stream was reset after {@code lastSeqBefore}: {@code onReset}. */
  record Reset(long lastSeqBefore) implements Event {}

  /**
   * What to do after a chat, an ack or an error about a room: tell the app {@code events}, in
   * order, and if {@code resume}, send a resume of {@code room} after {@code resumeAfter}.
   */
  record Step(String room, List<Event> events, boolean resume, long resumeAfter, int duplicates) {
    static final Step NONE = new Step(null, List.of(), false, 0, 0);

    /** The chats to deliver, in order. */
    List<Envelope> deliver() {
      return events.stream().filter(Delivered.class::isInstance).map(e -> ((Delivered) e).chat()).toList();
    }

    /** The gaps to report, as {from, to}. */
    List<long[]> gaps() {
      return events.stream().filter(Missed.class::isInstance)
          .map(e -> new long[] {((Missed) e).from(), ((Missed) e).to()}).toList();
    }

    /** The resets to report (at most one), as the position each ended. */
    List<Long> resets() {
      return events.stream().filter(Reset.class::isInstance).map(e -> ((Reset) e).lastSeqBefore()).toList();
    }
  }

  /** A chat's sender and id: what the id window remembers. */
  private record SenderId(String from, String id) {}

  private static final class Room {
    long lastSeq;
    /** The epoch lastSeq belongs to; null while unknown (a server without epochs). */
    String epoch;
    /** Chats with seq above lastSeq + 1, waiting for the gap to fill. */
    final TreeMap<Long, Envelope> ahead = new TreeMap<>();
    /** Id of the resume we sent and whose ack has not come; null if none. */
    String resumeId;
    /** True if the room was reset after resumeId was sent and no epoch_changed came for it. */
    boolean resumeAsksOldStream;
    /** Sender and id of the chats delivered most recently, oldest first. */
    final Map<SenderId, Boolean> recent;
    /** Sender and id of the chats delivered last before the latest reset. */
    Set<SenderId> beforeReset = Set.of();
    /** True while the room is in {@link #dirty}. */
    boolean dirty;

    Room(long lastSeq, String epoch, int idWindow) {
      this.lastSeq = lastSeq;
      this.epoch = epoch;
      this.recent = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<SenderId, Boolean> eldest) {
          return size() > idWindow;
        }
      };
    }

    boolean delivered(SenderId key) {
      return recent.containsKey(key) || beforeReset.contains(key);
    }
  }

  private final int idWindow;
  /** The owner's lock, asserted held on every call; null for a tracker used alone. */
  private final Object lock;
  /** The joined rooms, in join order; the shared empty map until the first join (write through {@link #writableRooms()}). */
  private Map<String, Room> rooms = Map.of();
  /**
   * Rooms whose position changed, or that were left, since {@link #takeDirty()}, in the order of
   * their first change; their positions are read when taken. The shared empty set until the first
   * change (write through {@link #writableDirty()}).
   */
  private Set<String> dirty = Set.of();

  RoomTracker(int idWindow) {
    this(idWindow, null);
  }

  /** @param lock the socket's lock, which every caller must hold */
  RoomTracker(int idWindow, Object lock) {
    this.idWindow = idWindow;
    this.lock = lock;
  }

  private Map<String, Room> writableRooms() {
    if (!(rooms instanceof LinkedHashMap)) {
      rooms = new LinkedHashMap<>();
    }
    return rooms;
  }

  private Set<String> writableDirty() {
    if (!(dirty instanceof LinkedHashSet)) {
      dirty = new LinkedHashSet<>();
    }
    return dirty;
  }

  private boolean locked() {
    return lock == null || Thread.holdsLock(lock);
  }

  /** Rooms restored from a durable store: joined, with the last seq delivered and no epoch known. */
  void restore(Map<String, Long> lastSeqs) {
    restore(lastSeqs, Map.of());
  }

  /** Rooms restored from a durable store, with the epoch of each position where it is known. */
  void restore(Map<String, Long> lastSeqs, Map<String, String> epochs) {
    assert locked();
    lastSeqs.forEach((room, seq) -> writableRooms().put(room, new Room(seq, epochs.get(room), idWindow)));
  }

  boolean isTracked(String room) {
    assert locked();
    return rooms.containsKey(room);
  }

  /** The epoch of {@code room}'s position, or null if unknown or the room is not tracked. */
  String epoch(String room) {
    assert locked();
    Room r = rooms.get(room);
    return r == null ? null : r.epoch;
  }

  /** The app's join was acked by a server without epochs. */
  Step joined(String room, long latestSeq) {
    return joined(room, latestSeq, null);
  }

  /**
   * The app's join was acked: chats after {@code latestSeq} of {@code epoch} are ours. For a room
   * already tracked, an ack of another epoch is a reset (the position becomes the ack's), and one
   * whose seq is below the position is a reset of a server without epochs (resume from 0).
   */
  Step joined(String room, long latestSeq, String epoch) {
    assert locked();
    Room r = rooms.get(room);
    if (r == null) {
      Room joined = new Room(latestSeq, epoch, idWindow);
      writableRooms().put(room, joined);
      markDirty(room, joined);
      return Step.NONE;
    }
    if (otherEpoch(r, epoch)) {
      List<Event> events = new ArrayList<>();
      reset(room, r, epoch, events);
      r.lastSeq = latestSeq;
      return new Step(room, events, false, 0, 0);
    }
    adopt(room, r, epoch);
    if (latestSeq < r.lastSeq) {
      return resetAndResume(room, r, epoch);
    }
    return Step.NONE;
  }

  void left(String room) {
    assert locked();
    if (!rooms.isEmpty()) {
      rooms.remove(room);
    }
    writableDirty().add(room);
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
      r.resumeAsksOldStream = false;
    }
  }

  /** Forgets resumes in flight: the connection they were sent on is gone. */
  void connectionLost() {
    assert locked();
    rooms.values().forEach(r -> {
      r.resumeId = null;
      r.resumeAsksOldStream = false;
    });
  }

  /** A chat arrived. One of another epoch than the room's is a reset, reported before it. */
  Step chat(Envelope e) {
    assert locked();
    Room r = rooms.get(e.room());
    if (r == null || e.seq() == 0) {
      return new Step(e.room(), List.of(new Delivered(e)), false, 0, 0);
    }
    if (e.seq() == r.lastSeq + 1 && r.ahead.isEmpty() && !otherEpoch(r, e.epoch())) {
      // The next chat of the stream, nothing held: the common case, without the general path's list.
      adopt(e.room(), r, e.epoch());
      Delivered d = advance(e.room(), r, e);
      return d == null ? new Step(e.room(), List.of(), false, 0, 1) : new Step(e.room(), List.of(d), false, 0, 0);
    }
    List<Event> events = new ArrayList<>();
    if (otherEpoch(r, e.epoch())) {
      reset(e.room(), r, e.epoch(), events);
    } else {
      adopt(e.room(), r, e.epoch());
    }
    if (e.seq() <= r.lastSeq || r.ahead.containsKey(e.seq())) {
      return new Step(e.room(), events, false, 0, 1);
    }
    if (e.seq() > r.lastSeq + 1) {
      r.ahead.put(e.seq(), e);
      return new Step(e.room(), events, r.resumeId == null, r.lastSeq, 0);
    }
    int duplicates = deliver(e.room(), r, e, events) + drain(e.room(), r, events);
    return new Step(e.room(), events, false, 0, duplicates);
  }

  /** The server no longer holds {@code first..last} of {@code room}: skip them. */
  Step gap(String room, long first, long last) {
    assert locked();
    Room r = rooms.get(room);
    if (r == null || last <= r.lastSeq) {
      return Step.NONE;
    }
    List<Event> events = new ArrayList<>();
    events.add(new Missed(Math.max(first, r.lastSeq + 1), last));
    r.lastSeq = last;
    markDirty(room, r);
    int duplicates = drain(room, r, events);
    return new Step(room, events, false, 0, duplicates);
  }

  /**
   * The resume {@code resumeId} of {@code room} named an epoch the server no longer has
   * ({@code epoch_changed}): a reset, unless a chat of {@code newEpoch} told us already. What the
   * resume replays next is the new stream from its start.
   */
  Step epochChanged(String room, String resumeId, String newEpoch) {
    assert locked();
    Room r = rooms.get(room);
    if (r == null) {
      return Step.NONE;
    }
    if (resumeId != null && resumeId.equals(r.resumeId)) {
      r.resumeAsksOldStream = false;
    }
    if (newEpoch == null || newEpoch.equals(r.epoch)) {
      return Step.NONE;
    }
    List<Event> events = new ArrayList<>();
    reset(room, r, newEpoch, events);
    r.resumeAsksOldStream = false;
    return new Step(room, events, false, 0, 0);
  }

  /** The resume with {@code id} was acked by a server without epochs. */
  Step resumed(String id) {
    return resumed(id, -1, null);
  }

  /**
   * The resume with {@code id} was acked with the room's latest {@code seq} (-1: not known) and
   * {@code epoch}: everything up to then was replayed. An ack of another epoch, or with a seq below
   * the position, is a reset: resume again from 0. If the room was reset after the resume was sent
   * and the server did not answer it with the new stream, resume again. Otherwise the part of a
   * hole still left before chats that arrived ahead that is at or below {@code seq} cannot be filled
   * any more; it is reported as a gap. The part above {@code seq} is not: the server has replayed up
   * to {@code seq}, and the room's chats after it come live, in order (a cluster node whose feed is
   * behind its store acks a resume at the seq it has reached, below chats already stored).
   */
  Step resumed(String id, long seq, String epoch) {
    assert locked();
    for (Map.Entry<String, Room> entry : rooms.entrySet()) {
      Room r = entry.getValue();
      if (!id.equals(r.resumeId)) {
        continue;
      }
      String room = entry.getKey();
      r.resumeId = null;
      boolean askedOldStream = r.resumeAsksOldStream;
      r.resumeAsksOldStream = false;
      if (otherEpoch(r, epoch)) {
        return resetAndResume(room, r, epoch);
      }
      adopt(room, r, epoch);
      if (seq >= 0 && seq < r.lastSeq) {
        return resetAndResume(room, r, epoch);
      }
      if (askedOldStream) {
        return new Step(room, List.of(), true, r.lastSeq, 0);
      }
      if (r.ahead.isEmpty()) {
        return Step.NONE;
      }
      long lost = seq >= 0 ? Math.min(seq, r.ahead.firstKey() - 1) : r.ahead.firstKey() - 1;
      if (lost < r.lastSeq + 1) {
        return Step.NONE;
      }
      return gap(room, r.lastSeq + 1, lost);
    }
    return Step.NONE;
  }

  /** True if {@code epoch} is known and not the one {@code r}'s position belongs to. */
  private static boolean otherEpoch(Room r, String epoch) {
    return epoch != null && r.epoch != null && !epoch.equals(r.epoch);
  }

  /** Takes {@code epoch} for a room whose epoch was not known (a position stored without one). */
  private void adopt(String room, Room r, String epoch) {
    if (r.epoch == null && epoch != null) {
      r.epoch = epoch;
      markDirty(room, r);
    }
  }

  private Step resetAndResume(String room, Room r, String epoch) {
    List<Event> events = new ArrayList<>();
    reset(room, r, epoch, events);
    return new Step(room, events, r.resumeId == null, 0, 0);
  }

  /**
   * The room's stream is lost: what arrived of it ahead of a gap is delivered (each hole reported),
   * then the reset, and the position starts over at 0 in {@code newEpoch} (null: unknown).
   */
  private void reset(String room, Room r, String newEpoch, List<Event> events) {
    while (!r.ahead.isEmpty()) {
      Envelope next = r.ahead.pollFirstEntry().getValue();
      if (next.seq() > r.lastSeq + 1) {
        events.add(new Missed(r.lastSeq + 1, next.seq() - 1));
      }
      deliver(room, r, next, events);
    }
    events.add(new Reset(r.lastSeq));
    Set<SenderId> before = new HashSet<>(r.recent.keySet());
    r.beforeReset = before;
    r.recent.clear();
    r.lastSeq = 0;
    r.epoch = newEpoch;
    if (r.resumeId != null) {
      r.resumeAsksOldStream = true;
    }
    markDirty(room, r);
  }

  /** Moves the position to {@code e}; returns 1 if it was a duplicate by id (not delivered), else 0. */
  private int deliver(String room, Room r, Envelope e, List<Event> events) {
    Delivered d = advance(room, r, e);
    if (d == null) {
      return 1;
    }
    events.add(d);
    return 0;
  }

  /** Moves the position to {@code e}; returns what to deliver, or null if it was a duplicate by id. */
  private Delivered advance(String room, Room r, Envelope e) {
    r.lastSeq = e.seq();
    markDirty(room, r);
    SenderId key = new SenderId(e.from(), e.id());
    if (r.delivered(key)) {
      return null;
    }
    r.recent.put(key, Boolean.TRUE);
    return new Delivered(e);
  }

  private void markDirty(String room, Room r) {
    if (!r.dirty) {
      r.dirty = true;
      writableDirty().add(room);
    }
  }

  /** Delivers held chats that follow the position; returns how many were duplicates by id. */
  private int drain(String room, Room r, List<Event> events) {
    int duplicates = 0;
    while (!r.ahead.isEmpty()) {
      Map.Entry<Long, Envelope> first = r.ahead.firstEntry();
      if (first.getKey() <= r.lastSeq) {
        r.ahead.pollFirstEntry();
      } else if (first.getKey() == r.lastSeq + 1) {
        r.ahead.pollFirstEntry();
        duplicates += deliver(room, r, first.getValue(), events);
      } else {
        break;
      }
    }
    return duplicates;
  }

  /** Positions changed since the previous call (-1: the room was left); clears the record. */
  Map<String, Long> takeDirty() {
    assert locked();
    if (dirty.isEmpty()) {
      return Collections.emptyMap();
    }
    Map<String, Long> out = new LinkedHashMap<>();
    for (String room : dirty) {
      Room r = rooms.get(room);
      if (r == null) {
        out.put(room, -1L);
      } else {
        r.dirty = false;
        out.put(room, r.lastSeq);
      }
    }
    dirty.clear();
    return out;
  }

  boolean hasDirty() {
    assert locked();
    return !dirty.isEmpty();
  }
}

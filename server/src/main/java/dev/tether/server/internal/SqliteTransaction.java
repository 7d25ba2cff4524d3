package dev.tether.server.internal;

import dev.tether.api.WireRules;
import dev.tether.server.RoomStore.Appended;
import dev.tether.server.RoomStore.Draft;
import dev.tether.server.RoomStore.RoomState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The SQL of the {@link SqliteWriter}'s transactions: its connection, statements and cache of
 * room positions. An operation changes the writer's picture of its room only once all its SQL
 * succeeded; if one throws, the writer rolls the whole transaction back ({@link #rollback}) and
 * performs the batch again without it. Only touched on the writer thread.
 */
final class SqliteTransaction {
  /** Rooms whose position the writer keeps in memory. */
  private static final int ROOM_CACHE = 100_000;
  private static final long AGE_PRUNE_EVERY_MILLIS = 1_000;

  /** A room as the writer knows it. */
  private static final class RoomMeta {
    final String epoch;
    long lastSeq;
    /** The oldest seq in history, 0 if none. */
    long firstSeq;
    /** Bytes of the frames in history. */
    long historyBytes;
    int historyLimit = Integer.MAX_VALUE;
    long historyBytesLimit = Long.MAX_VALUE;

    RoomMeta(String epoch, long lastSeq, long firstSeq, long historyBytes) {
      this.epoch = epoch;
      this.lastSeq = lastSeq;
      this.firstSeq = firstSeq;
      this.historyBytes = historyBytes;
    }

    long held() {
      return firstSeq == 0 ? 0 : lastSeq - firstSeq + 1;
    }
  }

  private final Connection db;
  private final int dedupCapacity;
  private final long dedupMaxAgeMillis;
  private final PreparedStatement selectRoom;
  private final PreparedStatement selectHeld;
  private final PreparedStatement insertRoom;
  private final PreparedStatement updateRoom;
  private final PreparedStatement selectDedup;
  private final PreparedStatement insertDedup;
  private final PreparedStatement insertHistory;
  private final PreparedStatement oldestHistory;
  private final PreparedStatement trimHistory;
  private final PreparedStatement pruneDedupCount;
  private final PreparedStatement pruneDedupAge;
  private final Map<String, RoomMeta> cache = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, RoomMeta> eldest) {
      return size() > ROOM_CACHE && !dirty.containsKey(eldest.getKey());
    }
  };
  /** Rooms changed in the current transaction. */
  private final Map<String, RoomMeta> dirty = new LinkedHashMap<>();
  private long nextN;
  /** {@link #nextN} as of the last commit. */
  private long committedN;
  private long prunedThrough;
  private long agePrunedAt;

  SqliteTransaction(Connection db, int dedupCapacity, long dedupMaxAgeMillis) throws SQLException {
    this.db = db;
    this.dedupCapacity = dedupCapacity;
    this.dedupMaxAgeMillis = dedupMaxAgeMillis;
    selectRoom = db.prepareStatement("SELECT epoch, last_seq FROM rooms WHERE name = ?");
    selectHeld = db.prepareStatement("SELECT MIN(seq), COALESCE(SUM(bytes), 0) FROM history WHERE room = ?");
    insertRoom = db.prepareStatement("INSERT INTO rooms (name, epoch, last_seq) VALUES (?, ?, ?)");
    updateRoom = db.prepareStatement("UPDATE rooms SET last_seq = ? WHERE name = ?");
    selectDedup = db.prepareStatement("SELECT epoch, seq, ts FROM dedup WHERE user = ? AND id = ?");
    insertDedup = db.prepareStatement(
        "INSERT INTO dedup (n, user, id, room, epoch, seq, ts, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    insertHistory = db.prepareStatement("INSERT INTO history (room, seq, frame, bytes) VALUES (?, ?, ?, ?)");
    oldestHistory = db.prepareStatement("SELECT seq, bytes FROM history WHERE room = ? ORDER BY seq");
    trimHistory = db.prepareStatement("DELETE FROM history WHERE room = ? AND seq <= ?");
    pruneDedupCount = db.prepareStatement("DELETE FROM dedup WHERE n <= ?");
    pruneDedupAge = db.prepareStatement(
        "DELETE FROM dedup WHERE n IN (SELECT n FROM dedup ORDER BY n LIMIT 1000) AND stored_at < ?");
    try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(n), MIN(n) FROM dedup")) {
      rs.next();
      nextN = rs.getLong(1) + 1;
      committedN = nextN;
      prunedThrough = Math.max(0, rs.getLong(2) - 1);
    }
    db.setAutoCommit(false);
  }

  /** The room's state, creating it (with a new epoch) if it does not exist. */
  RoomState open(String room) throws SQLException {
    RoomMeta meta = meta(room);
    return new RoomState(meta.epoch, meta.lastSeq);
  }

  /** What (user, id) was given, seeing this transaction's own appends. */
  Optional<Appended> accepted(String user, String id) throws SQLException {
    selectDedup.setString(1, user);
    selectDedup.setString(2, id);
    try (ResultSet rs = selectDedup.executeQuery()) {
      return rs.next()
          ? Optional.of(new Appended(rs.getString(1), rs.getLong(2), rs.getLong(3), true, null))
          : Optional.empty();
    }
  }

  /** Appends one chat, or finds its original: the dedup check, seq, history row and dedup row. */
  Appended append(Draft d, long now) throws SQLException {
    Optional<Appended> prior = accepted(d.user(), d.id());
    if (prior.isPresent()) {
      return prior.get();
    }
    RoomMeta meta = meta(d.room());
    long seq = meta.lastSeq + 1;
    String frame = d.frame(seq, meta.epoch);
    long bytes = WireRules.utf8Length(frame);
    insertHistory.setString(1, d.room());
    insertHistory.setLong(2, seq);
    insertHistory.setString(3, frame);
    insertHistory.setLong(4, bytes);
    insertHistory.executeUpdate();
    insertDedup.setLong(1, nextN);
    insertDedup.setString(2, d.user());
    insertDedup.setString(3, d.id());
    insertDedup.setString(4, d.room());
    insertDedup.setString(5, meta.epoch);
    insertDedup.setLong(6, seq);
    insertDedup.setLong(7, d.ts());
    insertDedup.setLong(8, now);
    insertDedup.executeUpdate();
    // Everything is written: only now does the writer's picture change.
    nextN++;
    meta.lastSeq = seq;
    if (meta.firstSeq == 0) {
      meta.firstSeq = seq;
    }
    meta.historyBytes += bytes;
    meta.historyLimit = d.historyLimit();
    meta.historyBytesLimit = d.historyBytes();
    dirty.put(d.room(), meta);
    return new Appended(meta.epoch, seq, d.ts(), false, frame);
  }

  /** Writes the changed rooms' positions, trims their history, prunes dedup, and commits. */
  void commit(long now) throws SQLException {
    for (Map.Entry<String, RoomMeta> e : dirty.entrySet()) {
      RoomMeta meta = e.getValue();
      updateRoom.setLong(1, meta.lastSeq);
      updateRoom.setString(2, e.getKey());
      updateRoom.executeUpdate();
      trim(e.getKey(), meta);
    }
    pruneDedup(now);
    db.commit();
    dirty.clear();
    committedN = nextN;
  }

  /** Rolls the transaction back and forgets what the writer knew of rooms. */
  void rollback() throws SQLException {
    cache.clear();
    dirty.clear();
    nextN = committedN;
    db.rollback();
  }

  void close() {
    SqliteFile.closeQuietly(db);
  }

  /** The room's writer state, created (new epoch) if it does not exist. */
  private RoomMeta meta(String room) throws SQLException {
    RoomMeta meta = dirty.get(room);
    if (meta == null) {
      meta = cache.get(room);
    }
    if (meta != null) {
      return meta;
    }
    selectRoom.setString(1, room);
    try (ResultSet rs = selectRoom.executeQuery()) {
      if (rs.next()) {
        String epoch = rs.getString(1);
        long lastSeq = rs.getLong(2);
        selectHeld.setString(1, room);
        try (ResultSet held = selectHeld.executeQuery()) {
          held.next();
          meta = new RoomMeta(epoch, lastSeq, held.getLong(1), held.getLong(2));
        }
      }
    }
    if (meta == null) {
      meta = new RoomMeta(Epochs.next(), 0, 0, 0);
      insertRoom.setString(1, room);
      insertRoom.setString(2, meta.epoch);
      insertRoom.setLong(3, 0);
      insertRoom.executeUpdate();
    }
    cache.put(room, meta);
    return meta;
  }

  /** Drops the room's oldest chats beyond its count and bytes, keeping the newest. */
  private void trim(String room, RoomMeta meta) throws SQLException {
    if (!overLimit(meta)) {
      return;
    }
    long through = 0;
    long held = meta.held();
    long bytes = meta.historyBytes;
    oldestHistory.setString(1, room);
    try (ResultSet rs = oldestHistory.executeQuery()) {
      while (held > 1 && (held > meta.historyLimit || bytes > meta.historyBytesLimit) && rs.next()) {
        through = rs.getLong(1);
        bytes -= rs.getLong(2);
        held--;
      }
    }
    if (through > 0) {
      trimHistory.setString(1, room);
      trimHistory.setLong(2, through);
      trimHistory.executeUpdate();
      meta.firstSeq = through + 1;
      meta.historyBytes = bytes;
    }
  }

  private static boolean overLimit(RoomMeta meta) {
    long held = meta.held();
    return held > 1 && (held > meta.historyLimit || meta.historyBytes > meta.historyBytesLimit);
  }

  private void pruneDedup(long now) throws SQLException {
    long through = nextN - 1 - dedupCapacity;
    if (through > prunedThrough) {
      pruneDedupCount.setLong(1, through);
      pruneDedupCount.executeUpdate();
      prunedThrough = through;
    }
    if (now - agePrunedAt >= AGE_PRUNE_EVERY_MILLIS) {
      agePrunedAt = now;
      pruneDedupAge.setLong(1, now - dedupMaxAgeMillis);
      pruneDedupAge.executeUpdate();
    }
  }
}

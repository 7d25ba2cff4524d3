package dev.tether.server.internal;

import dev.tether.server.RoomStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RoomStore#sqlite(Path)}: one database file in WAL mode, two connections.
 *
 * <p><b>Writes</b> ({@link #append}, {@link #open}) go through one queue to one writer thread
 * ({@code tether-sqlite-writer-N}), which takes everything queued (up to {@value #MAX_BATCH}
 * operations) and performs it in one transaction: for each append the dedup lookup, the seq, the
 * history row and the dedup row; then each touched room's row and history trim, and dedup pruning;
 * then one commit. Only after the commit are the batch's callbacks run, in order, on the callback
 * thread ({@code tether-sqlite-callback-N}) while the writer goes on with the next batch. So a
 * chat is acked only once it is committed, callbacks of one room come in seq order, and under load
 * thousands of appends share one commit. If a transaction fails, it is rolled back, the writer's
 * cached room positions are dropped, and every operation of the batch fails.
 *
 * <p><b>Reads</b> ({@link #state}, {@link #accepted}, {@link #history}) run on a reader thread
 * ({@code tether-sqlite-reader-N}) with their own connection; WAL lets them see the last commit
 * without waiting for the writer.
 *
 * <p>Schema: {@code rooms(name, epoch, last_seq)}, {@code history(room, seq, frame)},
 * {@code dedup(n, user, id, room, epoch, seq, ts, stored_at)}. Dedup keeps the newest {@value #DEDUP_CAPACITY}
 * entries, none older than {@link #DEDUP_MAX_AGE}.
 */
public final class SqliteRoomStore implements RoomStore {
  private static final Logger log = LoggerFactory.getLogger(SqliteRoomStore.class);
  private static final AtomicInteger STORES = new AtomicInteger();

  /** Operations performed in one transaction at most. */
  static final int MAX_BATCH = 4096;
  /** Accepted chats remembered for dedup. */
  public static final int DEDUP_CAPACITY = 1_000_000;
  /** How long an accepted chat is remembered for dedup at most. */
  public static final Duration DEDUP_MAX_AGE = Duration.ofDays(7);
  /** Rooms whose position the writer keeps in memory. */
  private static final int ROOM_CACHE = 100_000;
  private static final long AGE_PRUNE_EVERY_MILLIS = 1_000;

  private final Path file;
  private final int dedupCapacity;
  private final long dedupMaxAgeMillis;
  private final LongSupplier millis;
  private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
  private final Thread writerThread;
  private final ExecutorService reader;
  private final ExecutorService callbacks;
  private final Writer writer;
  private final Reader readerState;
  private final AtomicLong commits = new AtomicLong();
  private volatile boolean closed;

  private SqliteRoomStore(Path file, boolean fsync, int dedupCapacity, Duration dedupMaxAge, LongSupplier millis)
      throws SQLException {
    this.file = file;
    this.dedupCapacity = dedupCapacity;
    this.dedupMaxAgeMillis = dedupMaxAge.toMillis();
    this.millis = millis;
    Connection w = connect(file, fsync);
    Connection r;
    try {
      createSchema(w);
      r = connect(file, fsync);
    } catch (SQLException e) {
      closeQuietly(w);
      throw e;
    }
    this.writer = new Writer(w);
    this.readerState = new Reader(r);
    int n = STORES.incrementAndGet();
    this.reader = Executors.newSingleThreadExecutor(daemon("tether-sqlite-reader-" + n));
    this.callbacks = Executors.newSingleThreadExecutor(daemon("tether-sqlite-callback-" + n));
    this.writerThread = daemon("tether-sqlite-writer-" + n).newThread(writer);
    writerThread.start();
  }

  /** {@link RoomStore#sqlite(Path)}. */
  public static SqliteRoomStore open(Path file) {
    return open(file, false, DEDUP_CAPACITY, DEDUP_MAX_AGE, System::currentTimeMillis);
  }

  /** A store with these settings, for tests and tuning. */
  public static SqliteRoomStore open(Path file, boolean fsync, int dedupCapacity, Duration dedupMaxAge,
      LongSupplier millis) {
    try {
      return new SqliteRoomStore(file, fsync, dedupCapacity, dedupMaxAge, millis);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot open room store " + file + ": " + e.getMessage(), e);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  private static Connection connect(Path file, boolean fsync) throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=" + (fsync ? "FULL" : "NORMAL"));
      s.execute("PRAGMA busy_timeout=10000");
    } catch (SQLException e) {
      closeQuietly(c);
      throw e;
    }
    return c;
  }

  private static void createSchema(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS rooms ("
          + "name TEXT PRIMARY KEY, epoch TEXT NOT NULL, last_seq INTEGER NOT NULL) WITHOUT ROWID");
      s.execute("CREATE TABLE IF NOT EXISTS history ("
          + "room TEXT NOT NULL, seq INTEGER NOT NULL, frame TEXT NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID");
      s.execute("CREATE TABLE IF NOT EXISTS dedup (n INTEGER PRIMARY KEY, user TEXT NOT NULL, id TEXT NOT NULL, "
          + "room TEXT NOT NULL, epoch TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, "
          + "stored_at INTEGER NOT NULL)");
      s.execute("CREATE UNIQUE INDEX IF NOT EXISTS dedup_key ON dedup (user, id)");
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // closing is best effort
    }
  }

  // ---- the SPI

  @Override
  public CompletionStage<RoomState> open(String room) {
    OpenOp op = new OpenOp(room);
    if (!submit(op)) {
      op.result.completeExceptionally(new IllegalStateException("store closed"));
    }
    return op.result;
  }

  @Override
  public void append(Draft draft, AppendCallback callback) {
    if (!submit(new AppendOp(draft, callback))) {
      callback.failed(new IllegalStateException("store closed"));
    }
  }

  @Override
  public CompletionStage<Optional<RoomState>> state(String room) {
    return read(() -> readerState.state(room));
  }

  @Override
  public CompletionStage<Optional<Appended>> accepted(String user, String id) {
    return read(() -> readerState.accepted(user, id));
  }

  @Override
  public CompletionStage<History> history(String room, long after, int limit) {
    return read(() -> readerState.history(room, after, limit));
  }

  private interface Read<T> {
    T run() throws SQLException;
  }

  private <T> CompletionStage<T> read(Read<T> read) {
    CompletableFuture<T> result = new CompletableFuture<>();
    if (closed) {
      result.completeExceptionally(new IllegalStateException("store closed"));
      return result;
    }
    try {
      reader.execute(() -> {
        try {
          result.complete(read.run());
        } catch (SQLException | RuntimeException e) {
          result.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException("store closed"));
    }
    return result;
  }

  private synchronized boolean submit(Op op) {
    if (closed) {
      return false;
    }
    queue.add(op);
    return true;
  }

  /** Performs what is queued, commits, then closes both connections and the threads. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      queue.add(new CloseOp());
    }
    try {
      writerThread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    reader.shutdown();
    callbacks.shutdown();
    try {
      reader.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
      callbacks.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    readerState.close();
  }

  /** Transactions committed so far: how many appends shared a commit shows in this against their count. */
  public long commits() {
    return commits.get();
  }

  @Override
  public String toString() {
    return "RoomStore.sqlite(" + file + ")";
  }

  // ---- the writer

  private sealed interface Op permits AppendOp, OpenOp, CloseOp {}

  private record AppendOp(Draft draft, AppendCallback callback) implements Op {}

  private record OpenOp(String room, CompletableFuture<RoomState> result) implements Op {
    OpenOp(String room) {
      this(room, new CompletableFuture<>());
    }
  }

  private record CloseOp() implements Op {}

  /** A room as the writer knows it; only touched on the writer thread. */
  private static final class RoomMeta {
    final String epoch;
    long lastSeq;
    boolean inserted;
    /** The last seq written to the rooms table. */
    long savedSeq;
    int historyLimit;

    RoomMeta(String epoch, long lastSeq, boolean inserted) {
      this.epoch = epoch;
      this.lastSeq = lastSeq;
      this.savedSeq = lastSeq;
      this.inserted = inserted;
    }
  }

  /** The writer thread's state: its connection, statements and room cache. */
  private final class Writer implements Runnable {
    private final Connection db;
    private final PreparedStatement selectRoom;
    private final PreparedStatement insertRoom;
    private final PreparedStatement updateRoom;
    private final PreparedStatement selectDedup;
    private final PreparedStatement insertDedup;
    private final PreparedStatement insertHistory;
    private final PreparedStatement trimHistory;
    private final PreparedStatement pruneDedupCount;
    private final PreparedStatement pruneDedupAge;
    private final Map<String, RoomMeta> cache = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, RoomMeta> eldest) {
        return size() > ROOM_CACHE;
      }
    };
    /** Rooms changed in the current transaction. */
    private final Map<String, RoomMeta> dirty = new LinkedHashMap<>();
    private long nextN;
    private long prunedThrough;
    private long agePrunedAt;

    Writer(Connection db) throws SQLException {
      this.db = db;
      selectRoom = db.prepareStatement("SELECT epoch, last_seq FROM rooms WHERE name = ?");
      insertRoom = db.prepareStatement("INSERT INTO rooms (name, epoch, last_seq) VALUES (?, ?, ?)");
      updateRoom = db.prepareStatement("UPDATE rooms SET last_seq = ? WHERE name = ?");
      selectDedup = db.prepareStatement("SELECT epoch, seq, ts FROM dedup WHERE user = ? AND id = ?");
      insertDedup = db.prepareStatement(
          "INSERT INTO dedup (n, user, id, room, epoch, seq, ts, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      insertHistory = db.prepareStatement("INSERT INTO history (room, seq, frame) VALUES (?, ?, ?)");
      trimHistory = db.prepareStatement("DELETE FROM history WHERE room = ? AND seq <= ?");
      pruneDedupCount = db.prepareStatement("DELETE FROM dedup WHERE n <= ?");
      pruneDedupAge = db.prepareStatement(
          "DELETE FROM dedup WHERE n IN (SELECT n FROM dedup ORDER BY n LIMIT 1000) AND stored_at < ?");
      try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(n), MIN(n) FROM dedup")) {
        rs.next();
        nextN = rs.getLong(1) + 1;
        prunedThrough = Math.max(0, rs.getLong(2) - 1);
      }
      db.setAutoCommit(false);
    }

    @Override
    public void run() {
      List<Op> batch = new ArrayList<>();
      try {
        while (true) {
          batch.add(queue.take());
          queue.drainTo(batch, MAX_BATCH - 1);
          boolean close = batch.get(batch.size() - 1) instanceof CloseOp
              || batch.stream().anyMatch(op -> op instanceof CloseOp);
          perform(batch);
          batch.clear();
          if (close) {
            break;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        closeQuietly(db);
      }
    }

    private void perform(List<Op> batch) {
      List<Runnable> done = new ArrayList<>(batch.size());
      long now = millis.getAsLong();
      try {
        for (Op op : batch) {
          if (op instanceof AppendOp a) {
            done.add(append(a, now));
          } else if (op instanceof OpenOp o) {
            done.add(open(o));
          }
        }
        flushRooms();
        pruneDedup(now);
        db.commit();
        commits.incrementAndGet();
      } catch (SQLException | RuntimeException e) {
        log.warn("room store {}: transaction of {} operations failed; rolling back", file, batch.size(), e);
        try {
          db.rollback();
        } catch (SQLException rollback) {
          e.addSuppressed(rollback);
        }
        cache.clear();
        dirty.clear();
        done.clear();
        for (Op op : batch) {
          if (op instanceof AppendOp a) {
            done.add(() -> a.callback().failed(e));
          } else if (op instanceof OpenOp o) {
            done.add(() -> o.result().completeExceptionally(e));
          }
        }
      }
      List<Runnable> run = List.copyOf(done);
      try {
        callbacks.execute(() -> run.forEach(SqliteRoomStore::runQuietly));
      } catch (RejectedExecutionException e) {
        run.forEach(SqliteRoomStore::runQuietly);
      }
    }

    private Runnable open(OpenOp op) throws SQLException {
      RoomMeta meta = meta(op.room());
      RoomState state = new RoomState(meta.epoch, meta.lastSeq);
      return () -> op.result().complete(state);
    }

    private Runnable append(AppendOp op, long now) throws SQLException {
      Draft d = op.draft();
      selectDedup.setString(1, d.user());
      selectDedup.setString(2, d.id());
      try (ResultSet rs = selectDedup.executeQuery()) {
        if (rs.next()) {
          Appended prior = new Appended(rs.getString(1), rs.getLong(2), rs.getLong(3), true, null);
          return () -> op.callback().appended(prior);
        }
      }
      RoomMeta meta = meta(d.room());
      long seq = meta.lastSeq + 1;
      String frame = d.frame(seq, meta.epoch);
      insertHistory.setString(1, d.room());
      insertHistory.setLong(2, seq);
      insertHistory.setString(3, frame);
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
      nextN++;
      meta.lastSeq = seq;
      meta.historyLimit = d.historyLimit();
      dirty.put(d.room(), meta);
      Appended result = new Appended(meta.epoch, seq, d.ts(), false, frame);
      return () -> op.callback().appended(result);
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
          meta = new RoomMeta(rs.getString(1), rs.getLong(2), true);
        }
      }
      if (meta == null) {
        meta = new RoomMeta(Epochs.next(), 0, false);
        insertRoom.setString(1, room);
        insertRoom.setString(2, meta.epoch);
        insertRoom.setLong(3, 0);
        insertRoom.executeUpdate();
        meta.inserted = true;
      }
      cache.put(room, meta);
      return meta;
    }

    private void flushRooms() throws SQLException {
      for (Map.Entry<String, RoomMeta> e : dirty.entrySet()) {
        RoomMeta meta = e.getValue();
        updateRoom.setLong(1, meta.lastSeq);
        updateRoom.setString(2, e.getKey());
        updateRoom.executeUpdate();
        meta.savedSeq = meta.lastSeq;
        long trimThrough = meta.lastSeq - meta.historyLimit;
        if (trimThrough > 0) {
          trimHistory.setString(1, e.getKey());
          trimHistory.setLong(2, trimThrough);
          trimHistory.executeUpdate();
        }
      }
      dirty.clear();
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

  private static void runQuietly(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.warn("room store callback failed", e);
    }
  }

  // ---- the reader

  /** The reader thread's connection and statements; only touched on the reader thread. */
  private static final class Reader {
    private final Connection db;
    private final PreparedStatement selectRoom;
    private final PreparedStatement selectDedup;
    private final PreparedStatement firstSeq;
    private final PreparedStatement selectHistory;

    Reader(Connection db) throws SQLException {
      this.db = db;
      selectRoom = db.prepareStatement("SELECT epoch, last_seq FROM rooms WHERE name = ?");
      selectDedup = db.prepareStatement("SELECT epoch, seq, ts FROM dedup WHERE user = ? AND id = ?");
      firstSeq = db.prepareStatement("SELECT MIN(seq) FROM history WHERE room = ?");
      selectHistory = db.prepareStatement(
          "SELECT seq, frame FROM history WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?");
      db.setAutoCommit(false);
    }

    Optional<RoomState> state(String room) throws SQLException {
      try {
        selectRoom.setString(1, room);
        try (ResultSet rs = selectRoom.executeQuery()) {
          return rs.next() ? Optional.of(new RoomState(rs.getString(1), rs.getLong(2))) : Optional.empty();
        }
      } finally {
        db.commit();
      }
    }

    Optional<Appended> accepted(String user, String id) throws SQLException {
      try {
        selectDedup.setString(1, user);
        selectDedup.setString(2, id);
        try (ResultSet rs = selectDedup.executeQuery()) {
          return rs.next()
              ? Optional.of(new Appended(rs.getString(1), rs.getLong(2), rs.getLong(3), true, null))
              : Optional.empty();
        }
      } finally {
        db.commit();
      }
    }

    /** One read transaction, so that the room's state and its history agree. */
    History history(String room, long after, int limit) throws SQLException {
      try {
        String epoch;
        long lastSeq;
        selectRoom.setString(1, room);
        try (ResultSet rs = selectRoom.executeQuery()) {
          if (!rs.next()) {
            return new History(null, 0, 0, List.of());
          }
          epoch = rs.getString(1);
          lastSeq = rs.getLong(2);
        }
        long first;
        firstSeq.setString(1, room);
        try (ResultSet rs = firstSeq.executeQuery()) {
          rs.next();
          first = rs.getLong(1);
        }
        List<StoredChat> chats = new ArrayList<>();
        if (after < lastSeq) {
          selectHistory.setString(1, room);
          selectHistory.setLong(2, after);
          selectHistory.setInt(3, limit);
          try (ResultSet rs = selectHistory.executeQuery()) {
            while (rs.next()) {
              chats.add(new StoredChat(rs.getLong(1), rs.getString(2)));
            }
          }
        }
        return new History(epoch, first, lastSeq, chats);
      } finally {
        db.commit();
      }
    }

    void close() {
      closeQuietly(db);
    }
  }
}

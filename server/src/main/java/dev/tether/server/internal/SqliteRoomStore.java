package dev.tether.server.internal;

import dev.tether.server.RoomStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * {@link RoomStore#sqlite(Path)}: one database file in WAL mode, locked for this store alone
 * ({@link SqliteFile}), with two connections.
 *
 * <p><b>Writes and dedup lookups</b> ({@link #append}, {@link #open}, {@link #accepted}) go through
 * one bounded queue to one writer thread ({@link SqliteWriter}), which groups them into shared
 * transactions ({@link SqliteTransaction}), an operation that fails taken out of its batch alone;
 * callbacks run after the commit on a callback thread. A lookup is ordered behind every append queued before it, so a
 * chat resent while its original waits in the queue is found, not missed.
 *
 * <p><b>Reads</b> ({@link #state}, {@link #history}) run on a reader thread with their own
 * connection ({@link SqliteReader}).
 *
 * <p>Threads: {@code tether-sqlite-writer-N}, {@code -reader-N} and {@code -callback-N}, daemon,
 * until {@link #close()}. Dedup keeps the newest {@value #DEDUP_CAPACITY} entries, none older than
 * {@link #DEDUP_MAX_AGE}; the writer queues at most {@value #MAX_QUEUED_OPS} operations or
 * {@value #MAX_QUEUED_BYTES} bytes of drafts and refuses more at once.
 */
public final class SqliteRoomStore implements RoomStore {
  private static final AtomicInteger STORES = new AtomicInteger();

  /** Accepted chats remembered for dedup. */
  public static final int DEDUP_CAPACITY = 1_000_000;
  /** How long an accepted chat is remembered for dedup at most. */
  public static final Duration DEDUP_MAX_AGE = Duration.ofDays(7);
  /** Operations waiting for the writer at most. */
  public static final int MAX_QUEUED_OPS = 16_384;
  /** Bytes of drafts waiting for the writer at most: 64 MiB. */
  public static final long MAX_QUEUED_BYTES = 64L << 20;

  /**
   * How a store is opened.
   *
   * @param fsync {@code synchronous=FULL} (every commit reaches the disk) instead of {@code NORMAL}
   * @param dedupCapacity accepted chats remembered for dedup, at least 1
   * @param dedupMaxAge how long an accepted chat is remembered
   * @param millis the clock of dedup ageing
   * @param maxQueuedOps operations waiting for the writer at most, at least 1
   * @param maxQueuedBytes bytes of drafts waiting for the writer at most, at least 1
   * @param readOnly open the file as SQLite does one the OS will not let it write (for tests)
   */
  public record Settings(boolean fsync, int dedupCapacity, Duration dedupMaxAge, LongSupplier millis,
      int maxQueuedOps, long maxQueuedBytes, boolean readOnly) {
    public Settings {
      Objects.requireNonNull(dedupMaxAge, "dedupMaxAge == null");
      Objects.requireNonNull(millis, "millis == null");
      if (dedupCapacity < 1) {
        throw new IllegalArgumentException("dedupCapacity < 1: " + dedupCapacity);
      }
      if (maxQueuedOps < 1) {
        throw new IllegalArgumentException("maxQueuedOps < 1: " + maxQueuedOps);
      }
      if (maxQueuedBytes < 1) {
        throw new IllegalArgumentException("maxQueuedBytes < 1: " + maxQueuedBytes);
      }
    }

    /** The settings of {@link RoomStore#sqlite(Path)}. */
    public static Settings defaults() {
      return new Settings(false, DEDUP_CAPACITY, DEDUP_MAX_AGE, System::currentTimeMillis, MAX_QUEUED_OPS,
          MAX_QUEUED_BYTES, false);
    }

    public Settings withQueue(int maxOps, long maxBytes) {
      return new Settings(fsync, dedupCapacity, dedupMaxAge, millis, maxOps, maxBytes, readOnly);
    }

    public Settings withReadOnly(boolean readOnly) {
      return new Settings(fsync, dedupCapacity, dedupMaxAge, millis, maxQueuedOps, maxQueuedBytes, readOnly);
    }
  }

  private final SqliteFile file;
  private final SqliteWriter writer;
  private final Thread writerThread;
  private final ExecutorService callbacks;
  private final SqliteReader reader;
  /** Guarded by this. */
  private boolean closed;

  private SqliteRoomStore(SqliteFile file, SqliteTransaction tx, Connection readerConnection, Settings settings)
      throws SQLException {
    this.file = file;
    int n = STORES.incrementAndGet();
    this.callbacks = Executors.newSingleThreadExecutor(daemon("tether-sqlite-callback-" + n));
    this.reader = new SqliteReader(readerConnection, Executors.newSingleThreadExecutor(daemon("tether-sqlite-reader-" + n)));
    this.writer = new SqliteWriter(file.path(), tx, callbacks, settings.millis(), settings.maxQueuedOps(),
        settings.maxQueuedBytes());
    this.writerThread = daemon("tether-sqlite-writer-" + n).newThread(writer);
    writerThread.start();
  }

  /** {@link RoomStore#sqlite(Path)}. */
  public static SqliteRoomStore open(Path file) {
    return open(file, Settings.defaults());
  }

  /** A store with these dedup settings and clock, for tests and tuning. */
  public static SqliteRoomStore open(Path file, boolean fsync, int dedupCapacity, Duration dedupMaxAge,
      LongSupplier millis) {
    return open(file, new Settings(fsync, dedupCapacity, dedupMaxAge, millis, MAX_QUEUED_OPS, MAX_QUEUED_BYTES,
        false));
  }

  /**
   * A store with these settings.
   *
   * @throws IllegalStateException if the file cannot be opened as a room store: another server has
   *     it open, it is read-only, or it is not a Tether room store
   */
  public static SqliteRoomStore open(Path file, Settings settings) {
    SqliteFile f = new SqliteFile(file);
    f.lock();
    Connection w = null;
    Connection r = null;
    try {
      w = f.connect(settings.fsync(), settings.readOnly());
      f.prepare(w);
      SqliteTransaction tx = new SqliteTransaction(w, settings.dedupCapacity(), settings.dedupMaxAge().toMillis());
      r = f.connect(settings.fsync(), settings.readOnly());
      return new SqliteRoomStore(f, tx, r, settings);
    } catch (SQLException | RuntimeException e) {
      if (w != null) {
        SqliteFile.closeQuietly(w);
      }
      if (r != null) {
        SqliteFile.closeQuietly(r);
      }
      f.unlock();
      if (e instanceof IllegalStateException ise) {
        throw ise;
      }
      throw new IllegalStateException("cannot open room store " + f.path() + ": " + e.getMessage(), e);
    }
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  // ---- the SPI

  @Override
  public CompletionStage<RoomState> open(String room) {
    return writer.open(room);
  }

  @Override
  public void append(Draft draft, AppendCallback callback) {
    writer.append(draft, callback);
  }

  @Override
  public CompletionStage<Optional<Appended>> accepted(String user, String id) {
    return writer.accepted(user, id);
  }

  @Override
  public CompletionStage<Optional<RoomState>> state(String room) {
    return isClosed() ? closedStage() : reader.state(room);
  }

  @Override
  public CompletionStage<History> history(String room, long after, int limit) {
    return history(room, after, limit, Long.MAX_VALUE);
  }

  @Override
  public CompletionStage<History> history(String room, long after, int limit, long maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes < 1: " + maxBytes);
    }
    return isClosed() ? closedStage() : reader.history(room, after, limit, maxBytes);
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  private static <T> CompletionStage<T> closedStage() {
    return CompletableFuture.failedFuture(new IllegalStateException("store closed"));
  }

  /**
   * Performs and commits what is queued, then closes both connections, ends the threads and
   * releases the file's lock. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    writer.stop();
    try {
      writerThread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    reader.close();
    callbacks.shutdown();
    try {
      callbacks.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    file.unlock();
  }

  /** Transactions committed so far: how many appends shared a commit shows in this against their count. */
  public long commits() {
    return writer.commits();
  }

  @Override
  public String toString() {
    return "RoomStore.sqlite(" + file.path() + ")";
  }
}

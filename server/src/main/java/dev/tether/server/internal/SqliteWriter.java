package dev.tether.server.internal;

import dev.tether.server.RoomStore.AppendCallback;
import dev.tether.server.RoomStore.Appended;
import dev.tether.server.RoomStore.Draft;
import dev.tether.server.RoomStore.RoomState;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of a {@link SqliteRoomStore}: a bounded queue of operations (appends, opens and
 * dedup lookups) and the thread ({@code tether-sqlite-writer-N}) that takes everything queued (up
 * to {@value #MAX_BATCH} operations) and performs it in one transaction ({@link SqliteTransaction}),
 * then commits once. Only after the commit are the batch's
 * results handed to the callback thread ({@code tether-sqlite-callback-N}), in order, while the
 * writer goes on with the next batch. So a chat is acked only once it is committed, callbacks of
 * one room come in seq order, a lookup sees every append queued before it, and under load
 * thousands of operations share one commit.
 *
 * <p><b>Failures.</b> An operation that throws fails alone: the transaction is rolled back and the
 * rest of the batch performed again without it. A commit that fails is rolled back and fails its
 * whole batch. A full queue (more than {@code maxOps} operations or
 * {@code maxBytes} of drafts waiting) fails the new operation at once with a
 * {@link RejectedExecutionException}. An {@link Error} on the writer thread (out of memory, a
 * broken native library) fails the store: the batch and everything queued fail, and every later
 * operation fails at once with an {@link IllegalStateException} naming the cause. Nothing waits
 * forever.
 *
 * <p>Thread-safe: {@link #submit} from any thread, guarded by this; the rest on the writer thread.
 */
final class SqliteWriter implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(SqliteWriter.class);

  /** Operations performed in one transaction at most. */
  static final int MAX_BATCH = 4096;

  private final Path file;
  private final SqliteTransaction tx;
  private final ExecutorService callbacks;
  private final LongSupplier millis;
  private final int maxOps;
  private final long maxBytes;
  private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
  private final AtomicLong commits = new AtomicLong();
  /** Guarded by this. */
  private int queuedOps;
  /** Guarded by this. */
  private long queuedBytes;
  /** Guarded by this. */
  private boolean closed;
  /** Why the writer died; guarded by this. */
  private Throwable failure;

  SqliteWriter(Path file, SqliteTransaction tx, ExecutorService callbacks, LongSupplier millis, int maxOps,
      long maxBytes) {
    this.file = file;
    this.tx = tx;
    this.callbacks = callbacks;
    this.millis = millis;
    this.maxOps = maxOps;
    this.maxBytes = maxBytes;
  }

  // ---- operations

  private abstract static sealed class Op permits AppendOp, OpenOp, LookupOp, CloseOp {
    /** What the op holds while it waits, about. */
    abstract long bytes();

    /** Runs in the transaction; returns what to complete after the commit. */
    abstract Runnable perform(SqliteTransaction tx, long now) throws SQLException;

    abstract void fail(Throwable error);
  }

  private static final class AppendOp extends Op {
    final Draft draft;
    final AppendCallback callback;

    AppendOp(Draft draft, AppendCallback callback) {
      this.draft = draft;
      this.callback = callback;
    }

    @Override
    long bytes() {
      return draft.size() + draft.room().length() + draft.user().length() + draft.id().length() + 64;
    }

    @Override
    Runnable perform(SqliteTransaction tx, long now) throws SQLException {
      Appended result = tx.append(draft, now);
      return () -> callback.appended(result);
    }

    @Override
    void fail(Throwable error) {
      callback.failed(error);
    }

    @Override
    public String toString() {
      return "append of " + draft;
    }
  }

  private static final class OpenOp extends Op {
    final String room;
    final CompletableFuture<RoomState> result = new CompletableFuture<>();

    OpenOp(String room) {
      this.room = room;
    }

    @Override
    long bytes() {
      return room.length() + 64;
    }

    @Override
    Runnable perform(SqliteTransaction tx, long now) throws SQLException {
      RoomState state = tx.open(room);
      return () -> result.complete(state);
    }

    @Override
    void fail(Throwable error) {
      result.completeExceptionally(error);
    }

    @Override
    public String toString() {
      return "open of " + room;
    }
  }

  private static final class LookupOp extends Op {
    final String user;
    final String id;
    final CompletableFuture<Optional<Appended>> result = new CompletableFuture<>();

    LookupOp(String user, String id) {
      this.user = user;
      this.id = id;
    }

    @Override
    long bytes() {
      return user.length() + id.length() + 64;
    }

    @Override
    Runnable perform(SqliteTransaction tx, long now) throws SQLException {
      Optional<Appended> found = tx.accepted(user, id);
      return () -> result.complete(found);
    }

    @Override
    void fail(Throwable error) {
      result.completeExceptionally(error);
    }
  }

  private static final class CloseOp extends Op {
    @Override
    long bytes() {
      return 0;
    }

    @Override
    Runnable perform(SqliteTransaction tx, long now) {
      return () -> { };
    }

    @Override
    void fail(Throwable error) {
      // nobody waits on it
    }
  }

  void append(Draft draft, AppendCallback callback) {
    AppendOp op = new AppendOp(draft, callback);
    RuntimeException refused = submit(op);
    if (refused != null) {
      callback.failed(refused);
    }
  }

  CompletionStage<RoomState> open(String room) {
    OpenOp op = new OpenOp(room);
    RuntimeException refused = submit(op);
    if (refused != null) {
      op.result.completeExceptionally(refused);
    }
    return op.result;
  }

  /** What (user, id) was given, after every operation queued before this one. */
  CompletionStage<Optional<Appended>> accepted(String user, String id) {
    LookupOp op = new LookupOp(user, id);
    RuntimeException refused = submit(op);
    if (refused != null) {
      op.result.completeExceptionally(refused);
    }
    return op.result;
  }

  /** Queues {@code op}; or returns why not. */
  private synchronized RuntimeException submit(Op op) {
    RuntimeException refused = refusal();
    if (refused != null) {
      return refused;
    }
    long bytes = op.bytes();
    if (queuedOps > 0 && (queuedOps >= maxOps || queuedBytes + bytes > maxBytes)) {
      return new RejectedExecutionException("room store " + file + " is busy: " + queuedOps
          + " operations (" + queuedBytes + " bytes) wait for its writer, the most it queues is " + maxOps
          + " operations or " + maxBytes + " bytes; try again later");
    }
    queuedOps++;
    queuedBytes += bytes;
    queue.add(op);
    return null;
  }

  /** Requires the monitor. */
  private RuntimeException refusal() {
    if (failure != null) {
      return new IllegalStateException("room store " + file + " failed: " + failure, failure);
    }
    if (closed) {
      return new IllegalStateException("store closed");
    }
    return null;
  }

  /** Performs what is queued and commits it, then ends the thread. Call once. */
  void stop() {
    synchronized (this) {
      closed = true;
    }
    queue.add(new CloseOp());
  }

  /** Transactions committed so far. */
  long commits() {
    return commits.get();
  }

  // ---- the writer thread

  @Override
  public void run() {
    List<Op> batch = new ArrayList<>();
    try {
      while (true) {
        batch.add(queue.take());
        queue.drainTo(batch, MAX_BATCH - 1);
        taken(batch);
        boolean close = batch.stream().anyMatch(op -> op instanceof CloseOp);
        perform(batch);
        batch.clear();
        if (close) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      die(e, batch);
    } catch (Throwable t) {
      die(t, batch);
    } finally {
      tx.close();
    }
  }

  private synchronized void taken(List<Op> batch) {
    for (Op op : batch) {
      queuedOps--;
      queuedBytes -= op.bytes();
    }
  }

  /**
   * Performs the batch in one transaction and commits it. An operation that throws is taken out:
   * the transaction is rolled back and the rest performed again (failures are rare, so the common
   * path pays nothing for them; renderers are pure, so running one twice is harmless).
   */
  private void perform(List<Op> batch) {
    long now = millis.getAsLong();
    Map<Op, Throwable> failed = new IdentityHashMap<>();
    Map<Op, Runnable> done = new IdentityHashMap<>();
    while (true) {
      done.clear();
      Op current = null;
      try {
        for (Op op : batch) {
          if (!failed.containsKey(op)) {
            current = op;
            done.put(op, op.perform(tx, now));
          }
        }
        current = null;
        tx.commit(now);
        commits.incrementAndGet();
        break;
      } catch (SQLException | RuntimeException e) {
        try {
          tx.rollback();
        } catch (SQLException rollback) {
          e.addSuppressed(rollback);
        }
        if (current == null) {
          log.warn("room store {}: committing {} operations failed; rolled back", file, batch.size(), e);
          done.clear();
          for (Op op : batch) {
            failed.putIfAbsent(op, e);
          }
          break;
        }
        log.warn("room store {}: {} failed; performing the rest of its batch again without it", file,
            current, e);
        failed.put(current, e);
      }
    }
    List<Runnable> results = new ArrayList<>(batch.size());
    for (Op op : batch) {
      Throwable error = failed.get(op);
      results.add(error != null ? () -> op.fail(error) : done.get(op));
    }
    deliver(results);
  }

  /** The writer thread cannot go on: fail the batch, everything queued, and all that comes. */
  private void die(Throwable cause, List<Op> batch) {
    log.error("room store {}: its writer failed; every operation fails from now on", file, cause);
    List<Op> lost = new ArrayList<>(batch);
    synchronized (this) {
      failure = cause;
      queue.drainTo(lost);
      queuedOps = 0;
      queuedBytes = 0;
    }
    IllegalStateException error = new IllegalStateException("room store " + file + " failed: " + cause, cause);
    List<Runnable> done = new ArrayList<>(lost.size());
    for (Op op : lost) {
      done.add(() -> op.fail(error));
    }
    deliver(done);
  }

  private void deliver(List<Runnable> done) {
    List<Runnable> run = List.copyOf(done);
    try {
      callbacks.execute(() -> run.forEach(SqliteWriter::runQuietly));
    } catch (RejectedExecutionException e) {
      run.forEach(SqliteWriter::runQuietly);
    }
  }

  private static void runQuietly(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.warn("room store callback failed", e);
    }
  }
}

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
  private final LinkedBlockingQueue<SqliteOps.Op> queue = new LinkedBlockingQueue<>();
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

  void append(Draft draft, AppendCallback callback) {
    SqliteOps.AppendOp op = new SqliteOps.AppendOp(draft, callback);
    RuntimeException refused = submit(op);
    if (refused != null) {
      callback.failed(refused);
    }
  }

  CompletionStage<RoomState> open(String room) {
    SqliteOps.OpenOp op = new SqliteOps.OpenOp(room);
    RuntimeException refused = submit(op);
    if (refused != null) {
      op.result.completeExceptionally(refused);
    }
    return op.result;
  }

  /** What (user, id) was given, after every operation queued before this one. */
  CompletionStage<Optional<Appended>> accepted(String user, String id) {
    SqliteOps.LookupOp op = new SqliteOps.LookupOp(user, id);
    RuntimeException refused = submit(op);
    if (refused != null) {
      op.result.completeExceptionally(refused);
    }
    return op.result;
  }

  /** Queues {@code op}; or returns why not. */
  private synchronized RuntimeException submit(SqliteOps.Op op) {
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
    queue.add(new SqliteOps.CloseOp());
  }

  /** Transactions committed so far. */
  long commits() {
    return commits.get();
  }

  // ---- the writer thread

  @Override
  public void run() {
    List<SqliteOps.Op> batch = new ArrayList<>();
    try {
      while (true) {
        batch.add(queue.take());
        queue.drainTo(batch, MAX_BATCH - 1);
        taken(batch);
        boolean close = batch.stream().anyMatch(op -> op instanceof SqliteOps.CloseOp);
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

  private synchronized void taken(List<SqliteOps.Op> batch) {
    for (SqliteOps.Op op : batch) {
      queuedOps--;
      queuedBytes -= op.bytes();
    }
  }

  /**
   * Performs the batch in one transaction and commits it. An operation that throws is taken out:
   * the transaction is rolled back and the rest performed again (failures are rare, so the common
   * path pays nothing for them; renderers are pure, so running one twice is harmless).
   */
  private void perform(List<SqliteOps.Op> batch) {
    long now = millis.getAsLong();
    Map<SqliteOps.Op, Throwable> failed = new IdentityHashMap<>();
    Map<SqliteOps.Op, Runnable> done = new IdentityHashMap<>();
    while (true) {
      done.clear();
      SqliteOps.Op current = null;
      try {
        for (SqliteOps.Op op : batch) {
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
          for (SqliteOps.Op op : batch) {
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
    for (SqliteOps.Op op : batch) {
      Throwable error = failed.get(op);
      results.add(error != null ? () -> op.fail(error) : done.get(op));
    }
    deliver(results);
  }

  /** The writer thread cannot go on: fail the batch, everything queued, and all that comes. */
  private void die(Throwable cause, List<SqliteOps.Op> batch) {
    log.error("room store {}: its writer failed; every operation fails from now on", file, cause);
    List<SqliteOps.Op> lost = new ArrayList<>(batch);
    synchronized (this) {
      failure = cause;
      queue.drainTo(lost);
      queuedOps = 0;
      queuedBytes = 0;
    }
    IllegalStateException error = new IllegalStateException("room store " + file + " failed: " + cause, cause);
    List<Runnable> done = new ArrayList<>(lost.size());
    for (SqliteOps.Op op : lost) {
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

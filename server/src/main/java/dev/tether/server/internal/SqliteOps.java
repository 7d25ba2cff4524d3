package dev.tether.server.internal;

import dev.tether.server.RoomStore.AppendCallback;
import dev.tether.server.RoomStore.Appended;
import dev.tether.server.RoomStore.Draft;
import dev.tether.server.RoomStore.RoomState;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What a {@link SqliteWriter} queues: an append, an open, a dedup lookup, or its own end. Each op
 * says about how many bytes it holds while it waits, performs itself in the writer's transaction
 * (returning what to complete once that commits), and fails. Not thread-safe: made by a caller,
 * then touched only on the writer thread and, for its result, the callback thread.
 */
final class SqliteOps {
  private SqliteOps() {}

  abstract static sealed class Op permits AppendOp, OpenOp, LookupOp, CloseOp {
    /** What the op holds while it waits, about. */
    abstract long bytes();

    /** Runs in the transaction; returns what to complete after the commit. */
    abstract Runnable perform(SqliteTransaction tx, long now) throws SQLException;

    abstract void fail(Throwable error);
  }

  static final class AppendOp extends Op {
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

  static final class OpenOp extends Op {
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

  static final class LookupOp extends Op {
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

  static final class CloseOp extends Op {
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
}

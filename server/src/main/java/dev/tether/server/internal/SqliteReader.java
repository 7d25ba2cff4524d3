package dev.tether.server.internal;

import dev.tether.server.RoomStore.History;
import dev.tether.server.RoomStore.RoomState;
import dev.tether.server.RoomStore.StoredChat;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The reads of a {@link SqliteRoomStore} ({@code state}, {@code history}): one connection of its
 * own, used only on the reader thread ({@code tether-sqlite-reader-N}). WAL lets it see the last
 * commit without waiting for the writer; since callbacks run only after their commit, it sees
 * everything whose callback has been called.
 */
final class SqliteReader {
  private final Connection db;
  private final ExecutorService thread;
  private final PreparedStatement selectRoom;
  private final PreparedStatement firstSeq;
  private final PreparedStatement selectHistory;

  SqliteReader(Connection db, ExecutorService thread) throws SQLException {
    this.db = db;
    this.thread = thread;
    selectRoom = db.prepareStatement("SELECT epoch, last_seq FROM rooms WHERE name = ?");
    firstSeq = db.prepareStatement("SELECT MIN(seq) FROM history WHERE room = ?");
    selectHistory = db.prepareStatement(
        "SELECT seq, frame, bytes FROM history WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?");
    db.setAutoCommit(false);
  }

  private interface Read<T> {
    T run() throws SQLException;
  }

  CompletionStage<Optional<RoomState>> state(String room) {
    return read(() -> {
      selectRoom.setString(1, room);
      try (ResultSet rs = selectRoom.executeQuery()) {
        return rs.next() ? Optional.of(new RoomState(rs.getString(1), rs.getLong(2))) : Optional.empty();
      }
    });
  }

  /**
   * One read transaction, so that the room's state and its history agree; rows stop being read
   * once their frames pass {@code maxBytes} (after the first).
   */
  CompletionStage<History> history(String room, long after, int limit, long maxBytes) {
    return read(() -> {
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
          long bytes = 0;
          while (rs.next()) {
            bytes += rs.getLong(3);
            if (!chats.isEmpty() && bytes > maxBytes) {
              break;
            }
            chats.add(new StoredChat(rs.getLong(1), rs.getString(2)));
          }
        }
      }
      return new History(epoch, first, lastSeq, chats);
    });
  }

  private <T> CompletionStage<T> read(Read<T> read) {
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      thread.execute(() -> {
        try {
          result.complete(read.run());
        } catch (SQLException | RuntimeException e) {
          result.completeExceptionally(e);
        } finally {
          endTransaction();
        }
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException("store closed"));
    }
    return result;
  }

  private void endTransaction() {
    try {
      db.commit();
    } catch (SQLException ignored) {
      // a read transaction has nothing to lose; the next read starts a new one
    }
  }

  /** Finishes the reads queued, then closes the connection. */
  void close() {
    thread.shutdown();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    SqliteFile.closeQuietly(db);
  }
}

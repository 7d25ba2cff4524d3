package dev.tether.client.internal;

import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.TetherException;
import dev.tether.api.Wire;
import dev.tether.client.OutboxStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@link OutboxStore#sqlite(Path)}: one JDBC connection in auto-commit mode, WAL journal. Each
 * {@link #add} is its own transaction, committed before it returns. Tables: {@code outbox (n, id,
 * frame)} and {@code rooms (room, last_seq, epoch)}; a file from before epochs gets the
 * {@code epoch} column when it is opened. Guarded by this.
 */
public final class SqliteOutboxStore implements OutboxStore {
  private final Path file;
  private final Connection db;
  private final PreparedStatement insert;
  private final PreparedStatement delete;
  private final PreparedStatement upsertRoom;
  private final PreparedStatement deleteRoom;
  private boolean closed;

  /** @throws IllegalStateException if the SQLite driver is not on the class path, naming its artifact */
  public SqliteOutboxStore(Path file, boolean fsyncEveryCommit) {
    this.file = Objects.requireNonNull(file, "file == null");
    requireDriver();
    try {
      db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
      try (Statement s = db.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=" + (fsyncEveryCommit ? "FULL" : "NORMAL"));
        s.execute("PRAGMA busy_timeout=5000");
        s.execute("CREATE TABLE IF NOT EXISTS outbox ("
            + "n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, frame TEXT NOT NULL)");
        s.execute("CREATE TABLE IF NOT EXISTS rooms (room TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, epoch TEXT)");
        addEpochColumn(s);
      }
      insert = db.prepareStatement("INSERT OR IGNORE INTO outbox (id, frame) VALUES (?, ?)");
      delete = db.prepareStatement("DELETE FROM outbox WHERE id = ?");
      upsertRoom = db.prepareStatement(
          "INSERT INTO rooms (room, last_seq, epoch) VALUES (?, ?, ?) "
              + "ON CONFLICT(room) DO UPDATE SET last_seq = excluded.last_seq, epoch = excluded.epoch");
      deleteRoom = db.prepareStatement("DELETE FROM rooms WHERE room = ?");
    } catch (SQLException e) {
      throw new TetherException("cannot open outbox store " + file + ": " + e.getMessage(), e);
    }
  }

  /** The SQLite JDBC driver's class; DriverManager would only say "No suitable driver found". */
  private static void requireDriver() {
    try {
      Class.forName("org.sqlite.JDBC", false, SqliteOutboxStore.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("OutboxStore.sqlite(..) needs the SQLite JDBC driver, which is not on the class"
          + " path: add org.xerial:sqlite-jdbc (Tether is tested with 3.54.1.0) to your dependencies", e);
    }
  }

  /**
   * Files written before epochs have a rooms table without the epoch column: add it. Their
   * positions have no epoch (NULL) until the client saves them again.
   */
  private static void addEpochColumn(Statement s) throws SQLException {
    try (ResultSet columns = s.executeQuery("PRAGMA table_info(rooms)")) {
      while (columns.next()) {
        if (columns.getString("name").equals("epoch")) {
          return;
        }
      }
    }
    s.execute("ALTER TABLE rooms ADD COLUMN epoch TEXT");
  }

  @Override
  public synchronized void add(Envelope envelope, String frame) {
    try {
      insert.setString(1, envelope.id());
      insert.setString(2, frame);
      insert.executeUpdate();
    } catch (SQLException e) {
      throw new TetherException("cannot store envelope " + envelope.id() + " in " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void remove(String id) {
    try {
      delete.setString(1, id);
      delete.executeUpdate();
    } catch (SQLException e) {
      throw new TetherException("cannot remove envelope " + id + " from " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized List<Envelope> pending() {
    List<Envelope> out = new ArrayList<>();
    try (Statement s = db.createStatement();
        ResultSet rs = s.executeQuery("SELECT frame FROM outbox ORDER BY n")) {
      while (rs.next()) {
        Wire w = EnvelopeCodec.shared().decode(rs.getString(1));
        if (w instanceof Envelope e) {
          out.add(e);
        }
      }
    } catch (SQLException e) {
      throw new TetherException("cannot read outbox store " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  @Override
  public void saveRoom(String room, long lastSeq) {
    saveRoom(room, lastSeq, null);
  }

  @Override
  public synchronized void saveRoom(String room, long lastSeq, String epoch) {
    try {
      if (lastSeq < 0) {
        deleteRoom.setString(1, room);
        deleteRoom.executeUpdate();
      } else {
        upsertRoom.setString(1, room);
        upsertRoom.setLong(2, lastSeq);
        upsertRoom.setString(3, epoch);
        upsertRoom.executeUpdate();
      }
    } catch (SQLException e) {
      throw new TetherException("cannot save room " + room + " in " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized Map<String, Long> rooms() {
    Map<String, Long> out = new LinkedHashMap<>();
    try (Statement s = db.createStatement();
        ResultSet rs = s.executeQuery("SELECT room, last_seq FROM rooms")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
    } catch (SQLException e) {
      throw new TetherException("cannot read rooms from " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  @Override
  public synchronized Map<String, String> roomEpochs() {
    Map<String, String> out = new LinkedHashMap<>();
    try (Statement s = db.createStatement();
        ResultSet rs = s.executeQuery("SELECT room, epoch FROM rooms WHERE epoch IS NOT NULL")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    } catch (SQLException e) {
      throw new TetherException("cannot read room epochs from " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      db.close();
    } catch (SQLException e) {
      throw new TetherException("cannot close " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "OutboxStore.sqlite(" + file + ")";
  }
}

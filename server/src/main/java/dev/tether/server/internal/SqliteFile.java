package dev.tether.server.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The database file of a {@link SqliteRoomStore}: its lock, its connections and its schema.
 *
 * <p><b>One server per file</b> is enforced with an exclusive {@link FileLock} on
 * {@code FILE.lock}, held from {@link #lock} until {@link #unlock}: a second store on the same
 * file, in this process or another, fails to open instead of corrupting seqs.
 *
 * <p><b>Schema</b> (version {@value #VERSION}, in {@code PRAGMA user_version}):
 * {@code rooms(name, epoch, last_seq)}, {@code history(room, seq, frame, bytes)},
 * {@code dedup(n, user, id, room, epoch, seq, ts, stored_at)}. A version-0 file (before
 * {@code history.bytes}) is migrated in place. {@link #prepare} writes the version on every open,
 * which is also the write probe: a file SQLite can only read fails there, not at the first join.
 */
final class SqliteFile {
  /** The schema version this code writes. */
  static final int VERSION = 2;

  private final Path file;
  private FileChannel lockChannel;
  private FileLock lock;

  /** @throws IllegalStateException if the SQLite driver is not on the class path, naming its artifact */
  SqliteFile(Path file) {
    requireDriver();
    this.file = file.toAbsolutePath();
  }

  /** The SQLite JDBC driver's class; DriverManager would only say "No suitable driver found". */
  private static void requireDriver() {
    try {
      Class.forName("org.sqlite.JDBC", false, SqliteFile.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("RoomStore.sqlite(..) needs the SQLite JDBC driver, which is not on the class"
          + " path: add org.xerial:sqlite-jdbc (Tether is tested with 3.54.1.0) to your dependencies", e);
    }
  }

  Path path() {
    return file;
  }

  /** Takes the file's lock, or throws an {@link IllegalStateException} saying who has it. */
  void lock() {
    Path lockFile = Path.of(file + ".lock");
    try {
      lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new IllegalStateException("cannot open room store " + file + ": cannot create " + lockFile + ": " + e, e);
    }
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException e) {
      unlock();
      throw new IllegalStateException("cannot open room store " + file + ": cannot lock " + lockFile + ": " + e, e);
    }
    if (lock == null) {
      unlock();
      throw new IllegalStateException("cannot open room store " + file + ": another server has it open ("
          + lockFile + " is locked); one server per file");
    }
  }

  /** Releases the lock, if held. Idempotent. */
  void unlock() {
    try {
      if (lock != null) {
        lock.release();
      }
      if (lockChannel != null) {
        lockChannel.close();
      }
    } catch (IOException ignored) {
      // the lock goes with the channel, or with the process
    } finally {
      lock = null;
      lockChannel = null;
    }
  }

  /**
   * A connection in WAL mode; {@code readOnly} opens it as SQLite opens a file the OS will not let
   * it write.
   */
  Connection connect(boolean fsync, boolean readOnly) throws SQLException {
    Properties properties = new Properties();
    if (readOnly) {
      properties.setProperty("open_mode", Integer.toString(0x00000001)); // SQLITE_OPEN_READONLY
    }
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + file, properties);
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

  /**
   * Creates or migrates the schema and writes its version, in one transaction.
   *
   * @throws IllegalStateException if the file cannot be written
   */
  void prepare(Connection c) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS rooms ("
          + "name TEXT PRIMARY KEY, epoch TEXT NOT NULL, last_seq INTEGER NOT NULL) WITHOUT ROWID");
      s.execute("CREATE TABLE IF NOT EXISTS history (room TEXT NOT NULL, seq INTEGER NOT NULL, "
          + "frame TEXT NOT NULL, bytes INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (room, seq)) WITHOUT ROWID");
      s.execute("CREATE TABLE IF NOT EXISTS dedup (n INTEGER PRIMARY KEY, user TEXT NOT NULL, id TEXT NOT NULL, "
          + "room TEXT NOT NULL, epoch TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, "
          + "stored_at INTEGER NOT NULL)");
      s.execute("CREATE UNIQUE INDEX IF NOT EXISTS dedup_key ON dedup (user, id)");
      if (!hasColumn(s, "history", "bytes")) {
        s.execute("ALTER TABLE history ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0");
        s.execute("UPDATE history SET bytes = length(CAST(frame AS BLOB))");
      }
      s.execute("PRAGMA user_version = " + VERSION);
      c.commit();
    } catch (SQLException e) {
      try {
        c.rollback();
      } catch (SQLException rollback) {
        e.addSuppressed(rollback);
      }
      if (readOnly(e)) {
        throw new IllegalStateException("room store " + file + " is read-only (" + e.getMessage()
            + "): give this process write access to the file and its directory", e);
      }
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  private static boolean hasColumn(Statement s, String table, String column) throws SQLException {
    try (ResultSet rs = s.executeQuery("PRAGMA table_info(" + table + ")")) {
      while (rs.next()) {
        if (column.equals(rs.getString("name"))) {
          return true;
        }
      }
      return false;
    }
  }

  /** SQLITE_READONLY or one of its extended codes (sqlite-jdbc puts the result code in the vendor code). */
  private static boolean readOnly(SQLException e) {
    return (e.getErrorCode() & 0xff) == 8;
  }

  static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // closing is best effort
    }
  }
}

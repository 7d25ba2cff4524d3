package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.server.RoomStore.Appended;
import dev.tether.server.RoomStore.Draft;
import dev.tether.server.RoomStore.RoomState;
import dev.tether.server.RoomStore.StoredChat;
import dev.tether.server.internal.SqliteRoomStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteRoomStoreTest extends RoomStoreContractTest {
  @TempDir Path dir;
  private final AtomicInteger files = new AtomicInteger();
  private Path file;

  @Override
  RoomStore newStore(int dedupCapacity, Duration dedupMaxAge) {
    file = dir.resolve("rooms-" + files.incrementAndGet() + ".db");
    return SqliteRoomStore.open(file, false, dedupCapacity, dedupMaxAge, clock::get);
  }

  @Test
  void aReopenedStoreKeepsRoomsEpochsSeqsHistoryAndDedup() throws Exception {
    RoomState lobby = get(store.open("lobby"));
    for (int i = 1; i <= 3; i++) {
      append("lobby", "alice", "m" + i, 100);
    }
    Appended kitchen = append("kitchen", "bob", "k1", 100);
    store.close();

    store = SqliteRoomStore.open(file, false, 1_000, Duration.ofHours(1), clock::get);
    assertThat(get(store.state("lobby"))).contains(new RoomState(lobby.epoch(), 3));
    assertThat(get(store.open("kitchen"))).isEqualTo(new RoomState(kitchen.epoch(), 1));
    assertThat(get(store.history("lobby", 0, 10)).chats()).extracting(StoredChat::frame)
        .containsExactly("lobby#1@" + lobby.epoch() + ":m1", "lobby#2@" + lobby.epoch() + ":m2",
            "lobby#3@" + lobby.epoch() + ":m3");
    assertThat(append("lobby", "alice", "m2", 100)).isEqualTo(new Appended(lobby.epoch(), 2, 1234, true, null));
    assertThat(append("lobby", "alice", "m4", 100).seq()).isEqualTo(4);
  }

  @Test
  void appendsQueuedWhileTheWriterIsBusyShareOneCommit() throws Exception {
    SqliteRoomStore sqlite = (SqliteRoomStore) store;
    get(sqlite.open("lobby")); // schema and room in place
    long before = sqlite.commits();
    CountDownLatch writerBusy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Recorder first = new Recorder();
    // The renderer runs on the writer thread, inside the transaction: it holds the writer.
    sqlite.append(new Draft("lobby", "alice", "first", 1, 10_000, (seq, epoch) -> {
      writerBusy.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "first";
    }), first);
    assertThat(writerBusy.await(10, TimeUnit.SECONDS)).isTrue();
    List<Recorder> rest = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      Recorder r = new Recorder();
      sqlite.append(draft("lobby", "alice", "m" + i, 10_000), r);
      rest.add(r);
    }
    release.countDown();
    assertThat(first.next().seq()).isEqualTo(1);
    for (int i = 0; i < rest.size(); i++) {
      assertThat(rest.get(i).next().seq()).isEqualTo(i + 2L);
    }
    long commits = sqlite.commits() - before;
    System.out.printf("sqlite group commit: 1,001 appends in %d commits%n", commits);
    assertThat(commits).isEqualTo(2);
  }

  @Test
  void fsyncEveryCommitAlsoWorks() throws Exception {
    store.close();
    file = dir.resolve("fsync.db");
    store = SqliteRoomStore.open(file, true, 1_000, Duration.ofHours(1), clock::get);
    assertThat(append("lobby", "alice", "m1", 10).seq()).isEqualTo(1);
  }

  /** Holds the writer with a renderer until {@code release}; returns once it is held. */
  private Recorder holdWriter(CountDownLatch release) throws Exception {
    CountDownLatch rendering = new CountDownLatch(1);
    Recorder r = new Recorder();
    store.append(held("busy", "hold-" + System.nanoTime(), rendering, release), r);
    assertThat(rendering.await(10, TimeUnit.SECONDS)).isTrue();
    return r;
  }

  /** Guards review 11 finding 7: one bad operation rolled back its whole batch. */
  @Test
  void anOperationThatFailsInABatchFailsAloneAndTheRestCommitTogether() throws Exception {
    get(store.open("lobby"));
    SqliteRoomStore sqlite = (SqliteRoomStore) store;
    CountDownLatch release = new CountDownLatch(1);
    Recorder holder = holdWriter(release);
    long before = sqlite.commits();
    Recorder a = new Recorder();
    Recorder bad = new Recorder();
    Recorder c = new Recorder();
    store.append(draft("lobby", "alice", "a", 100), a);
    store.append(new Draft("lobby", "alice", "bad", 1, 100, (seq, epoch) -> {
      throw new IllegalStateException("renderer broke");
    }), bad);
    store.append(draft("lobby", "alice", "c", 100), c);
    release.countDown();
    holder.next();
    assertThat(a.next().seq()).isEqualTo(1);
    assertThatThrownBy(bad::next).hasRootCauseMessage("renderer broke");
    assertThat(c.next().seq()).isEqualTo(2);
    assertThat(sqlite.commits() - before).isEqualTo(2); // the held batch, then a, bad and c in one
    assertThat(get(store.history("lobby", 0, 10)).chats()).extracting(StoredChat::seq).containsExactly(1L, 2L);
  }

  /** An Error kills the writer thread: guards review 11 finding 7, where everything queued then waited forever. */
  @Test
  void anErrorOnTheWriterFailsTheBatchEverythingQueuedAndAllThatComes() throws Exception {
    get(store.open("lobby"));
    CountDownLatch rendering = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Recorder doomed = new Recorder();
    store.append(new Draft("lobby", "alice", "doomed", 1, 100, (seq, epoch) -> {
      rendering.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new LinkageError("native library gone");
    }), doomed);
    assertThat(rendering.await(10, TimeUnit.SECONDS)).isTrue();
    Recorder queued = new Recorder();
    store.append(draft("lobby", "alice", "queued", 100), queued);
    CompletionStage<RoomState> queuedOpen = store.open("kitchen");
    release.countDown();
    assertThatThrownBy(doomed::next).hasCauseInstanceOf(IllegalStateException.class)
        .hasRootCauseMessage("native library gone");
    assertThatThrownBy(queued::next).hasCauseInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> get(queuedOpen)).hasCauseInstanceOf(IllegalStateException.class);
    Recorder later = new Recorder();
    store.append(draft("lobby", "alice", "later", 100), later);
    assertThatThrownBy(later::next).cause().isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(file.toString()).hasMessageContaining("failed: java.lang.LinkageError: native library gone");
    assertThatThrownBy(() -> get(store.accepted("alice", "queued"))).hasCauseInstanceOf(IllegalStateException.class);
    store.close();
    // Nothing of the failed batch was committed.
    store = SqliteRoomStore.open(file, false, 1_000, Duration.ofHours(1), clock::get);
    assertThat(get(store.state("lobby")).orElseThrow().lastSeq()).isZero();
  }

  /** Guards review 11 finding 6: the writer's queue was unbounded. */
  @Test
  void aFullWriterQueueRefusesAtOnceByOperations() throws Exception {
    store.close();
    store = SqliteRoomStore.open(dir.resolve("small-queue.db"), SqliteRoomStore.Settings.defaults().withQueue(3, 1 << 20));
    get(store.open("lobby"));
    CountDownLatch release = new CountDownLatch(1);
    Recorder holder = holdWriter(release);
    List<Recorder> taken = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Recorder r = new Recorder();
      store.append(draft("lobby", "alice", "m" + i, 100), r);
      taken.add(r);
    }
    Recorder refused = new Recorder();
    store.append(draft("lobby", "alice", "one-too-many", 100), refused);
    assertThat(refused.results.poll()).as("refused at once, on the caller's thread")
        .isInstanceOf(RejectedExecutionException.class).asString().contains("is busy: 3 operations");
    assertThatThrownBy(() -> get(store.open("kitchen"))).hasCauseInstanceOf(RejectedExecutionException.class);
    release.countDown();
    holder.next();
    for (int i = 0; i < 3; i++) {
      assertThat(taken.get(i).next().seq()).isEqualTo(i + 1L);
    }
    // Room again once the writer took them.
    assertThat(append("lobby", "alice", "one-too-many", 100).seq()).isEqualTo(4);
  }

  @Test
  void aFullWriterQueueRefusesAtOnceByBytes() throws Exception {
    store.close();
    store = SqliteRoomStore.open(dir.resolve("small-bytes.db"), SqliteRoomStore.Settings.defaults().withQueue(1000, 10_000));
    get(store.open("lobby"));
    CountDownLatch release = new CountDownLatch(1);
    Recorder holder = holdWriter(release);
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    Recorder refused = new Recorder();
    store.append(sized("lobby", "a", 4_000, 1 << 20), a);
    store.append(sized("lobby", "b", 4_000, 1 << 20), b);
    store.append(sized("lobby", "c", 4_000, 1 << 20), refused);
    assertThat(refused.results.poll()).isInstanceOf(RejectedExecutionException.class);
    release.countDown();
    holder.next();
    assertThat(a.next().seq()).isEqualTo(1);
    assertThat(b.next().seq()).isEqualTo(2);
  }

  /** Guards review 11 finding 7: a read-only file opened fine, then failed every join. */
  @Test
  void aFileSqliteCanOnlyReadFailsAtOpenNamingIt() {
    store.close(); // the file exists, with its schema
    assertThatThrownBy(() -> SqliteRoomStore.open(file, SqliteRoomStore.Settings.defaults().withReadOnly(true)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("room store " + file.toAbsolutePath() + " is read-only")
        .hasMessageContaining("write access");
    // and the file's lock was released: it opens again
    store = SqliteRoomStore.open(file, false, 1_000, Duration.ofHours(1), clock::get);
  }

  @Test
  void aFileTheProcessMayNotWriteFailsAtOpen() throws Exception {
    store.close();
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
    try {
      Assumptions.assumeFalse(Files.isWritable(file), "this process may write read-only files (root)");
      assertThatThrownBy(() -> RoomStore.sqlite(file)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("is read-only");
    } finally {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
      store = SqliteRoomStore.open(file, false, 1_000, Duration.ofHours(1), clock::get);
    }
  }

  @Test
  void aSecondStoreOnTheSameFileFailsToOpen() throws Exception {
    assertThatThrownBy(() -> RoomStore.sqlite(file)).isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot open room store " + file.toAbsolutePath() + ": another server has it open ("
            + file.toAbsolutePath() + ".lock is locked); one server per file");
    assertThat(append("lobby", "alice", "m1", 100).seq()).isEqualTo(1); // the first is unharmed
  }

  @Test
  void aFileAnotherProcessHasOpenFailsToOpenUntilThatProcessEnds() throws Exception {
    store.close();
    Path other = dir.resolve("other-process.db");
    Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), SqliteStoreHolder.class.getName(), other.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("open");
      assertThatThrownBy(() -> RoomStore.sqlite(other)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("another server has it open");
    } finally {
      holder.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    store = RoomStore.sqlite(other); // the lock went with the process
    assertThat(append("lobby", "alice", "m1", 100).seq()).isEqualTo(1);
  }

  @Test
  void historyBytesAreKeptAcrossAReopen() throws Exception {
    for (int i = 1; i <= 4; i++) {
      Recorder r = new Recorder();
      store.append(sized("lobby", "m" + i, 1_000, 4_500), r);
      r.next();
    }
    store.close();
    store = SqliteRoomStore.open(file, false, 1_000, Duration.ofHours(1), clock::get);
    Recorder r = new Recorder();
    store.append(sized("lobby", "m5", 1_000, 4_500), r);
    assertThat(r.next().seq()).isEqualTo(5);
    assertThat(get(store.history("lobby", 0, 10)).chats()).extracting(StoredChat::seq).containsExactly(2L, 3L, 4L, 5L);
  }

  @Test
  void aFileOfTheFirstSchemaIsMigratedWithItsHistorysBytes() throws Exception {
    store.close();
    Path old = dir.resolve("schema-0.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + old); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE rooms (name TEXT PRIMARY KEY, epoch TEXT NOT NULL, last_seq INTEGER NOT NULL) WITHOUT ROWID");
      s.execute("CREATE TABLE history (room TEXT NOT NULL, seq INTEGER NOT NULL, frame TEXT NOT NULL, "
          + "PRIMARY KEY (room, seq)) WITHOUT ROWID");
      s.execute("CREATE TABLE dedup (n INTEGER PRIMARY KEY, user TEXT NOT NULL, id TEXT NOT NULL, room TEXT NOT NULL, "
          + "epoch TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, stored_at INTEGER NOT NULL)");
      s.execute("CREATE UNIQUE INDEX dedup_key ON dedup (user, id)");
      s.execute("INSERT INTO rooms VALUES ('lobby', 'old-epoch', 3)");
      for (int seq = 1; seq <= 3; seq++) {
        s.execute("INSERT INTO history VALUES ('lobby', " + seq + ", '" + "é".repeat(500) + "')"); // 1,000 bytes
        s.execute("INSERT INTO dedup VALUES (" + seq + ", 'alice', 'm" + seq + "', 'lobby', 'old-epoch', " + seq
            + ", 1234, " + clock.get() + ")");
      }
    }
    store = SqliteRoomStore.open(old, false, 1_000, Duration.ofHours(1), clock::get);
    assertThat(append("lobby", "alice", "m2", 100)).isEqualTo(new Appended("old-epoch", 2, 1234, true, null));
    Recorder r = new Recorder();
    store.append(sized("lobby", "m4", 1_000, 2_500), r);
    assertThat(r.next()).extracting(Appended::epoch, Appended::seq).containsExactly("old-epoch", 4L);
    assertThat(get(store.history("lobby", 0, 10)).chats()).extracting(StoredChat::seq).containsExactly(3L, 4L);
  }
}

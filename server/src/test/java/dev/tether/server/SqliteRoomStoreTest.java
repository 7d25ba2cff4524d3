package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.RoomStore.Appended;
import dev.tether.server.RoomStore.Draft;
import dev.tether.server.RoomStore.RoomState;
import dev.tether.server.RoomStore.StoredChat;
import dev.tether.server.internal.SqliteRoomStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
}

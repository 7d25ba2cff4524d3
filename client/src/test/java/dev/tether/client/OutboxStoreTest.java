package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.Envelope;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stores keep each room's position with its epoch; old files and old implementations still work. */
class OutboxStoreTest {

  @Test
  void theSqliteStoreKeepsEachPositionWithItsEpochAcrossReopening(@TempDir Path dir) {
    Path file = dir.resolve("outbox.db");
    try (OutboxStore store = OutboxStore.sqlite(file)) {
      store.saveRoom("lobby", 20, "q3Jx0cVb9LmT2wAe");
      store.saveRoom("kitchen", 4, null);
      store.saveRoom("attic", 1, "e1");
      store.saveRoom("attic", -1, null);
    }
    try (OutboxStore store = OutboxStore.sqlite(file)) {
      assertThat(store.rooms()).isEqualTo(Map.of("lobby", 20L, "kitchen", 4L));
      assertThat(store.roomEpochs()).isEqualTo(Map.of("lobby", "q3Jx0cVb9LmT2wAe"));
      store.saveRoom("lobby", 0, "Zk8vYw2LrT0aQm5s"); // a reset: a new stream from its start
      assertThat(store.rooms()).containsEntry("lobby", 0L);
      assertThat(store.roomEpochs()).containsEntry("lobby", "Zk8vYw2LrT0aQm5s");
    }
  }

  /** A file written by a client from before epochs: its rooms table has no epoch column. */
  @Test
  void anSqliteFileFromBeforeEpochsIsOpenedAndGetsTheColumn(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("old.db");
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = db.createStatement()) {
      s.execute("CREATE TABLE outbox (n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, frame TEXT NOT NULL)");
      s.execute("CREATE TABLE rooms (room TEXT PRIMARY KEY, last_seq INTEGER NOT NULL)");
      s.execute("INSERT INTO rooms VALUES ('lobby', 7)");
      s.execute("INSERT INTO outbox (id, frame) VALUES ('c-1', '{\"type\":\"chat\",\"id\":\"c-1\",\"room\":\"lobby\","
          + "\"body\":{\"text\":\"kept\"}}')");
    }
    try (OutboxStore store = OutboxStore.sqlite(file)) {
      assertThat(store.rooms()).isEqualTo(Map.of("lobby", 7L));
      assertThat(store.roomEpochs()).isEmpty();
      assertThat(store.pending()).extracting(Envelope::text).containsExactly("kept");
      store.saveRoom("lobby", 8, "e1");
    }
    try (OutboxStore store = OutboxStore.sqlite(file)) {
      assertThat(store.roomEpochs()).isEqualTo(Map.of("lobby", "e1"));
      assertThat(store.rooms()).isEqualTo(Map.of("lobby", 8L));
    }
  }

  @Test
  void theMemoryStoreKeepsEpochsToo() {
    OutboxStore store = OutboxStore.inMemory();
    store.saveRoom("lobby", 3, "e1");
    store.saveRoom("kitchen", 2, null);
    assertThat(store.roomEpochs()).isEqualTo(Map.of("lobby", "e1"));
    store.saveRoom("lobby", -1, null);
    assertThat(store.roomEpochs()).isEmpty();
    assertThat(store.rooms()).isEqualTo(Map.of("kitchen", 2L));
  }

  /** A store implemented before epochs: the defaults keep it working, without epochs. */
  @Test
  void aStoreWrittenBeforeEpochsGetsPositionsWithoutThem() {
    List<String> saved = new ArrayList<>();
    OutboxStore old = new OutboxStore() {
      private final Map<String, Long> rooms = new LinkedHashMap<>();

      @Override
      public void add(Envelope envelope, String frame) {}

      @Override
      public void remove(String id) {}

      @Override
      public List<Envelope> pending() {
        return List.of();
      }

      @Override
      public void saveRoom(String room, long lastSeq) {
        saved.add(room + " " + lastSeq);
        rooms.put(room, lastSeq);
      }

      @Override
      public Map<String, Long> rooms() {
        return rooms;
      }

      @Override
      public void close() {}
    };
    old.saveRoom("lobby", 5, "e1");
    assertThat(saved).containsExactly("lobby 5");
    assertThat(old.roomEpochs()).isEmpty();
  }
}

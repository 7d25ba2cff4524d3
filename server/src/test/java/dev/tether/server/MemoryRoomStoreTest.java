package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.internal.MemoryRoomStore;
import dev.tether.server.RoomStore.Draft;
import dev.tether.server.RoomStore.History;
import dev.tether.server.RoomStore.StoredChat;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MemoryRoomStoreTest extends RoomStoreContractTest {
  @Override
  RoomStore newStore(int dedupCapacity, Duration dedupMaxAge) {
    return new MemoryRoomStore(dedupCapacity, dedupMaxAge, clock::get);
  }

  @Test
  void aNewStoreIsANewEpochForEveryRoom() throws Exception {
    String before = get(store.open("lobby")).epoch();
    try (RoomStore other = RoomStore.inMemory()) {
      assertThat(get(other.open("lobby")).epoch()).isNotEqualTo(before);
    }
  }

  @Test
  void allRoomsTogetherHoldAtMostTheStoresBudgetTheOldestChatsGoingFirst() throws Exception {
    store.close();
    MemoryRoomStore memory = new MemoryRoomStore(1_000, Duration.ofHours(1), clock::get, 10_000);
    store = memory;
    for (int i = 1; i <= 5; i++) {
      appendSized("idle", "i" + i);
    }
    for (int i = 1; i <= 8; i++) {
      appendSized("busy", "b" + i);
    }
    assertThat(memory.historyBytes()).isEqualTo(10_000);
    History idle = get(store.history("idle", 0, 100));
    assertThat(idle.chats()).extracting(StoredChat::seq).containsExactly(4L, 5L);
    assertThat(idle.firstSeq()).isEqualTo(4);
    assertThat(idle.lastSeq()).isEqualTo(5);
    assertThat(get(store.history("busy", 0, 100)).chats()).hasSize(8);
    // Reading from before what is held starts at the oldest held.
    assertThat(get(store.history("idle", 1, 100)).chats()).extracting(StoredChat::seq).containsExactly(4L, 5L);
  }

  @Test
  void theStoresBudgetCountsWhatRoomsDropThemselvesExactly() throws Exception {
    store.close();
    MemoryRoomStore memory = new MemoryRoomStore(100_000, Duration.ofHours(1), clock::get, 1L << 30);
    store = memory;
    for (int i = 1; i <= 5_000; i++) {
      Recorder r = new Recorder();
      store.append(new Draft("room-" + (i % 7), "alice", "m" + i, 1234, 10, 1L << 20, 100,
          (seq, epoch) -> "y".repeat(100)), r);
      r.next();
    }
    assertThat(memory.historyBytes()).isEqualTo(7 * 10 * 100);
  }

  private void appendSized(String room, String id) throws Exception {
    Recorder r = new Recorder();
    store.append(sized(room, id, 1_000, 1L << 20), r);
    r.next();
  }
}

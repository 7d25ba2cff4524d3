package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.internal.MemoryRoomStore;
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
}

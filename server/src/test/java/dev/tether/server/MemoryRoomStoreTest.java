package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.internal.MemoryRoomStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class MemoryRoomStoreTest extends RoomStoreContractTest {
  @Override
  RoomStore newStore(int dedupCapacity, Duration dedupMaxAge) {
    return new MemoryRoomStore(dedupCapacity, dedupMaxAge, clock::get);
  }

  @Test
  void resetForgetsEveryRoomAndTheDedupMemoryAndStartsNewEpochs() throws Exception {
    String before = append("lobby", "alice", "m1", 10).epoch();
    append("lobby", "alice", "m2", 10);
    ((MemoryRoomStore) store).reset();

    assertThat(get(store.state("lobby"))).isEmpty();
    assertThat(get(store.accepted("alice", "m1"))).isEmpty();
    assertThat(get(store.history("lobby", 0, 10)).chats()).isEmpty();
    RoomStore.RoomState fresh = get(store.open("lobby"));
    assertThat(fresh.lastSeq()).isZero();
    assertThat(fresh.epoch()).isNotEqualTo(before);
    // The same chat is new again: seq 1 of the new stream.
    RoomStore.Appended again = append("lobby", "alice", "m1", 10);
    assertThat(again.duplicate()).isFalse();
    assertThat(again.seq()).isEqualTo(1);
    assertThat(again.epoch()).isEqualTo(fresh.epoch());
  }

  /**
   * Appends racing with resets each land in one stream: per epoch the seqs a room's callbacks
   * report are gap-free from 1, and every append is answered once.
   */
  @Test
  void appendsDuringResetsLandWholeInOneStream() throws Exception {
    MemoryRoomStore memory = (MemoryRoomStore) store;
    int writers = 4;
    int each = 2_000;
    ConcurrentLinkedQueue<RoomStore.Appended> results = new ConcurrentLinkedQueue<>();
    CountDownLatch done = new CountDownLatch(writers);
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      String user = "u" + w;
      Thread t = new Thread(() -> {
        for (int i = 0; i < each; i++) {
          store.append(draft("lobby", user, "m" + i, 100_000), new RoomStore.AppendCallback() {
            @Override
            public void appended(RoomStore.Appended result) {
              results.add(result);
            }

            @Override
            public void failed(Throwable error) {
              throw new AssertionError(error);
            }
          });
        }
        done.countDown();
      });
      threads.add(t);
      t.start();
    }
    int resets = 0;
    while (done.getCount() > 0) {
      memory.reset();
      resets++;
      Thread.onSpinWait();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(results).hasSize(writers * each).allSatisfy(a -> assertThat(a.duplicate()).isFalse());
    Map<String, List<Long>> seqsByEpoch = new HashMap<>();
    for (RoomStore.Appended a : results) {
      seqsByEpoch.computeIfAbsent(a.epoch(), e -> new ArrayList<>()).add(a.seq());
    }
    for (List<Long> seqs : seqsByEpoch.values()) {
      seqs.sort(null);
      for (int i = 0; i < seqs.size(); i++) {
        assertThat(seqs.get(i)).isEqualTo(i + 1L);
      }
    }
    assertThat(resets).isPositive();
  }

  @Test
  void aNewStoreIsANewEpochForEveryRoom() throws Exception {
    String before = get(store.open("lobby")).epoch();
    try (RoomStore other = RoomStore.inMemory()) {
      assertThat(get(other.open("lobby")).epoch()).isNotEqualTo(before);
    }
  }
}

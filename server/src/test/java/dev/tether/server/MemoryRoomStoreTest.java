package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.internal.MemoryRoomStore;
import dev.tether.server.RoomStore.Draft;
import dev.tether.server.RoomStore.History;
import dev.tether.server.RoomStore.StoredChat;
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

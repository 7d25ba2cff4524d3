package dev.tether.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.RoomStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two appends of one chat (the same user and id) that both pass the dedup look-up before either
 * is claimed: the memory store takes one and answers the other as its duplicate, whichever room
 * each names, and leaves no seq behind. The twin's append is the one the claim undoes (the store
 * looks the chat up once, before the room's lock), so this pins that path down: the first append
 * is held inside its renderer, under its room's lock, until the twin has got as far as it can.
 */
class MemoryRoomStoreTwinsTest {
  private final MemoryRoomStore store = new MemoryRoomStore();
  private final CountDownLatch rendering = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void close() {
    release.countDown();
    store.close();
  }

  @Test
  void aTwinInTheSameRoomWaitsForTheRoomAndIsAnsweredAsTheDuplicate() throws Exception {
    CompletableFuture<RoomStore.Appended> first = appendHeld("lobby");
    CompletableFuture<RoomStore.Appended> twin = new CompletableFuture<>();
    Thread twinThread = new Thread(() -> store.append(draft("lobby", (seq, epoch) -> "twin-" + seq), into(twin)));
    twinThread.start();
    // The twin looked the chat up (not claimed yet) and waits for the room's lock.
    await().atMost(Duration.ofSeconds(10)).until(() -> twinThread.getState() == Thread.State.BLOCKED);
    release.countDown();

    RoomStore.Appended accepted = first.get(10, TimeUnit.SECONDS);
    RoomStore.Appended duplicate = twin.get(10, TimeUnit.SECONDS);
    assertThat(accepted.duplicate()).isFalse();
    assertThat(accepted.seq()).isEqualTo(1);
    assertThat(duplicate.duplicate()).isTrue();
    assertThat(duplicate.seq()).isEqualTo(1);
    assertThat(duplicate.epoch()).isEqualTo(accepted.epoch());
    // The twin's seq was taken back: the room holds the first chat only, and goes on from it.
    RoomStore.History history = store.history("lobby", 0, 10).toCompletableFuture().get();
    assertThat(history.lastSeq()).isEqualTo(1);
    assertThat(history.chats()).extracting(RoomStore.StoredChat::frame).containsExactly("held-1");
    assertThat(appendNew("lobby", "m2").seq()).isEqualTo(2);
  }

  @Test
  void aTwinInAnotherRoomThatClaimsFirstMakesTheHeldAppendItsDuplicate() throws Exception {
    CompletableFuture<RoomStore.Appended> held = appendHeld("lobby");
    CompletableFuture<RoomStore.Appended> twin = new CompletableFuture<>();
    store.append(draft("annex", (seq, epoch) -> "twin-" + seq), into(twin));
    RoomStore.Appended accepted = twin.get(10, TimeUnit.SECONDS);
    release.countDown();

    RoomStore.Appended duplicate = held.get(10, TimeUnit.SECONDS);
    assertThat(accepted.duplicate()).isFalse();
    assertThat(duplicate.duplicate()).isTrue();
    assertThat(duplicate.seq()).isEqualTo(accepted.seq());
    assertThat(duplicate.epoch()).isEqualTo(accepted.epoch());
    RoomStore.History lobby = store.history("lobby", 0, 10).toCompletableFuture().get();
    assertThat(lobby.lastSeq()).isZero();
    assertThat(lobby.chats()).isEmpty();
    assertThat(store.accepted("alice", "m1").toCompletableFuture().get()).contains(duplicate);
    assertThat(appendNew("lobby", "m2").seq()).isEqualTo(1);
  }

  /** Appends alice's chat m1 on a thread of its own, held in its renderer until {@link #release}. */
  private CompletableFuture<RoomStore.Appended> appendHeld(String room) throws InterruptedException {
    CompletableFuture<RoomStore.Appended> result = new CompletableFuture<>();
    Thread thread = new Thread(() -> store.append(draft(room, (seq, epoch) -> {
      rendering.countDown();
      try {
        if (!release.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("not released within 10 s");
        }
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return "held-" + seq;
    }), into(result)));
    thread.start();
    assertThat(rendering.await(10, TimeUnit.SECONDS)).isTrue();
    return result;
  }

  private RoomStore.Appended appendNew(String room, String id) throws Exception {
    CompletableFuture<RoomStore.Appended> result = new CompletableFuture<>();
    store.append(new RoomStore.Draft(room, "alice", id, 1_000, 10, (seq, epoch) -> id + "-" + seq), into(result));
    return result.get(10, TimeUnit.SECONDS);
  }

  private static RoomStore.Draft draft(String room, RoomStore.FrameRenderer renderer) {
    return new RoomStore.Draft(room, "alice", "m1", 1_000, 10, renderer);
  }

  private static RoomStore.AppendCallback into(CompletableFuture<RoomStore.Appended> result) {
    return new RoomStore.AppendCallback() {
      @Override
      public void appended(RoomStore.Appended appended) {
        result.complete(appended);
      }

      @Override
      public void failed(Throwable error) {
        result.completeExceptionally(error);
      }
    };
  }
}

package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.internal.RedisRoomStore;
import dev.tether.stub.LocalRedis;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link RoomStore#redis} keeps the contract of every {@link RoomStore}, against a real Redis; each
 * test has a key prefix of its own.
 */
class RedisRoomStoreContractTest extends RoomStoreContractTest {
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static LocalRedis redis;

  @BeforeAll
  static void startRedis() {
    redis = LocalRedis.start();
    System.out.println("Redis contract test on " + redis.version());
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  @Override
  RoomStore newStore(int dedupCapacity, Duration dedupMaxAge) {
    URI uri = URI.create(redis.uri() + "?prefix=contract" + PREFIXES.incrementAndGet());
    return RedisRoomStore.open(RedisRoomStore.Options.of(uri).withDedup(dedupCapacity, dedupMaxAge, clock::get));
  }

  @Test
  void aFrameRenderedOnlyByItsOwnRendererIsStoredAsRenderedWhileAnotherServerAppendsToTheRoom()
      throws Exception {
    // A second store on the same Redis and prefix: another server of the cluster.
    RoomStore other = RedisRoomStore.open(RedisRoomStore.Options.of(URI.create(redis.uri() + "?prefix=contract-shared"))
        .withDedup(1_000, Duration.ofHours(1), clock::get));
    store.close();
    store = RedisRoomStore.open(RedisRoomStore.Options.of(URI.create(redis.uri() + "?prefix=contract-shared"))
        .withDedup(1_000, Duration.ofHours(1), clock::get));
    try {
      List<Recorder> recorders = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        Recorder r = new Recorder();
        recorders.add(r);
        // Length depends on the seq, so no template can be made: rendered for the seq it gets.
        String id = "m" + i;
        (i % 2 == 0 ? store : other).append(new RoomStore.Draft("shared", "user" + (i % 2), id, 1234, 10_000,
            (seq, epoch) -> ("#" + seq + "/" + id + "-").repeat((int) (seq % 3) + 1)), r);
      }
      Set<Long> seqs = new HashSet<>();
      for (Recorder r : recorders) {
        RoomStore.Appended a = r.next();
        seqs.add(a.seq());
        assertThat(a.frame()).startsWith("#" + a.seq() + "/");
      }
      assertThat(seqs).hasSize(200).contains(1L, 200L);
      RoomStore.History h = get(store.history("shared", 0, 1_000));
      assertThat(h.chats()).hasSize(200);
      for (RoomStore.StoredChat c : h.chats()) {
        assertThat(c.frame()).startsWith("#" + c.seq() + "/");
      }
    } finally {
      other.close();
    }
  }

  /**
   * Guards a deadlock the cluster benchmark found (two nodes wedged for good, Lettuce's I/O threads
   * included): a room's feed reported a chat under its own monitor and took the store's feed
   * monitor for the listener, while an unfollow of the room held the feed monitor and waited for
   * the room's. Here the listener holds the delivery of chat 1 until an unfollow of the room is
   * blocked on it, with chats 2 and 3 queued behind; the unfollow must then finish, and the store
   * must go on serving.
   */
  @Test
  void anUnfollowWhileTheRoomsChatsAreBeingReportedFinishesAndTheFeedGoesOn() throws Exception {
    java.util.concurrent.atomic.AtomicReference<Thread> unfollower = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.CountDownLatch inFirst = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.BlockingQueue<String> reported = new java.util.concurrent.LinkedBlockingQueue<>();
    // A store of its own: after a deadlock its close() would never return, so it is then left open.
    RoomStore store = RedisRoomStore.open(RedisRoomStore.Options.of(URI.create(redis.uri() + "?prefix=lock-order"))
        .withDedup(1_000, Duration.ofHours(1), clock::get));
    RoomStore.Feed feed = store.feed((room, seq, epoch, frame) -> {
      reported.add(room + " " + seq);
      if (room.equals("busy") && seq == 1) {
        inFirst.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && (unfollower.get() == null
            || unfollower.get().getState() != Thread.State.BLOCKED)) {
          java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
      }
    });
    feed.follow("busy").toCompletableFuture().get(10, TimeUnit.SECONDS);
    List<Recorder> appends = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      Recorder r = new Recorder();
      appends.add(r);
      store.append(draft("busy", "alice", "m" + i, 100), r);
    }
    assertThat(inFirst.await(10, TimeUnit.SECONDS)).isTrue();
    Thread t = background("unfollow", () -> feed.unfollow("busy"));
    unfollower.set(t);
    t.join(TimeUnit.SECONDS.toMillis(20));
    assertThat(t.isAlive()).as("unfollow finished (no deadlock)").isFalse();
    try {
      for (Recorder r : appends) {
        assertThat(r.next().seq()).isBetween(1L, 3L);
      }
      feed.follow("after").toCompletableFuture().get(10, TimeUnit.SECONDS);
      Recorder after = new Recorder();
      store.append(draft("after", "alice", "a1", 100), after);
      after.next();
      String next;
      do {
        next = reported.poll(10, TimeUnit.SECONDS);
      } while (next != null && !next.equals("after 1"));
      assertThat(next).as("the feed still reports chats").isEqualTo("after 1");
    } finally {
      store.close();
    }
  }
}

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
}

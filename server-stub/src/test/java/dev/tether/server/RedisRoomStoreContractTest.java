package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.internal.RedisRoomStore;
import dev.tether.stub.LocalRedis;
import java.net.URI;
import java.time.Duration;
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
  void aFrameThatDoesNotCarryItsSeqAndEpochVerbatimIsRefusedBeforeAnythingIsStored() throws Exception {
    Recorder r = new Recorder();
    store.append(new RoomStore.Draft("lobby", "alice", "m1", 1234, 10, (seq, epoch) -> "no holes"), r);
    assertThat(r.results.poll()).isInstanceOfSatisfying(IllegalArgumentException.class,
        e -> assertThat(e).hasMessageContaining("seq and its epoch"));
    assertThat(get(store.state("lobby"))).isEmpty();
  }
}

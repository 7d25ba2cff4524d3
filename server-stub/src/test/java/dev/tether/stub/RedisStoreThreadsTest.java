package dev.tether.stub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Envelope;
import dev.tether.server.RoomStore;
import dev.tether.server.TetherServer;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A Redis store's threads: a few, named {@code tether-redis-N-*}, daemon, as many with 200 rooms as
 * with one, and gone once the server that owns the store is closed.
 */
class RedisStoreThreadsTest {
  private static List<Thread> redisThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("tether-redis-")).toList();
  }

  @Test
  void aStoreHasAFewDaemonThreadsWhateverItsRoomsAndReleasesThemOnClose() throws Exception {
    try (LocalRedis redis = LocalRedis.start()) {
      TetherServer server = TetherServer.builder().store(RoomStore.redis(redis.uri())).rateLimit(0).build();
      URI uri = server.listen("127.0.0.1", 0).uri();
      WsRecorder alice = WsRecorder.connect(uri, "alice");
      alice.send(Envelope.join("room-0"));
      alice.nextWire();
      int withOne = redisThreads().size();
      for (int i = 1; i < 200; i++) {
        alice.send(Envelope.join("room-" + i));
      }
      List<Object> acks = new ArrayList<>();
      for (int i = 1; i < 200; i++) {
        acks.add(alice.nextWire());
      }
      List<Thread> threads = redisThreads();
      System.out.println("Redis store threads with 200 rooms: " + threads.stream().map(Thread::getName).sorted().toList());
      assertThat(acks).hasSize(199);
      assertThat(threads).hasSize(withOne).allMatch(Thread::isDaemon);
      assertThat(threads.size()).isLessThanOrEqualTo(6);
      alice.close();
      server.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> redisThreads().isEmpty());
    }
  }
}

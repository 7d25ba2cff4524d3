package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What {@link RoomStore#redis} says about bad URIs and an unreachable Redis; no Redis needed. */
class RedisStoreArgumentsTest {
  @Test
  void aNullUriIsRefused() {
    assertThatThrownBy(() -> RoomStore.redis(null)).isInstanceOf(NullPointerException.class).hasMessage("uri == null");
  }

  @Test
  void aUriThatIsNotRedisIsRefusedSayingWhatWasExpected() {
    assertThatThrownBy(() -> RoomStore.redis(URI.create("http://127.0.0.1:6379")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("not a Redis URI (redis://HOST:PORT expected): http://127.0.0.1:6379");
    assertThatThrownBy(() -> RoomStore.redis(URI.create("redis://127.0.0.1:6379?prefix=")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty prefix");
  }

  @Test
  void anUnreachableRedisFailsAtOnceWithoutNamingThePasswordAndLeavesNoThreads() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    URI uri = URI.create("redis://:s3cret@127.0.0.1:" + port);
    assertThatThrownBy(() -> RoomStore.redis(uri))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("cannot open a room store on Redis at redis://127.0.0.1:" + port + ": ")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
    await().atMost(Duration.ofSeconds(10)).until(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.isAlive() && t.getName().startsWith("tether-redis-")));
  }
}

package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.client.internal.ClientConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

/**
 * Guards issue 9, defect 8: every builder setting lands in the config component of its name, so
 * that two settings of the same type cannot be swapped on the way.
 */
class ClientConfigTest {

  @Test
  void eachSettingReachesTheComponentOfItsName() {
    Executor callbacks = Runnable::run;
    IntPredicate never = code -> false;
    NetworkMonitor monitor = NetworkMonitor.manual(true);
    OutboxStore store = OutboxStore.inMemory();
    ReconnectPolicy policy = ReconnectPolicy.exponential(Duration.ofMillis(7), Duration.ofMillis(70));
    ClientConfig config = TetherClient.builder(URI.create("ws://127.0.0.1:9/im?user=a"))
        .header("X-One", "1")
        .subprotocols("im.v1")
        .connectTimeout(Duration.ofMillis(1))
        .closeTimeout(Duration.ofMillis(2))
        .ackTimeout(Duration.ofMillis(3))
        .heartbeat(Duration.ofMillis(4), Duration.ofMillis(5))
        .outbox(6, 7)
        .outboxStore(store)
        .maxMessageSize(1234)
        .reconnect(policy)
        .reconnectOn(never)
        .networkMonitor(monitor)
        .callbackExecutor(callbacks)
        .config();

    assertThat(config.target().uri()).isEqualTo(URI.create("ws://127.0.0.1:9/im?user=a"));
    assertThat(config.target().headers()).isEqualTo(Map.of("X-One", "1"));
    assertThat(config.target().subprotocols()).containsExactly("im.v1");
    assertThat(config.target().maxMessageSize()).isEqualTo(1234);
    assertThat(config.timeouts().connect()).isEqualTo(Duration.ofMillis(1));
    assertThat(config.timeouts().close()).isEqualTo(Duration.ofMillis(2));
    assertThat(config.timeouts().ack()).isEqualTo(Duration.ofMillis(3));
    assertThat(config.liveness().interval()).isEqualTo(Duration.ofMillis(4));
    assertThat(config.liveness().pongTimeout()).isEqualTo(Duration.ofMillis(5));
    assertThat(config.outbox().maxMessages()).isEqualTo(6);
    assertThat(config.outbox().maxBytes()).isEqualTo(7);
    assertThat(config.outbox().store()).isSameAs(store);
    assertThat(config.retry().policy()).isSameAs(policy);
    assertThat(config.retry().reconnectOn()).isSameAs(never);
    assertThat(config.retry().networkMonitor()).isSameAs(monitor);
    assertThat(config.threads().callbacks()).isSameAs(callbacks);
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    ClientConfig config = TetherClient.builder(URI.create("ws://127.0.0.1:9/im")).config();
    assertThat(config.timeouts().connect()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.timeouts().close()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.timeouts().ack()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.liveness().interval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.liveness().pongTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.outbox().maxMessages()).isEqualTo(10_000);
    assertThat(config.outbox().maxBytes()).isEqualTo(16L * 1024 * 1024);
    assertThat(config.outbox().store()).isNull();
    assertThat(config.target().maxMessageSize()).isEqualTo(1024 * 1024);
    assertThat(config.retry().policy()).isEqualTo(ReconnectPolicy.defaults());
    assertThat(config.retry().networkMonitor()).as("ignored for loopback").isNull();
  }
}

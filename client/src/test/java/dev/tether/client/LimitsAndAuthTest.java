package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Envelope;
import dev.tether.api.ReadyState;
import dev.tether.client.RecordingDelegate.Close;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.client.RecordingDelegate.Text;
import dev.tether.stub.StubServer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Message size limits and per-handshake headers. */
class LimitsAndAuthTest {
  @RegisterExtension final StubServerExtension stub = new StubServerExtension();
  private StubServer server = stub.server();
  private TetherClient client;

  @Test
  void anOutgoingMessageOverTheLimitIsRefusedUpFront() {
    client = stub.track(TetherClient.builder(server.uri()).maxMessageSize(1000).build());
    assertThatThrownBy(() -> client.send("x".repeat(1001)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("message > 1000 bytes: 1001");
    assertThatThrownBy(() -> client.send("é".repeat(501)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("message > 1000 bytes: 1002");
    assertThatThrownBy(() -> client.send(ByteBuffer.allocate(1001)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("message > 1000 bytes: 1001");
    assertThatThrownBy(() -> client.send(Envelope.chat("r", "x".repeat(1000))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("message > 1000 bytes: ");
    assertThat(client.send("x".repeat(1000))).isTrue();
    assertThat(client.outboxSize()).isEqualTo(1);
  }

  @Test
  void anIncomingMessageOverTheLimitClosesWith1009AndDoesNotReconnect() {
    RecordingDelegate d = new RecordingDelegate();
    client = stub.track(TetherClient.builder(server.uri()).delegate(d).maxMessageSize(1000)
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(10), Duration.ofMillis(10))).build());
    client.open();
    d.take(Open.class);
    client.send("small");
    assertThat(d.take(Text.class).text()).isEqualTo("small");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(1));
    server.sendToAll("y".repeat(5000));
    assertThat(d.take(RecordingDelegate.Failure.class).error())
        .hasMessage("incoming message > 1000 bytes: 5000; closing with 1009");
    Close close = d.take(Close.class);
    assertThat(close.code()).isEqualTo(1009);
    assertThat(client.readyState()).isEqualTo(ReadyState.CLOSED);
    d.assertNoEvent(Duration.ofMillis(300));
    assertThat(server.handshakeCount()).isEqualTo(1);
  }

  @Test
  void headersAreComputedAgainForEveryHandshake() {
    AtomicInteger calls = new AtomicInteger();
    RecordingDelegate d = new RecordingDelegate();
    client = stub.track(TetherClient.builder(server.uri()).delegate(d)
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(10), Duration.ofMillis(10)))
        .headers(() -> Map.of("Authorization", "Bearer token-" + calls.incrementAndGet()))
        .build());
    client.open();
    d.take(Open.class);
    assertThat(calls).hasValue(1);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(1));
    server.dropAllConnections();
    d.next(Open.class);
    assertThat(calls).hasValue(2);
    assertThat(client.toString()).doesNotContain("token");
  }

  @Test
  void aReconnectUsesAFreshTokenAndARefusedOneIsTerminal() {
    java.util.Set<String> valid = java.util.concurrent.ConcurrentHashMap.newKeySet();
    valid.add("token-1");
    server = stub.start(StubServer.builder().requireBearerToken(t -> valid.contains(t) ? "alice" : null));
    AtomicInteger issued = new AtomicInteger();
    RecordingDelegate d = new RecordingDelegate();
    client = stub.track(TetherClient.builder(server.uri().resolve("/im?user=mallory")).delegate(d)
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(10), Duration.ofMillis(10)))
        .headers(() -> Map.of("Authorization", "Bearer token-" + issued.incrementAndGet()))
        .build());
    client.open();
    d.take(Open.class);
    client.send(Envelope.join("r"));
    client.send(Envelope.chat("r", "who am I"));
    // The token decides the user, not the query parameter.
    assertThat(d.take(RecordingDelegate.Env.class).envelope().from()).isEqualTo("alice");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(1));

    // token-1 expires and token-2 is issued: the reconnect presents token-2.
    valid.clear();
    valid.add("token-2");
    server.dropAllConnections();
    d.next(Open.class);

    // Now the server accepts no token at all: the next handshake is refused with 401, for good.
    valid.clear();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(1));
    int handshakes = server.handshakeCount();
    server.dropAllConnections();
    d.next(RecordingDelegate.Reconnecting.class); // past the drop's own onFailure (issue 9)
    RecordingDelegate.Failure refused = d.next(RecordingDelegate.Failure.class);
    assertThat(refused.error()).hasMessageContaining("HTTP 401").hasMessageContaining("not reconnecting")
        .hasMessageNotContaining("token-");
    assertThat(client.readyState()).isEqualTo(ReadyState.CLOSED);
    d.assertNoEvent(Duration.ofMillis(300));
    assertThat(server.handshakeCount()).isEqualTo(handshakes + 1);
  }

  @Test
  void aForbiddenOriginIsTerminal() {
    server = stub.start(StubServer.builder().allowedOrigins("https://chat.example.com"));
    RecordingDelegate d = new RecordingDelegate();
    client = stub.track(TetherClient.builder(server.uri()).delegate(d)
        .header("Origin", "https://evil.example.com").build());
    client.open();
    assertThat(d.take(RecordingDelegate.Failure.class).error()).hasMessageContaining("HTTP 403 Forbidden");
    assertThat(client.readyState()).isEqualTo(ReadyState.CLOSED);
    d.assertNoEvent(Duration.ofMillis(300));
    assertThat(server.handshakeCount()).isEqualTo(1);
  }

  @Test
  void builderRejectsATinyLimit() {
    assertThatThrownBy(() -> TetherClient.builder(server.uri()).maxMessageSize(10))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxMessageSize must be >= 126: 10");
  }
}

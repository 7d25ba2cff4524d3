package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.ReadyState;
import dev.tether.client.RecordingDelegate.Close;
import dev.tether.client.RecordingDelegate.Env;
import dev.tether.client.RecordingDelegate.Failure;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.client.RecordingDelegate.Pong;
import dev.tether.client.RecordingDelegate.Reconnecting;
import dev.tether.client.RecordingDelegate.Text;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.StubServer;
import jakarta.websocket.WebSocketContainer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviours that must hold on any JSR-356 container: open, send, ping, close, reconnect,
 * outbox, heartbeat. Each subclass runs them on one container implementation.
 */
abstract class PortableBehaviourTest {
  private static final ReconnectPolicy FAST = ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(100));

  protected StubServer server;
  private final List<TetherClient> clients = new ArrayList<>();

  /** The container under test. */
  abstract WebSocketContainer container();

  @BeforeEach
  void startServer() {
    server = StubServer.start();
  }

  @AfterEach
  void tearDown() {
    clients.forEach(TetherClient::close);
    server.close();
  }

  private TetherClient client(TetherClient.Builder builder, RecordingDelegate d) {
    TetherClient c = builder.delegate(d).container(container()).reconnect(FAST).build();
    clients.add(c);
    return c;
  }

  private TetherClient openClient(RecordingDelegate d) {
    TetherClient c = client(TetherClient.builder(server.uri()), d);
    c.open();
    d.take(Open.class);
    await().untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(1));
    return c;
  }

  @Test
  void opensEchoesTextAndBinaryAndAnswersPings() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient(d);
    assertThat(c.readyState()).isEqualTo(ReadyState.OPEN);
    c.send("hello");
    assertThat(d.take(Text.class).text()).isEqualTo("hello");
    c.send(ByteBuffer.wrap(new byte[] {7, 8}));
    assertThat(d.take(RecordingDelegate.Binary.class).bytes().remaining()).isEqualTo(2);
    c.sendPing(ByteBuffer.wrap("p".getBytes(StandardCharsets.UTF_8)));
    assertThat(StandardCharsets.UTF_8.decode(d.take(Pong.class).payload()).toString()).isEqualTo("p");
  }

  @Test
  void envelopesAreAcked() throws Exception {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient(d);
    c.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS);
    Ack ack = c.send(Envelope.chat("lobby", "hi")).get(10, TimeUnit.SECONDS);
    assertThat(ack.seq()).isEqualTo(1);
    assertThat(d.take(Env.class).envelope().text()).isEqualTo("hi");
  }

  @Test
  void closesCleanly() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient(d);
    c.close();
    Close close = d.take(Close.class);
    assertThat(close.code()).isEqualTo(1000);
    assertThat(close.wasClean()).isTrue();
    assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
    await().untilAsserted(() -> assertThat(server.connectionCount()).isZero());
  }

  @Test
  void reconnectsAfterADropAndFlushesTheOutboxInOrder() throws Exception {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient(d);
    c.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS);
    server.stop();
    d.next(Close.class);
    List<CompletableFuture<Ack>> acks = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      acks.add(c.send(Envelope.chat("lobby", "queued " + i)));
    }
    server.restart();
    for (int i = 0; i < 100; i++) {
      assertThat(acks.get(i).get(30, TimeUnit.SECONDS).seq()).isEqualTo(i + 1);
      assertThat(d.next(Env.class).envelope().text()).isEqualTo("queued " + i);
    }
  }

  @Test
  void reconnectsAfterTheServerAsksForIt() {
    RecordingDelegate d = new RecordingDelegate();
    openClient(d);
    server.closeAll(1012, "restart");
    assertThat(d.take(Close.class).code()).isEqualTo(1012);
    assertThat(d.take(Reconnecting.class).attempt()).isEqualTo(1);
    d.take(Open.class);
  }

  @Test
  void heartbeatFindsAHalfOpenLink() {
    try (FaultProxy proxy = FaultProxy.start(server.uri())) {
      RecordingDelegate d = new RecordingDelegate();
      TetherClient c = client(TetherClient.builder(proxy.uri())
          .heartbeat(Duration.ofMillis(200), Duration.ofMillis(300)).connectTimeout(Duration.ofSeconds(1)), d);
      c.open();
      d.take(Open.class);
      proxy.blackhole();
      assertThat(d.take(Failure.class).error()).isInstanceOf(TimeoutException.class)
          .hasMessageStartingWith("no pong within 300 ms");
      proxy.heal();
      d.next(Open.class, Duration.ofSeconds(20));
    }
  }
}

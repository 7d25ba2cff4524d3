package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.OutboxFullException;
import dev.tether.api.ReadyState;
import dev.tether.api.TetherException;
import dev.tether.client.RecordingDelegate.Close;
import dev.tether.client.RecordingDelegate.Env;
import dev.tether.client.RecordingDelegate.Failure;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.client.RecordingDelegate.Reconnecting;
import dev.tether.client.RecordingDelegate.Text;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.StubServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Heartbeat, reconnect, close-code policy, network monitor and outbox, against real faults. */
class StayConnectedTest {
  private static final ReconnectPolicy FAST =
      ReconnectPolicy.exponential(Duration.ofMillis(50), Duration.ofMillis(200));

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();
  private final StubServer server = stub.server();
  private FaultProxy proxy;

  private TetherClient.Builder builder(RecordingDelegate d) {
    return TetherClient.builder(server.uri()).delegate(d).reconnect(FAST);
  }

  /** Waits until the server has registered {@code n} connections (see StubServer#connectionCount). */
  private void awaitServerConnections(int n) {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(n));
  }

  private TetherClient track(TetherClient c) {
    return stub.track(c);
  }

  @Test
  void heartbeatFindsAHalfOpenLinkAndReconnectsAfterItHeals() {
    proxy = stub.proxy();
    RecordingDelegate d = new RecordingDelegate();
    Duration interval = Duration.ofMillis(200);
    // Long enough that a loaded machine answers every ping of the healthy link in time: a pong
    // missed there would end the connection the test then writes its echo on.
    Duration pongTimeout = Duration.ofSeconds(2);
    // A handshake on a loaded machine may take a second or more; the first event must be onOpen.
    TetherClient c = track(TetherClient.builder(proxy.uri()).delegate(d).reconnect(FAST)
        .heartbeat(interval, pongTimeout).connectTimeout(Duration.ofSeconds(5)).build());
    c.open();
    d.take(Open.class);

    long start = System.nanoTime();
    proxy.blackhole();
    Failure failure = d.take(Failure.class);
    long detectedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(failure.error()).isInstanceOf(TimeoutException.class)
        .hasMessageStartingWith("no pong within 2000 ms");
    assertThat(detectedMillis).as("detection time").isLessThan(interval.plus(pongTimeout).toMillis() + 5000);
    Close close = d.take(Close.class);
    assertThat(close.wasClean()).isFalse();
    assertThat(close.code()).isEqualTo(1006);
    assertThat(c.readyState()).isNotEqualTo(ReadyState.OPEN);
    d.take(Reconnecting.class);

    proxy.heal();
    // An attempt made while the link was still a black hole waits out its connect timeout first.
    d.next(Open.class, Duration.ofSeconds(40));
    assertThat(c.readyState()).isEqualTo(ReadyState.OPEN);
    c.send("alive again");
    assertThat(d.next(Text.class).text()).isEqualTo("alive again");
  }

  @Test
  void aBlackholedHandshakeFailsAtTheConnectTimeout() {
    proxy = stub.proxy();
    proxy.blackhole();
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(TetherClient.builder(proxy.uri()).delegate(d)
        .reconnect(ReconnectPolicy.none()).connectTimeout(Duration.ofMillis(500)).build());
    long start = System.nanoTime();
    c.open();
    Failure failure = d.take(Failure.class);
    long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(failure.error()).isInstanceOf(TimeoutException.class)
        .hasMessageStartingWith("no handshake response within 500 ms");
    assertThat(elapsed).isBetween(450L, 5000L);
    assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
  }

  @Test
  void thousandMessagesSentDuringAServerRestartArriveOnceInOrder() throws Exception {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(builder(d).build());
    c.open();
    d.take(Open.class);
    c.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS);

    server.stop();
    d.next(Close.class);
    List<Envelope> sent = new ArrayList<>();
    List<CompletableFuture<Ack>> acks = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      Envelope e = Envelope.chat("lobby", "offline " + i);
      sent.add(e);
      acks.add(c.send(e));
    }
    assertThat(c.outboxSize()).isEqualTo(1000);
    server.restart();

    for (int i = 0; i < 1000; i++) {
      Envelope got = d.next(Env.class).envelope();
      assertThat(got.id()).isEqualTo(sent.get(i).id());
      assertThat(got.seq()).isEqualTo(i + 1);
    }
    for (int i = 0; i < 1000; i++) {
      assertThat(acks.get(i).get(10, TimeUnit.SECONDS).seq()).isEqualTo(i + 1);
    }
    assertThat(c.outboxSize()).isZero();
    d.assertNoEvent(Duration.ofMillis(200));
  }

  @ParameterizedTest
  @ValueSource(ints = {1000, 1008, 4000})
  void noReconnectAfterACloseCodeThatForbidsIt(int code) {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(builder(d).build());
    c.open();
    d.take(Open.class);
    awaitServerConnections(1);
    server.closeAll(code, "go away");
    Close close = d.take(Close.class);
    assertThat(close.code()).isEqualTo(code);
    assertThat(close.wasClean()).isTrue();
    assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
    d.assertNoEvent(Duration.ofMillis(500));
    assertThat(server.handshakeCount()).isEqualTo(1);
  }

  @Test
  void noReconnectAfterTheUsersOwnClose() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(builder(d).build());
    c.open();
    d.take(Open.class);
    c.close();
    d.take(Close.class);
    d.assertNoEvent(Duration.ofMillis(500));
    assertThat(server.handshakeCount()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(ints = {1001, 1012})
  void reconnectsAfterACloseCodeThatAllowsIt(int code) {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(builder(d).build());
    c.open();
    d.take(Open.class);
    awaitServerConnections(1);
    server.closeAll(code, "restarting");
    assertThat(d.take(Close.class).code()).isEqualTo(code);
    assertThat(d.take(Reconnecting.class).attempt()).isEqualTo(1);
    d.take(Open.class);
    assertThat(server.handshakeCount()).isEqualTo(2);
  }

  @Test
  void reconnectsAfterTheConnectionIsDropped() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(builder(d).build());
    c.open();
    d.take(Open.class);
    awaitServerConnections(1);
    server.dropAllConnections();
    Close close = d.next(Close.class);
    assertThat(close.code()).isEqualTo(1006);
    assertThat(close.wasClean()).isFalse();
    d.next(Reconnecting.class);
    d.next(Open.class);
    assertThat(c.readyState()).isEqualTo(ReadyState.OPEN);
  }

  @Test
  void closeDuringAReconnectWaitStopsIt() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(TetherClient.builder(server.uri()).delegate(d)
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(300), Duration.ofMillis(300))).build());
    c.open();
    d.take(Open.class);
    awaitServerConnections(1);
    server.dropAllConnections();
    d.next(Reconnecting.class);
    c.close();
    assertThat(d.take(Close.class).code()).isEqualTo(1000);
    assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
    d.assertNoEvent(Duration.ofMillis(700));
    assertThat(server.handshakeCount()).isEqualTo(1);
  }

  @Test
  void noAttemptsWhileTheNetworkIsDownAndAnImmediateOneWhenItReturns() {
    NetworkMonitor.Manual network = NetworkMonitor.manual(false);
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(builder(d).networkMonitor(network).build());
    c.open();
    c.send("queued while offline");
    d.assertNoEvent(Duration.ofMillis(300));
    assertThat(server.handshakeCount()).isZero();
    assertThat(c.readyState()).isEqualTo(ReadyState.CONNECTING);

    network.setAvailable(true);
    d.take(Open.class);
    assertThat(d.take(Text.class).text()).isEqualTo("queued while offline");
    assertThat(server.handshakeCount()).isEqualTo(1);
  }

  @Test
  void aFullOutboxRefusesNewMessagesWithoutClosing() throws Exception {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(builder(d).outbox(3, 1024).build());
    assertThat(c.send("1")).isTrue();
    assertThat(c.send("2")).isTrue();
    CompletableFuture<Ack> join = c.send(Envelope.join("lobby"));
    assertThat(c.send("4")).isFalse();
    CompletableFuture<Ack> refused = c.send(Envelope.chat("lobby", "5"));
    assertThatThrownBy(() -> refused.get(10, TimeUnit.SECONDS)).cause()
        .isInstanceOf(OutboxFullException.class)
        .hasMessage("outbox full: 3 messages waiting (max 3)");
    assertThat(c.outboxSize()).isEqualTo(3);

    c.open();
    d.take(Open.class);
    assertThat(d.take(Text.class).text()).isEqualTo("1");
    assertThat(d.take(Text.class).text()).isEqualTo("2");
    join.get(10, TimeUnit.SECONDS);
    assertThat(c.readyState()).isEqualTo(ReadyState.OPEN);
  }

  @Test
  void theOutboxIsAlsoBoundedInBytes() {
    TetherClient c = track(builder(new RecordingDelegate()).outbox(100, 10).build());
    assertThat(c.send("12345678")).isTrue();
    assertThat(c.send("abc")).isFalse();
    assertThat(c.send("ab")).isTrue();
  }

  @Test
  void givingUpFailsEverythingQueued() {
    server.stop();
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(TetherClient.builder(server.uri()).delegate(d)
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(10), Duration.ofMillis(20)).withMaxAttempts(2))
        .build());
    CompletableFuture<Ack> queued = c.send(Envelope.join("lobby"));
    c.open();
    d.take(Failure.class);
    assertThat(d.take(Reconnecting.class).attempt()).isEqualTo(1);
    d.take(Failure.class);
    assertThat(d.take(Reconnecting.class).attempt()).isEqualTo(2);
    d.take(Failure.class);
    Failure gaveUp = d.take(Failure.class);
    assertThat(gaveUp.error()).isInstanceOf(TetherException.class)
        .hasMessageContaining("gave up reconnecting").hasMessageContaining("after 2 attempts");
    assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
    assertThatThrownBy(() -> queued.get(5, TimeUnit.SECONDS)).cause()
        .hasMessageContaining("gave up reconnecting");
    assertThat(c.outboxSize()).isZero();
  }

  /**
   * Guards issue 9, defect 4: a host that does not resolve may resolve later, so it is retried, and
   * the failure says which host it was.
   */
  @Test
  void anUnresolvableHostIsRetriedAndItsFailureNamesTheHost() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(TetherClient.builder(java.net.URI.create("ws://no-such-host.invalid:8025/im?user=alice"))
        .delegate(d).reconnect(FAST).networkMonitor(NetworkMonitor.manual(true)).build());
    c.open();
    Failure failure = d.take(Failure.class);
    assertThat(failure.error()).hasMessageContaining("cannot resolve host no-such-host.invalid")
        .hasMessageNotContaining("user=alice");
    assertThat(d.take(Reconnecting.class).attempt()).isEqualTo(1);
    assertThat(c.readyState()).isEqualTo(ReadyState.CONNECTING);
  }

  /**
   * Guards issue 9, defect 5: a handshake whose TCP connection is closed without an HTTP answer
   * fails when the connection ends, not at the connect timeout. On the default container (Tyrus on
   * its shared transport); OnJettyTest checks Jetty.
   */
  @Test
  void aHandshakeWhoseConnectionClosesWithoutAnAnswerFailsAtOnce() {
    try (HangUpServer hangUp = HangUpServer.start()) {
      RecordingDelegate d = new RecordingDelegate();
      TetherClient c = track(TetherClient.builder(hangUp.uri()).delegate(d).reconnect(FAST)
          .connectTimeout(Duration.ofSeconds(30)).build());
      long start = System.nanoTime();
      c.open();
      Failure failure = d.take(Failure.class, Duration.ofSeconds(10));
      long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(failure.error()).hasMessageContaining("without answering the handshake");
      assertThat(elapsedMillis).isLessThan(10_000);
      assertThat(hangUp.hangUps()).isPositive();
      assertThat(d.take(Reconnecting.class).attempt()).isEqualTo(1);
    }
  }
}

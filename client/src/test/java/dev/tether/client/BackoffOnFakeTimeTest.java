package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.ReadyState;
import dev.tether.client.RecordingDelegate.Close;
import dev.tether.client.RecordingDelegate.Failure;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.client.RecordingDelegate.Reconnecting;
import dev.tether.client.internal.FakeScheduler;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.StubServer;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The reconnect loop on fake time: real connection attempts against a real server, but every wait
 * is a task on a {@link FakeScheduler} that the test advances.
 */
class BackoffOnFakeTimeTest {
  private final FakeScheduler clock = new FakeScheduler();
  @RegisterExtension final StubServerExtension stub = new StubServerExtension();
  private final StubServer server = stub.server();
  private TetherClient client;

  private TetherClient client(RecordingDelegate d, ReconnectPolicy policy) {
    client = stub.track(TetherClient.builder(server.uri()).delegate(d).reconnect(policy)
        .heartbeat(Duration.ZERO, Duration.ofSeconds(1))
        .scheduler(clock).random(new SplittableRandom(7)).build());
    return client;
  }

  @Test
  void delaysGrowToTheCapAndStartOverAfterAConnectionOpens() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = client(d, ReconnectPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(4)));
    server.rejectNewConnections(true);
    c.open();
    Duration[] expected = {
        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(4)};
    for (int i = 0; i < expected.length; i++) {
      d.take(Failure.class);
      Reconnecting r = d.take(Reconnecting.class);
      assertThat(r.attempt()).isEqualTo(i + 1);
      assertThat(r.delay()).isEqualTo(expected[i]);
      if (i < expected.length - 1) {
        // Nothing happens before the delay has passed.
        clock.advance(r.delay().minusMillis(1));
        d.assertNoEvent(Duration.ofMillis(100));
        clock.advance(Duration.ofMillis(1));
      }
    }
    assertThat(server.handshakeCount()).isEqualTo(4);

    server.rejectNewConnections(false);
    clock.advance(Duration.ofSeconds(4));
    d.take(Open.class);
    assertThat(c.readyState()).isEqualTo(ReadyState.OPEN);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(1));

    server.dropAllConnections();
    d.take(Failure.class); // a connection lost without a close frame is reported first (issue 9)
    d.take(Close.class);
    Reconnecting reset = d.take(Reconnecting.class);
    assertThat(reset.attempt()).isEqualTo(1);
    assertThat(reset.delay()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void jitteredDelaysStayInsideTheWindow() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = client(d, ReconnectPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(8)).withJitter(0.5));
    server.rejectNewConnections(true);
    c.open();
    long[] baseMillis = {1000, 2000, 4000, 8000, 8000, 8000};
    for (int i = 0; i < baseMillis.length; i++) {
      d.take(Failure.class);
      Reconnecting r = d.take(Reconnecting.class);
      assertThat(r.delay().toMillis()).isBetween(baseMillis[i] / 2, baseMillis[i]);
      clock.advance(r.delay());
    }
  }

  @Test
  void maxAttemptsEndsInOneFinalFailureAndClosed() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = client(d, ReconnectPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(1)).withMaxAttempts(3));
    server.rejectNewConnections(true);
    c.open();
    for (int attempt = 1; attempt <= 3; attempt++) {
      d.take(Failure.class);
      assertThat(d.take(Reconnecting.class).attempt()).isEqualTo(attempt);
      clock.advance(Duration.ofSeconds(1));
    }
    d.take(Failure.class);
    assertThat(d.take(Failure.class).error()).hasMessageContaining("gave up reconnecting")
        .hasMessageContaining("after 3 attempts");
    assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
    clock.advance(Duration.ofMinutes(1));
    d.assertNoEvent(Duration.ofMillis(200));
    assertThat(server.handshakeCount()).isEqualTo(4);
  }

  @Test
  void closingAgainstAPeerThatNeverAnswersEndsPromptlyAndReleasesTheConnection() {
    FaultProxy proxy = stub.proxy();
    RecordingDelegate d = new RecordingDelegate();
    client = stub.track(TetherClient.builder(proxy.uri()).delegate(d).reconnect(ReconnectPolicy.none())
        .heartbeat(Duration.ZERO, Duration.ofSeconds(1)).closeTimeout(Duration.ofSeconds(5))
        .scheduler(clock).build());
    client.open();
    d.take(Open.class);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(1));
    proxy.blackhole();
    client.close();
    // Tyrus reports the close as soon as our close frame is written, without waiting for the
    // peer's; other containers wait, and then the close timeout decides (wasClean=false).
    Close close = d.take(Close.class);
    assertThat(close.code()).isEqualTo(1000);
    assertThat(client.readyState()).isEqualTo(ReadyState.CLOSED);
    // Our side of the TCP connection is closed (by the container, or at the latest by our abort
    // at the close timeout): once the link heals, the server sees the connection end.
    clock.advance(Duration.ofSeconds(5));
    proxy.heal();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isZero());
    d.assertNoEvent(Duration.ofMillis(200));
  }
}

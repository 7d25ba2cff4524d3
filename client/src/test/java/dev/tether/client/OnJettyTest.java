package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.ReadyState;
import dev.tether.client.RecordingDelegate.Close;
import dev.tether.client.RecordingDelegate.Failure;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.stub.FaultProxy;
import jakarta.websocket.WebSocketContainer;
import java.time.Duration;
import org.eclipse.jetty.ee10.websocket.jakarta.client.JakartaWebSocketClientContainerProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link PortableBehaviourTest} on Jetty 12's Jakarta WebSocket client: Tether on a second JSR-356
 * implementation, selected through {@code .container(..)}.
 */
class OnJettyTest extends PortableBehaviourTest {
  private static final WebSocketContainer JETTY = JakartaWebSocketClientContainerProvider.getContainer(null);

  @Override
  WebSocketContainer container() {
    return JETTY;
  }

  @AfterAll
  static void stopJetty() throws Exception {
    JakartaWebSocketClientContainerProvider.stop(JETTY);
  }

  /**
   * Jetty, unlike Tyrus, waits for the peer's close frame before reporting the close, so here the
   * close timeout is what ends a close against a dead peer.
   */
  @Test
  void aPeerThatNeverAnswersOurCloseIsAbortedAtTheCloseTimeout() {
    try (FaultProxy proxy = FaultProxy.start(server.uri())) {
      RecordingDelegate d = new RecordingDelegate();
      TetherClient c = TetherClient.builder(proxy.uri()).delegate(d).container(JETTY)
          .reconnect(ReconnectPolicy.none()).heartbeat(Duration.ZERO, Duration.ofSeconds(1))
          .closeTimeout(Duration.ofMillis(500)).build();
      c.open();
      d.take(Open.class);
      proxy.blackhole();
      long start = System.nanoTime();
      c.close();
      assertThat(c.readyState()).isEqualTo(ReadyState.CLOSING);
      Close close = d.take(Close.class);
      long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
      assertThat(close.wasClean()).isFalse();
      assertThat(close.reason()).isEqualTo("no close frame from the peer within 500 ms");
      assertThat(elapsedMillis).isBetween(450L, 5000L);
      assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
    }
  }

  /**
   * Guards issue 9, defect 5 on Jetty: a handshake whose TCP connection is closed without an HTTP
   * answer fails when the connection ends, not at the connect timeout.
   */
  @Test
  void aHandshakeWhoseConnectionClosesWithoutAnAnswerFailsAtOnce() {
    try (HangUpServer hangUp = HangUpServer.start()) {
      RecordingDelegate d = new RecordingDelegate();
      TetherClient c = TetherClient.builder(hangUp.uri()).delegate(d).container(JETTY)
          .reconnect(ReconnectPolicy.none()).connectTimeout(Duration.ofSeconds(30)).build();
      try {
        long start = System.nanoTime();
        c.open();
        Failure failure = d.take(Failure.class, Duration.ofSeconds(10));
        assertThat(failure.error()).hasMessageNotContaining("no handshake response");
        assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(10).toNanos());
        assertThat(hangUp.hangUps()).isPositive();
        assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
      } finally {
        c.close();
      }
    }
  }
}

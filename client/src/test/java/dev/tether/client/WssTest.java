package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.ReadyState;
import dev.tether.api.TetherException;
import dev.tether.client.RecordingDelegate.Failure;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.client.RecordingDelegate.Text;
import dev.tether.stub.SelfSignedCertificate;
import dev.tether.stub.StubServer;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** wss with a certificate made at test time: trusted works; untrusted or the wrong host is terminal. */
class WssTest {
  private static SelfSignedCertificate forLoopback;
  private static SelfSignedCertificate forOtherHost;

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();
  private StubServer server;
  private TetherClient client;

  @BeforeAll
  static void makeCertificates() {
    forLoopback = SelfSignedCertificate.generate("localhost", "127.0.0.1");
    forOtherHost = SelfSignedCertificate.generate("chat.example.com");
  }

  private TetherClient.Builder builder(RecordingDelegate d) {
    return TetherClient.builder(server.uri()).delegate(d)
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(10), Duration.ofMillis(10)));
  }

  @Test
  void aTrustedCertificateConnectsOverWss() {
    server = stub.start(StubServer.builder().tls(forLoopback.serverContext()));
    assertThat(server.uri().getScheme()).isEqualTo("wss");
    RecordingDelegate d = new RecordingDelegate();
    client = stub.track(builder(d).sslContext(forLoopback.clientContext()).build());
    client.open();
    d.take(Open.class);
    client.send("over tls");
    assertThat(d.take(Text.class).text()).isEqualTo("over tls");
  }

  @Test
  void anUntrustedCertificateIsATerminalFailure() {
    server = stub.start(StubServer.builder().tls(forLoopback.serverContext()));
    RecordingDelegate d = new RecordingDelegate();
    client = stub.track(builder(d).build()); // the JVM's default trust store does not know this certificate
    client.open();
    Failure failure = d.take(Failure.class);
    assertThat(failure.error()).isInstanceOf(TetherException.class)
        .hasMessageContaining("TLS handshake failed").hasMessageContaining("not reconnecting");
    assertThat(client.readyState()).isEqualTo(ReadyState.CLOSED);
    d.assertNoEvent(Duration.ofMillis(500));
    assertThat(server.handshakeCount()).isZero();
  }

  @Test
  void aCertificateForAnotherHostIsATerminalFailure() {
    server = stub.start(StubServer.builder().tls(forOtherHost.serverContext()));
    RecordingDelegate d = new RecordingDelegate();
    client = stub.track(builder(d).sslContext(forOtherHost.clientContext()).build());
    client.open();
    Failure failure = d.take(Failure.class);
    assertThat(failure.error()).hasMessageContaining("TLS handshake failed");
    assertThat(client.readyState()).isEqualTo(ReadyState.CLOSED);
    d.assertNoEvent(Duration.ofMillis(500));
  }
}

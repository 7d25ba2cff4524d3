package dev.tether.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.websocket.DeploymentException;
import java.io.IOException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLHandshakeException;
import org.glassfish.tyrus.core.HandshakeException;
import org.junit.jupiter.api.Test;

class HandshakeFailuresTest {

  @Test
  void forbiddenAndUnauthorizedHandshakesAreTerminal() {
    Throwable forbidden = new DeploymentException("Handshake error.", new HandshakeException(403, "Forbidden"));
    assertThat(HandshakeFailures.terminalReason(forbidden))
        .isEqualTo("the server refused the handshake with HTTP 403 Forbidden; not reconnecting");
    Throwable unauthorized = new DeploymentException("x", new HandshakeException(401, "no"));
    assertThat(HandshakeFailures.terminalReason(unauthorized)).contains("HTTP 401 Unauthorized");
  }

  @Test
  void untrustedCertificatesAreTerminal() {
    SSLHandshakeException tls = new SSLHandshakeException("PKIX path building failed");
    tls.initCause(new CertificateException("untrusted"));
    assertThat(HandshakeFailures.terminalReason(new DeploymentException("x", tls)))
        .startsWith("TLS handshake failed (PKIX path building failed)");
  }

  @Test
  void otherFailuresMaySucceedLater() {
    assertThat(HandshakeFailures.terminalReason(new DeploymentException("x", new HandshakeException(503, "busy"))))
        .isNull();
    assertThat(HandshakeFailures.terminalReason(new IOException("Connection refused"))).isNull();
  }

  /** Guards issue 9, defect 4. */
  @Test
  void aFinalAnswerEndsAFirstAttemptAndNamesTheStatusAndTheUriWithoutItsQueryValues() {
    URI uri = URI.create("ws://chat.example.com:8025/wrong?token=s3cr3t");
    HandshakeFailures.Verdict v = HandshakeFailures.judge(uri,
        new DeploymentException("Handshake error.", new HandshakeException(404, "Not Found")), false);
    assertThat(v.terminal()).isTrue();
    assertThat(v.reported()).hasMessage("cannot connect to ws://chat.example.com:8025/wrong?token=***: the server"
        + " answered the handshake with HTTP 404 Not Found; not reconnecting: the same request will get"
        + " the same answer");
    for (int status : new int[] {400, 405, 410, 426, 451}) {
      assertThat(HandshakeFailures.judge(uri, new HandshakeException(status, "no"), false).terminal())
          .as("HTTP %d", status).isTrue();
    }
  }

  @Test
  void messagesNameTheUriWithItsQueryValuesRedactedAndNoUserInfo() {
    assertThat(HandshakeFailures.redacted(URI.create("ws://h:8025/im?user=alice&token=s3cret")))
        .isEqualTo("ws://h:8025/im?user=***&token=***");
    assertThat(HandshakeFailures.redacted(URI.create("wss://bob:pw@h/im?flag&k=&t=x%20y#frag")))
        .isEqualTo("wss://h/im?***&k=***&t=***");
    assertThat(HandshakeFailures.redacted(URI.create("ws://h/im"))).isEqualTo("ws://h/im");
    assertThat(HandshakeFailures.judge(URI.create("ws://h/im?token=s3cret"), new HandshakeException(404, "no"), false)
        .reported()).hasMessageStartingWith("cannot connect to ws://h/im?token=***: ").hasMessageNotContaining("s3cret");
  }

  @Test
  void timeoutsAndRateLimitsMaySucceedLater() {
    URI uri = URI.create("ws://h/im");
    assertThat(HandshakeFailures.judge(uri, new HandshakeException(408, "timeout"), false).terminal()).isFalse();
    assertThat(HandshakeFailures.judge(uri, new HandshakeException(429, "slow down"), false).terminal()).isFalse();
    assertThat(HandshakeFailures.judge(uri, new HandshakeException(503, "busy"), false).terminal()).isFalse();
  }

  @Test
  void aServerThatAcceptedTheUriBeforeIsRetriedOnA404ButNotOnA401() {
    URI uri = URI.create("ws://h/im");
    HandshakeFailures.Verdict notFound =
        HandshakeFailures.judge(uri, new HandshakeException(404, "starting"), true);
    assertThat(notFound.terminal()).isFalse();
    assertThat(notFound.reported()).hasMessageContaining("HTTP 404 Not Found; retrying");
    assertThat(HandshakeFailures.judge(uri, new HandshakeException(401, "no"), true).terminal()).isTrue();
  }

  @Test
  void anUnresolvableHostIsRetriedAndNamed() {
    HandshakeFailures.Verdict v = HandshakeFailures.judge(URI.create("ws://nowhere.invalid/im?user=a"),
        new DeploymentException("Connection failed.", new UnresolvedAddressException()), false);
    assertThat(v.terminal()).isFalse();
    assertThat(v.reported())
        .hasMessage("cannot connect to ws://nowhere.invalid/im?user=***: cannot resolve host nowhere.invalid")
        .hasCauseInstanceOf(UnknownHostException.class);
  }
}

package dev.tether.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.websocket.DeploymentException;
import java.io.IOException;
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
}

package dev.tether.server.internal;

import jakarta.websocket.CloseReason;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.lang.reflect.Constructor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refusing a handshake with an HTTP status, which JSR-356 has no API for (only a refused origin is
 * answered with 403 everywhere). On Tyrus and Jetty, {@code modifyHandshake} can throw the
 * container's own exception that carries a status, and the container answers with it and opens no
 * session. Elsewhere (Tomcat answers any exception with 500) the refusal is noted in the
 * handshake's user properties and the endpoint closes the session as soon as it opens: 1013 (try
 * again later) for 503, 1008 (policy violation) otherwise, the reason starting with the status.
 */
final class Refusals {
  private static final Logger log = LoggerFactory.getLogger(Refusals.class);

  /** User property holding a {@link Refusal} for the endpoint to act on. */
  static final String REFUSED = "dev.tether.server.refused";

  /** A refusal the endpoint carries out once the session opens. */
  record Refusal(int status, String reason) {
    int closeCode() {
      return status == 503 ? CloseReason.CloseCodes.TRY_AGAIN_LATER.getCode()
          : CloseReason.CloseCodes.VIOLATED_POLICY.getCode();
    }

    String closeReason() {
      String text = status + " " + reason;
      // A close reason holds at most 123 UTF-8 bytes; ours are ASCII.
      return text.length() > 123 ? text.substring(0, 123) : text;
    }
  }

  private static final Constructor<?> JETTY = jettyHttpException();

  private Refusals() {}

  /**
   * Refuses the handshake from inside {@code modifyHandshake}: throws the container's exception for
   * it, or notes the refusal for the endpoint and returns (then return normally).
   */
  static void refuse(ServerEndpointConfig config, HandshakeRequest request, int status, String reason) {
    String container = request.getClass().getName();
    if (container.startsWith("org.glassfish.tyrus.")) {
      throw TyrusRefusal.of(status, reason);
    }
    if (container.startsWith("org.eclipse.jetty.") && JETTY != null) {
      RuntimeException refusal;
      try {
        refusal = (RuntimeException) JETTY.newInstance(status, reason);
      } catch (ReflectiveOperationException e) {
        log.debug("cannot make Jetty's HttpException; refusing by closing instead", e);
        refusal = null;
      }
      if (refusal != null) {
        throw refusal;
      }
    }
    config.getUserProperties().put(REFUSED, new Refusal(status, reason));
  }

  private static Constructor<?> jettyHttpException() {
    try {
      return Class.forName("org.eclipse.jetty.http.HttpException$RuntimeException")
          .getConstructor(int.class, String.class);
    } catch (ReflectiveOperationException | LinkageError notJetty) {
      return null;
    }
  }
}

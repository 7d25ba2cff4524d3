package dev.tether.server.internal;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the server does to a connection that JSR-356 does not say how to do portably. Tyrus-specific
 * code is reached only for Tyrus sessions, so the class loads without Tyrus on the class path.
 */
final class Connections {
  private static final Logger log = LoggerFactory.getLogger(Connections.class);

  private Connections() {}

  static boolean isTyrus(Session session) {
    return session.getClass().getName().startsWith("org.glassfish.tyrus.");
  }

  /** Sends a close frame; failures are logged at debug, the connection is going anyway. */
  static void close(Session session, int code, String reason) {
    try {
      session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code), reason));
    } catch (IOException | RuntimeException e) {
      log.debug("close of {} failed", session.getId(), e);
    }
  }

  /**
   * Ends the TCP connection without a close frame, so that the peer sees 1006: on Tyrus at once;
   * elsewhere, where JSR-356 offers nothing of the kind (or on the module path without
   * {@link TransportAbort#OPENS}), by a close with 1011.
   */
  static void abort(Session session) {
    if (isTyrus(session)) {
      try {
        if (TransportAbort.abort(session)) {
          return;
        }
      } catch (RuntimeException e) {
        log.debug("abort of {} failed; the connection is already closed", session.getId(), e);
        return;
      }
    }
    close(session, CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "aborted");
  }
}

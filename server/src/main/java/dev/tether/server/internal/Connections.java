package dev.tether.server.internal;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the server does to a connection that JSR-356 does not say how to do portably. Tyrus-specific
 * code is reached only for Tyrus sessions, so the class loads without Tyrus on the class path;
 * Jetty and Tomcat are reached by reflection only, so it needs neither.
 */
final class Connections {
  private static final Logger log = LoggerFactory.getLogger(Connections.class);
  private static final String JETTY_SESSION = "org.eclipse.jetty.ee10.websocket.jakarta.common.JakartaWebSocketSession";
  private static final String TOMCAT_SESSION = "org.apache.tomcat.websocket.WsSession";

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
   * Ends the TCP connection without waiting for a close handshake, also when a close is already
   * under way (a peer that does not read never takes the close frame): on Tyrus by its transport
   * ({@link TransportAbort}); on Jetty 12 by {@code JakartaWebSocketSession.abort()}, which closes
   * the endpoint; on Tomcat by closing the session's remote endpoint, which closes the socket.
   * Elsewhere, where nothing of the kind is known (and on Tyrus on the module path without
   * {@link TransportAbort#OPENS}), it sends a close with 1011, which does nothing once a close is
   * under way: the container's own timeouts end such a connection.
   */
  static void abort(Session session) {
    String type = session.getClass().getName();
    try {
      if (isTyrus(session)) {
        if (!TransportAbort.abort(session)) {
          close(session, CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "aborted");
        }
      } else if (isA(session.getClass(), JETTY_SESSION)) {
        Method abort = session.getClass().getMethod("abort");
        abort.invoke(session);
      } else if (isA(session.getClass(), TOMCAT_SESSION)) {
        Field remote = field(session.getClass(), "wsRemoteEndpoint");
        Object endpoint = remote.get(session);
        endpoint.getClass().getMethod("close").invoke(endpoint);
      } else {
        close(session, CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "aborted");
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.debug("abort of {} ({}) failed; closing with 1011", session.getId(), type, e);
      close(session, CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "aborted");
    }
  }

  private static boolean isA(Class<?> type, String name) {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      if (c.getName().equals(name)) {
        return true;
      }
    }
    return false;
  }

  private static Field field(Class<?> type, String name) throws NoSuchFieldException {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
      } catch (NoSuchFieldException next) {
        // look in the superclass
      }
    }
    throw new NoSuchFieldException(type.getName() + "." + name);
  }
}

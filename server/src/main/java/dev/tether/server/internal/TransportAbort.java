package dev.tether.server.internal;

import jakarta.websocket.Session;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import org.glassfish.tyrus.core.ProtocolHandler;
import org.glassfish.tyrus.core.TyrusRemoteEndpoint;
import org.glassfish.tyrus.core.TyrusWebSocket;
import org.glassfish.tyrus.spi.Writer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the TCP connection under a Tyrus server session without sending a close frame, so the peer
 * sees an abnormal closure (1006). JSR-356 has no such operation; this walks Tyrus 2.2.x internals
 * by reflection: {@code session.getAsyncRemote()} is a {@link TyrusRemoteEndpoint} whose
 * {@code webSocket} field holds a {@link TyrusWebSocket}, whose {@code protocolHandler} holds the
 * transport {@link Writer}; on Grizzly {@code Writer.close()} closes the connection itself, after
 * writes already queued. Tyrus then notices the closed connection and tries to send its own close
 * frame, which fails because the connection is gone.
 *
 * <p>On the module path Tyrus does not open {@code org.glassfish.tyrus.core}; unless the
 * application does ({@link #OPENS}), {@link #abort} returns false (the caller closes with a close
 * frame instead) and the first attempt says so at WARN.
 */
final class TransportAbort {
  private static final Logger log = LoggerFactory.getLogger(TransportAbort.class);

  /** The JVM option that lets this class in; README.md, "Module path", lists it too. */
  static final String OPENS = "--add-opens org.glassfish.tyrus.core/org.glassfish.tyrus.core=dev.tether.server";

  /** The three fields, or null if the module system keeps them closed. */
  private static final Field[] PATH = path();

  private TransportAbort() {}

  /**
   * Closes the session's TCP connection at once.
   *
   * @return false if Tyrus's internals are closed to this module (nothing was done)
   * @throws IllegalStateException if closing failed
   */
  static boolean abort(Session session) {
    if (PATH == null) {
      return false;
    }
    try {
      Object webSocket = PATH[0].get(session.getAsyncRemote());
      Object handler = PATH[1].get(webSocket);
      Writer writer = (Writer) PATH[2].get(handler);
      writer.close();
      return true;
    } catch (IllegalAccessException | IOException e) {
      throw new IllegalStateException("cannot abort " + session.getId() + ": " + e, e);
    }
  }

  private static Field[] path() {
    try {
      return new Field[] {
        field(TyrusRemoteEndpoint.class, "webSocket"),
        field(TyrusWebSocket.class, "protocolHandler"),
        field(ProtocolHandler.class, "writer")
      };
    } catch (InaccessibleObjectException e) {
      log.warn("cannot abort Tyrus connections without a close frame: Tyrus does not open its internals to"
          + " dev.tether.server on the module path; connections to drop are closed with 1011 instead."
          + " Run with {}", OPENS);
      log.debug("closed", e);
      return null;
    }
  }

  private static Field field(Class<?> owner, String name) {
    try {
      Field f = owner.getDeclaredField(name);
      f.setAccessible(true);
      return f;
    } catch (NoSuchFieldException e) {
      throw new ExceptionInInitializerError(
          "Tyrus internals changed: no field " + owner.getName() + "." + name);
    }
  }
}

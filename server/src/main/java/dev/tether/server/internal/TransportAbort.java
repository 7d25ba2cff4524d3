package dev.tether.server.internal;

import jakarta.websocket.Session;
import java.io.IOException;
import java.lang.reflect.Field;
import org.glassfish.tyrus.core.ProtocolHandler;
import org.glassfish.tyrus.core.TyrusRemoteEndpoint;
import org.glassfish.tyrus.core.TyrusWebSocket;
import org.glassfish.tyrus.spi.Writer;

/**
 * Closes the TCP connection under a Tyrus server session without sending a close frame, so the peer
 * sees an abnormal closure (1006). JSR-356 has no such operation; this walks Tyrus 2.2.x internals
 * by reflection: {@code session.getAsyncRemote()} is a {@link TyrusRemoteEndpoint} whose
 * {@code webSocket} field holds a {@link TyrusWebSocket}, whose {@code protocolHandler} holds the
 * transport {@link Writer}; on Grizzly {@code Writer.close()} closes the connection itself, after
 * writes already queued. Tyrus then notices the closed connection and tries to send its own close
 * frame, which fails because the connection is gone.
 */
final class TransportAbort {
  private static final Field WEB_SOCKET = field(TyrusRemoteEndpoint.class, "webSocket");
  private static final Field PROTOCOL_HANDLER = field(TyrusWebSocket.class, "protocolHandler");
  private static final Field WRITER = field(ProtocolHandler.class, "writer");

  private TransportAbort() {}

  static void abort(Session session) {
    try {
      Object webSocket = WEB_SOCKET.get(session.getAsyncRemote());
      Object handler = PROTOCOL_HANDLER.get(webSocket);
      Writer writer = (Writer) WRITER.get(handler);
      writer.close();
    } catch (IllegalAccessException | IOException e) {
      throw new IllegalStateException("cannot abort " + session.getId() + ": " + e, e);
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

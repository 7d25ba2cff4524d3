package dev.tether.server.internal;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server endpoint at {@code /im}: one instance per connection, bound to its server's
 * {@link Hub}. Tyrus calls it on its worker threads, one frame of a connection at a time. Public
 * only because Tyrus invokes its methods reflectively.
 */
public final class ImEndpoint extends Endpoint {
  private static final Logger log = LoggerFactory.getLogger(ImEndpoint.class);

  private final Hub hub;
  /** Set in onOpen, before any frame or close callback. */
  private volatile Peer peer;

  ImEndpoint(Hub hub) {
    this.hub = hub;
  }

  @Override
  public void onOpen(Session session, EndpointConfig config) {
    // Tyrus 2.2 reschedules an idle-timeout task on every frame unless the timeout is negative.
    session.setMaxIdleTimeout(-1);
    // Tyrus applies these only while it assembles a fragmented message (closing with 1009); a
    // message in one frame is checked by the hub.
    session.setMaxTextMessageBufferSize(hub.maxMessageSize());
    session.setMaxBinaryMessageBufferSize(hub.maxMessageSize());
    Object authenticated = config.getUserProperties().get(ImConfigurator.AUTHENTICATED_USER);
    List<String> users = session.getRequestParameterMap().get("user");
    String user = authenticated instanceof String s ? s
        : users == null || users.isEmpty() ? null : users.get(0);
    Peer p = hub.open(session, user);
    peer = p;
    log.debug("open {}", p);
    session.addMessageHandler(String.class, (MessageHandler.Whole<String>) text -> hub.onText(p, text));
    session.addMessageHandler(
        ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) bytes -> hub.onBinary(p, bytes));
  }

  @Override
  public void onClose(Session session, CloseReason closeReason) {
    Peer p = peer;
    if (p != null) {
      log.debug("close {}: {}", p, closeReason);
      hub.closed(p);
    }
  }

  @Override
  public void onError(Session session, Throwable error) {
    log.debug("error on {}", peer, error);
  }
}

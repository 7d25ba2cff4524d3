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
 * {@link Hub}. The container calls it on its threads, one frame of a connection at a time. Public
 * only because containers invoke its methods reflectively.
 */
public final class ImEndpoint extends Endpoint {
  private static final Logger log = LoggerFactory.getLogger(ImEndpoint.class);

  private final Hub hub;
  /** The configurator of the endpoint config this connection came in through. */
  private final ImConfigurator entry;
  /** Set in onOpen, before any frame or close callback. */
  private volatile Peer peer;

  ImEndpoint(Hub hub, ImConfigurator entry) {
    this.hub = hub;
    this.entry = entry;
  }

  @Override
  public void onOpen(Session session, EndpointConfig config) {
    if (config.getUserProperties().get(Refusals.REFUSED) instanceof Refusals.Refusal refusal) {
      Connections.close(session, refusal.closeCode(), refusal.closeReason());
      return;
    }
    // Containers apply these while they assemble a message (closing with 1009 beyond them); a
    // message in one frame is also checked by the hub.
    session.setMaxTextMessageBufferSize(hub.maxMessageSize());
    session.setMaxBinaryMessageBufferSize(hub.maxMessageSize());
    Object authenticated = config.getUserProperties().get(ImConfigurator.AUTHENTICATED_USER);
    List<String> users = session.getRequestParameterMap().get("user");
    String user = authenticated instanceof String s ? s
        : users == null || users.isEmpty() ? null : users.get(0);
    Peer p = hub.open(session, user, entry);
    if (p == null && entry.retired()) {
      // Its listener is stopping and ends the others without a close frame: so this one too.
      Connections.abort(session);
      return;
    }
    if (p == null) {
      Connections.close(session, CloseReason.CloseCodes.TRY_AGAIN_LATER.getCode(), "503 too many connections");
      return;
    }
    peer = p;
    log.debug("open {}", p);
    session.addMessageHandler(String.class, (MessageHandler.Whole<String>) text -> hub.inbound().onText(p, text));
    session.addMessageHandler(
        ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) bytes -> hub.inbound().onBinary(p, bytes));
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

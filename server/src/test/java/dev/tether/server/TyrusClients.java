package dev.tether.server;

import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.WebSocketContainer;
import java.io.IOException;
import org.glassfish.tyrus.client.ClientManager;
import org.glassfish.tyrus.client.ClientProperties;

/**
 * One Tyrus client container for the tests of this module, on one shared Grizzly transport.
 * Tyrus's client shuts its executors down whenever its last open connection ends, and a connection
 * being opened at that moment fails; so one anchor connection, to a server of its own, stays open
 * for the life of the JVM.
 */
final class TyrusClients {
  private static final ClientManager CLIENT = ClientManager.createClient();

  static {
    CLIENT.getProperties().put(ClientProperties.SHARED_CONTAINER, true);
    CLIENT.getProperties().put(ClientProperties.HANDSHAKE_TIMEOUT, 5_000);
    TetherServer anchor = TetherServer.builder().build();
    TetherServer.Running running = anchor.listen("127.0.0.1", 0);
    try {
      CLIENT.connectToServer(new WsClient(), ClientEndpointConfig.Builder.create().build(),
          java.net.URI.create(running.uri() + "?user=anchor"));
    } catch (DeploymentException | IOException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private TyrusClients() {}

  static WebSocketContainer container() {
    return CLIENT;
  }
}

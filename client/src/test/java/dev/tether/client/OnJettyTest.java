package dev.tether.client;

import jakarta.websocket.WebSocketContainer;
import org.eclipse.jetty.ee10.websocket.jakarta.client.JakartaWebSocketClientContainerProvider;
import org.junit.jupiter.api.AfterAll;

/**
 * {@link PortableBehaviourTest} on Jetty 12's Jakarta WebSocket client: Tether on a second JSR-356
 * implementation, selected through {@code .container(..)}.
 */
class OnJettyTest extends PortableBehaviourTest {
  private static final WebSocketContainer JETTY = JakartaWebSocketClientContainerProvider.getContainer(null);

  @Override
  WebSocketContainer container() {
    return JETTY;
  }

  @AfterAll
  static void stopJetty() throws Exception {
    JakartaWebSocketClientContainerProvider.stop(JETTY);
  }
}

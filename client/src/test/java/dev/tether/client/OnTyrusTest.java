package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.websocket.ContainerProvider;
import jakarta.websocket.WebSocketContainer;
import org.junit.jupiter.api.Test;

/** {@link PortableBehaviourTest} on Tyrus, the default container. */
class OnTyrusTest extends PortableBehaviourTest {
  private static final WebSocketContainer TYRUS = ContainerProvider.getWebSocketContainer();

  @Override
  WebSocketContainer container() {
    return TYRUS;
  }

  @Test
  void theDefaultContainerIsTyrus() {
    assertThat(TYRUS.getClass().getName()).startsWith("org.glassfish.tyrus.");
  }
}

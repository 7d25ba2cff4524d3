package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The README's "In Jetty 12" snippet, line for line, except port 0 for 8025: it listens and serves. */
class ReadmeJettySnippetTest {
  private TetherServer server;
  private Server jetty;

  @AfterEach
  void tearDown() throws Exception {
    server.close();
    jetty.stop();
  }

  @Test
  void theReadmesJettySnippetListensAndServes() throws Exception {
    server = TetherServer.builder().build();
    // ---- as in the README
    jetty = new Server(0); // (8025 in the README)
    ServletContextHandler context = new ServletContextHandler();
    jetty.setHandler(context);
    JakartaWebSocketServletContainerInitializer.configure(context,
        (servletContext, container) -> container.addEndpoint(server.endpointConfig()));
    jetty.start();
    // ----
    int port = ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
    WsClient alice = WsClient.connect(TyrusClients.container(), URI.create("ws://127.0.0.1:" + port + "/im?user=alice"),
        Map.of());
    try {
      alice.send("hello");
      assertThat(alice.nextText()).isEqualTo("hello");
    } finally {
      alice.close();
    }
  }
}

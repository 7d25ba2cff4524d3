package dev.tether.server;

import jakarta.websocket.WebSocketContainer;
import java.net.URI;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * {@link HostedServerSuite} inside embedded Jetty 12 (ee10): the endpoint is added through Jetty's
 * own {@code ServerContainer}, as an application would from a {@code ServletContextListener}.
 * Tyrus is the client.
 */
class JettyHostingTest extends HostedServerSuite {
  @Override
  protected Host host(TetherServer server) throws Exception {
    Server jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    jetty.setHandler(context);
    JakartaWebSocketServletContainerInitializer.configure(context,
        (servletContext, container) -> container.addEndpoint(server.endpointConfig()));
    jetty.start();
    URI uri = URI.create("ws://127.0.0.1:" + connector.getLocalPort() + "/im");
    return new Host() {
      @Override
      public URI uri() {
        return uri;
      }

      @Override
      public void close() throws Exception {
        jetty.stop();
      }
    };
  }

  @Override
  protected WebSocketContainer client() {
    return TyrusClients.container();
  }

  @Override
  protected boolean refusesWithStatus() {
    return true;
  }
}

package dev.tether.server;

import jakarta.websocket.WebSocketContainer;
import jakarta.websocket.server.ServerContainer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.servlets.DefaultServlet;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.websocket.WsWebSocketContainer;
import org.apache.tomcat.websocket.server.WsSci;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HostedServerSuite} inside embedded Tomcat 11: the endpoint is added to Tomcat's
 * {@code ServerContainer} while the web application starts, as a {@code ServletContextListener} or
 * {@code ServerApplicationConfig} would. Tomcat's own client connects. Tomcat answers any exception
 * from a handshake with 500, so refusals open and close at once (1008, or 1013 for 503).
 */
class TomcatHostingTest extends HostedServerSuite {
  private static final WebSocketContainer CLIENT = new WsWebSocketContainer();

  @TempDir Path dir;

  @Override
  protected Host host(TetherServer server) throws Exception {
    Path base = Files.createTempDirectory(dir, "tomcat");
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(base.toString());
    Connector connector = new Connector("HTTP/1.1");
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    tomcat.getService().addConnector(connector);
    tomcat.setConnector(connector);
    Context context = tomcat.addContext("", Files.createDirectories(base.resolve("docs")).toString());
    Tomcat.addServlet(context, "default", new DefaultServlet());
    context.addServletMappingDecoded("/", "default");
    context.addServletContainerInitializer(new WsSci(), null);
    context.addServletContainerInitializer((classes, servletContext) -> {
      ServerContainer container = (ServerContainer) servletContext.getAttribute(ServerContainer.class.getName());
      try {
        container.addEndpoint(server.endpointConfig());
      } catch (jakarta.websocket.DeploymentException e) {
        throw new jakarta.servlet.ServletException(e);
      }
    }, null);
    tomcat.start();
    URI uri = URI.create("ws://127.0.0.1:" + connector.getLocalPort() + "/im");
    return new Host() {
      @Override
      public URI uri() {
        return uri;
      }

      @Override
      public void close() throws Exception {
        tomcat.stop();
        tomcat.destroy();
      }
    };
  }

  @Override
  protected WebSocketContainer client() {
    return CLIENT;
  }

  @Override
  protected boolean refusesWithStatus() {
    return false;
  }
}

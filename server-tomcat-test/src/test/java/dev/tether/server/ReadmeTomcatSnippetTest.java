package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.ServletException;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.catalina.Context;
import org.apache.catalina.servlets.DefaultServlet;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.websocket.WsWebSocketContainer;
import org.apache.tomcat.websocket.server.WsSci;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "In Tomcat 11" snippet, line for line, except port 0 for 8025 and a base directory
 * of the test's: it must listen and serve (review 11 finding 13: without
 * {@code tomcat.getConnector()} Tomcat 9+ starts no connector at all).
 */
class ReadmeTomcatSnippetTest {
  @TempDir Path dir;
  private TetherServer server;
  private Tomcat tomcat;

  @AfterEach
  void tearDown() throws Exception {
    server.close();
    tomcat.stop();
    tomcat.destroy();
  }

  @Test
  void theReadmesTomcatSnippetListensAndServes() throws Exception {
    server = TetherServer.builder().build();
    String docBase = Files.createDirectories(dir.resolve("docs")).toString();
    // ---- as in the README
    tomcat = new Tomcat();
    tomcat.setBaseDir(dir.toString()); // (the test's own; Tomcat's default is ./tomcat.PORT)
    tomcat.setPort(0);                  // (8025 in the README)
    tomcat.getConnector();              // creates the connector: Tomcat 9+ starts none without it
    Context context = tomcat.addContext("", docBase);
    Tomcat.addServlet(context, "default", new DefaultServlet());
    context.addServletMappingDecoded("/", "default");
    context.addServletContainerInitializer(new WsSci(), null);
    context.addServletContainerInitializer((classes, servletContext) -> {
      ServerContainer container = (ServerContainer) servletContext.getAttribute(ServerContainer.class.getName());
      try {
        container.addEndpoint(server.endpointConfig());
      } catch (DeploymentException e) {
        throw new ServletException(e);
      }
    }, null);
    tomcat.start();
    // ----
    // (not getConnector(): called now, it would make the connector the snippet must have made)
    assertThat(tomcat.getService().findConnectors()).hasSize(1);
    int port = tomcat.getService().findConnectors()[0].getLocalPort();
    assertThat(port).isPositive();
    WsClient alice = WsClient.connect(new WsWebSocketContainer(),
        URI.create("ws://127.0.0.1:" + port + "/im?user=alice"), Map.of());
    try {
      alice.send("hello");
      assertThat(alice.nextText()).isEqualTo("hello");
    } finally {
      alice.close();
    }
  }
}

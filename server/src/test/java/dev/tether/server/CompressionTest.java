package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

/**
 * The server negotiates permessage-deflate with an independent client, Node's {@code ws}, which
 * sends every kind of message (empty to 300 KB, text and binary, whole and in 3 fragments) and
 * checks every echo: standalone with Tether's extension (without context takeover either way), and
 * inside Jetty with Jetty's own; {@code compression(false)} declines on both.
 */
class CompressionTest {
  /** 14 sizes, text and binary, whole and fragmented. */
  private static final String ALL_PASSED = "RESULT passed=56 failed=0";
  private static final String OUR_ANSWER =
      "OPEN accepted=\"permessage-deflate; server_no_context_takeover; client_no_context_takeover\"";

  private static NodeWsClient.Run standalone(TetherServer.Builder settings, Map<String, String> env) {
    try (TetherServer server = settings.build()) {
      TetherServer.Running running = server.listen("127.0.0.1", 0);
      return NodeWsClient.run(URI.create(running.uri() + "?user=node"), env);
    }
  }

  @Test
  void standaloneTheServerAnswersWithoutContextTakeoverAndEveryMessageSurvives() {
    NodeWsClient.Run run = standalone(TetherServer.builder(), Map.of());
    assertThat(run.line("OPEN ")).isEqualTo(OUR_ANSWER);
    assertThat(run.line("RESULT ")).as("%s", run.lines()).isEqualTo(ALL_PASSED);
    assertThat(run.exitCode()).isZero();
  }

  @Test
  void standaloneCompressionFalseDeclines() {
    NodeWsClient.Run run = standalone(TetherServer.builder().compression(false), Map.of());
    assertThat(run.line("OPEN ")).isEqualTo("OPEN accepted=\"\"");
    assertThat(run.line("RESULT ")).as("%s", run.lines()).isEqualTo(ALL_PASSED);
  }

  /** The JDK's window cannot be made smaller: the server accepts and keeps its promise by not compressing. */
  @Test
  void aSmallerServerWindowIsAcceptedAndKeptBySendingUncompressed() {
    NodeWsClient.Run run = standalone(TetherServer.builder(), Map.of("SERVER_MAX_WINDOW_BITS", "10"));
    assertThat(run.line("OPEN ")).isEqualTo("OPEN accepted=\"permessage-deflate; server_no_context_takeover;"
        + " client_no_context_takeover; server_max_window_bits=10\"");
    assertThat(run.line("RESULT ")).as("%s", run.lines()).isEqualTo(ALL_PASSED);
  }

  @Test
  void anOfferWithAnUnknownParameterIsDeclinedForTheNextOne() throws Exception {
    try (TetherServer server = TetherServer.builder().build()) {
      TetherServer.Running running = server.listen("127.0.0.1", 0);
      try (RawHandshake h = RawHandshake.send(URI.create(running.uri() + "?user=raw"), Map.of(
          "Sec-WebSocket-Extensions", "permessage-deflate; x_future_thing, permessage-deflate; client_max_window_bits"))) {
        assertThat(h.head()).startsWith("HTTP/1.1 101").containsIgnoringCase(
            "sec-websocket-extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n");
      }
      try (RawHandshake h = RawHandshake.send(URI.create(running.uri() + "?user=raw"), Map.of(
          "Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=99"))) {
        assertThat(h.head()).startsWith("HTTP/1.1 101").doesNotContainIgnoringCase("sec-websocket-extensions");
      }
    }
  }

  @Test
  void inJettyJettysOwnDeflateIsUsedAndCompressionFalseDeclines() throws Exception {
    for (boolean compression : new boolean[] {true, false}) {
      try (TetherServer server = TetherServer.builder().compression(compression).build()) {
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
        try {
          NodeWsClient.Run run = NodeWsClient.run(
              URI.create("ws://127.0.0.1:" + connector.getLocalPort() + "/im?user=node"), Map.of());
          if (compression) {
            assertThat(run.line("OPEN ")).startsWith("OPEN accepted=\"permessage-deflate");
          } else {
            assertThat(run.line("OPEN ")).isEqualTo("OPEN accepted=\"\"");
          }
          assertThat(run.line("RESULT ")).as("%s", run.lines()).isEqualTo(ALL_PASSED);
        } finally {
          jetty.stop();
        }
      }
    }
  }
}

package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.client.RecordingDelegate.Failure;
import dev.tether.stub.StubServer;
import jakarta.websocket.WebSocketContainer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import org.eclipse.jetty.ee10.websocket.jakarta.client.JakartaWebSocketClientContainerProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A token in the query never reaches a failure, its causes or {@code toString()}: they show the URI
 * with its query values masked. On Tyrus and on Jetty, whose exceptions Tether passes on as causes.
 */
class SecretsInUrisTest {
  private static final String SECRET = "s3cr3t-in-the-query";
  private static final WebSocketContainer JETTY = JakartaWebSocketClientContainerProvider.getContainer(null);

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();

  @AfterAll
  static void stopJetty() throws Exception {
    JakartaWebSocketClientContainerProvider.stop(JETTY);
  }

  private TetherClient.Builder builder(URI uri, boolean jetty, RecordingDelegate d) {
    TetherClient.Builder b = TetherClient.builder(uri).delegate(d).reconnect(ReconnectPolicy.none());
    return jetty ? b.container(JETTY) : b;
  }

  @ParameterizedTest(name = "jetty={0}")
  @ValueSource(booleans = {false, true})
  void aRefusedHandshakeNamesTheUriWithoutTheSecret(boolean jetty) {
    StubServer server = stub.start(StubServer.builder().requireBearerToken(token -> null));
    RecordingDelegate d = new RecordingDelegate();
    TetherClient client = stub.client(builder(URI.create(server.uri() + "?user=alice&token=" + SECRET), jetty, d));
    client.open();
    Throwable failure = d.take(Failure.class).error();
    assertThat(failure).hasMessageStartingWith("cannot connect to " + server.uri() + "?user=***&token=***: ");
    assertThat(everything(failure)).doesNotContain(SECRET);
    assertThat(client.toString()).isEqualTo("TetherClient{" + server.uri() + "?user=***&token=***, CLOSED}");
  }

  @ParameterizedTest(name = "jetty={0}")
  @ValueSource(booleans = {false, true})
  void anUnreachableServerNamesTheUriWithoutTheSecret(boolean jetty) throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    RecordingDelegate d = new RecordingDelegate();
    TetherClient client = stub.client(builder(URI.create("ws://127.0.0.1:" + closed + "/im?token=" + SECRET), jetty, d));
    client.open();
    Throwable failure = d.take(Failure.class).error();
    assertThat(everything(failure)).doesNotContain(SECRET).contains("token=***");
  }

  @Test
  void aWrongUriIsRefusedWithoutRepeatingTheSecret() {
    assertThatThrownBy(() -> TetherClient.builder(URI.create("http://chat.example.com/im?token=" + SECRET)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a ws:// or wss:// URI, was http://chat.example.com/im?token=***");
  }

  /** Every message and stack trace of the chain, as a log would print it. */
  private static String everything(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    return out.toString();
  }
}

package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.api.Envelope;
import dev.tether.api.ReadyState;
import dev.tether.api.TetherException;
import dev.tether.client.RecordingDelegate.Failure;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.client.RecordingDelegate.Reconnecting;
import dev.tether.client.RecordingDelegate.Text;
import dev.tether.stub.SelfSignedCertificate;
import dev.tether.stub.StubServer;
import java.io.IOException;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.client.BasicAuthentication;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.HttpProxy;
import org.eclipse.jetty.client.Origin;
import org.eclipse.jetty.ee10.websocket.jakarta.client.JakartaWebSocketClientContainer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ws and wss through a real HTTP proxy (tinyproxy): CONNECT tunnels, Basic credentials for a 407
 * from the proxy authenticator, the final failures (no credentials, refused ones, SOCKS), an
 * unreachable proxy retried, the JVM's default selector, and Jetty configured as the README says.
 */
class ProxyTest {
  private static SelfSignedCertificate certificate;

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();
  private StubServer server;

  @BeforeAll
  static void makeCertificate() {
    certificate = SelfSignedCertificate.generate("localhost", "127.0.0.1");
  }

  private StubServer server(boolean tls) {
    server = tls ? stub.start(StubServer.builder().tls(certificate.serverContext())) : stub.server();
    return server;
  }

  private TetherClient.Builder builder(boolean tls, RecordingDelegate d) {
    TetherClient.Builder b = TetherClient.builder(URI.create(server.uri() + "?user=alice")).delegate(d)
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(20)));
    return tls ? b.sslContext(certificate.clientContext()) : b;
  }

  private String target() {
    return "127.0.0.1:" + server.port();
  }

  private void awaitServerConnections(int n) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.connectionCount() == n);
  }

  private static void assertEcho(TetherClient client, RecordingDelegate d, String text) {
    client.send(text);
    assertThat(d.next(Text.class).text()).isEqualTo(text);
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void connectsThroughTheProxysConnectTunnel(boolean tls) throws Exception {
    server(tls);
    Tinyproxy proxy = stub.closeAfter(Tinyproxy.start());
    RecordingDelegate d = new RecordingDelegate();
    TetherClient client = stub.client(builder(tls, d).proxy(proxy.selector()));
    client.open();
    d.take(Open.class);
    assertEcho(client, d, "through the tunnel");
    assertThat(client.send(Envelope.join("lobby")).get().id()).isNotNull();
    assertThat(proxy.connects(target())).as("CONNECTs in %s", proxy.log()).isPositive();
    assertThat(server.handshakeCount()).isEqualTo(1);
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void aProxyAsking407GetsTheAuthenticatorsCredentialsWhichAreKeptForReconnects(boolean tls) {
    server(tls);
    Tinyproxy proxy = stub.closeAfter(Tinyproxy.withBasicAuth("alice", "s3cret"));
    RecordingAuthenticator auth = new RecordingAuthenticator("alice", "s3cret");
    RecordingDelegate d = new RecordingDelegate();
    TetherClient client = stub.client(builder(tls, d).proxy(proxy.selector()).proxyAuthenticator(auth));
    client.open();
    d.take(Open.class);
    assertEcho(client, d, "authenticated");
    awaitServerConnections(1);
    assertThat(auth.requests).containsExactly(
        "PROXY http://127.0.0.1:" + proxy.port() + " realm=Tinyproxy scheme=Basic url="
            + (tls ? "https" : "http") + "://" + target() + "/im?user=alice");

    server.dropAllConnections();
    d.next(Reconnecting.class);
    d.next(Open.class);
    assertEcho(client, d, "again");
    assertThat(auth.requests).as("asked once").hasSize(1);
    assertThat(server.handshakeCount()).isEqualTo(2);
  }

  /** Without credentials Tyrus waits 30 s on wss and names no cause: the failure must be quick and clear. */
  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void a407WithoutCredentialsIsATerminalFailureThatSaysSo(boolean tls) {
    server(tls);
    Tinyproxy proxy = stub.closeAfter(Tinyproxy.withBasicAuth("alice", "s3cret"));
    RecordingDelegate d = new RecordingDelegate();
    TetherClient client = stub.client(builder(tls, d).proxy(proxy.selector()));
    long start = System.nanoTime();
    client.open();
    Failure failure = d.take(Failure.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
    assertThat(failure.error()).isInstanceOf(TetherException.class).hasMessage(
        "cannot connect to " + (tls ? "wss" : "ws") + "://" + target() + "/im?user=***: proxy 127.0.0.1:" + proxy.port()
            + " requires authentication (HTTP/1.0 407 Proxy Authentication Required, realm \"Tinyproxy\") and no"
            + " credentials were given: set .proxyAuthenticator(..) (or Authenticator.setDefault(..)); not reconnecting");
    d.assertNoEvent(Duration.ofMillis(300));
    assertThat(client.readyState()).isEqualTo(ReadyState.CLOSED);
    assertThat(server.handshakeCount()).isZero();
  }

  @Test
  void refusedCredentialsAreATerminalFailure() {
    server(true);
    Tinyproxy proxy = stub.closeAfter(Tinyproxy.withBasicAuth("alice", "s3cret"));
    RecordingAuthenticator auth = new RecordingAuthenticator("alice", "wrong");
    RecordingDelegate d = new RecordingDelegate();
    TetherClient client = stub.client(builder(true, d).proxy(proxy.selector()).proxyAuthenticator(auth));
    client.open();
    Failure failure = d.take(Failure.class);
    assertThat(failure.error()).hasMessageContaining("proxy 127.0.0.1:" + proxy.port()
        + " refused the credentials for user 'alice'").hasMessageEndingWith("; not reconnecting");
    d.assertNoEvent(Duration.ofMillis(300));
    assertThat(client.readyState()).isEqualTo(ReadyState.CLOSED);
    assertThat(auth.requests).hasSize(1);
  }

  /**
   * Credentials that worked are sent without a probe; when the proxy stops taking them, that
   * attempt fails, the next one probes, asks the authenticator again, and ends for good when the
   * proxy refuses what it gives.
   */
  @Test
  void credentialsTheProxyStopsTakingEndTheClientAfterOneMoreProbe() {
    server(false);
    Tinyproxy first = Tinyproxy.withBasicAuth("alice", "s3cret");
    int port = first.port();
    RecordingAuthenticator auth = new RecordingAuthenticator("alice", "s3cret");
    RecordingDelegate d = new RecordingDelegate();
    TetherClient client = stub.client(builder(false, d).proxy(first.selector()).proxyAuthenticator(auth));
    client.open();
    d.take(Open.class);
    awaitServerConnections(1);
    first.close();
    Tinyproxy second = stub.closeAfter(Tinyproxy.withBasicAuth("alice", "changed", port));
    Failure failure = d.next(Failure.class);
    while (!failure.error().getMessage().contains("not reconnecting")) {
      failure = d.next(Failure.class);
    }
    assertThat(failure.error()).hasMessageContaining("proxy 127.0.0.1:" + port
        + " refused the credentials for user 'alice'");
    assertThat(client.readyState()).isEqualTo(ReadyState.CLOSED);
    assertThat(auth.requests).as("asked again once the proxy refused").hasSize(2);
    assertThat(second.connects(target())).as("CONNECTs in %s", second.log()).isPositive();
  }

  @Test
  void anUnreachableProxyIsNamedToldToTheSelectorAndRetried() throws IOException {
    server(false);
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    RecordingSelector selector = new RecordingSelector(new InetSocketAddress("127.0.0.1", closedPort));
    RecordingDelegate d = new RecordingDelegate();
    TetherClient client = stub.client(builder(false, d).proxy(selector));
    client.open();
    Failure failure = d.take(Failure.class);
    assertThat(failure.error()).hasMessageStartingWith(
        "cannot connect to ws://" + target() + "/im?user=***: cannot reach proxy 127.0.0.1:" + closedPort + ": ");
    d.take(Reconnecting.class);
    assertThat(selector.failed).contains("http://" + target() + "/im?user=alice via /127.0.0.1:" + closedPort);
    assertThat(server.handshakeCount()).isZero();
  }

  @Test
  void theSelectorIsAskedWithTheHttpFormBeforeEveryAttemptAndCanChooseDirect() {
    server(false);
    RecordingSelector selector = new RecordingSelector(null);
    RecordingDelegate d = new RecordingDelegate();
    TetherClient client = stub.client(builder(false, d).proxy(selector));
    client.open();
    d.take(Open.class);
    awaitServerConnections(1);
    server.dropAllConnections();
    d.next(Open.class);
    assertThat(selector.asked).containsExactly("http://" + target() + "/im?user=alice",
        "http://" + target() + "/im?user=alice");
  }

  @Test
  void aSelectorNamingOnlySocksProxiesIsATerminalFailure() {
    server(false);
    ProxySelector socks = new ProxySelector() {
      @Override
      public List<Proxy> select(URI uri) {
        return List.of(new Proxy(Proxy.Type.SOCKS, new InetSocketAddress("127.0.0.1", 1080)));
      }

      @Override
      public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
    };
    RecordingDelegate d = new RecordingDelegate();
    TetherClient client = stub.client(builder(false, d).proxy(socks));
    client.open();
    assertThat(d.take(Failure.class).error()).hasMessageContaining("chose a SOCKS proxy")
        .hasMessageContaining("only HTTP proxies (CONNECT) are supported; not reconnecting");
    d.assertNoEvent(Duration.ofMillis(300));
    assertThat(client.readyState()).isEqualTo(ReadyState.CLOSED);
  }

  /** The JVM's default selector, as {@code -Dhttp.proxyHost} makes it, is the default. */
  @Test
  void withoutProxyTheJvmsProxySettingsAreUsed() {
    server(false);
    Tinyproxy proxy = stub.closeAfter(Tinyproxy.start());
    String[] keys = {"http.proxyHost", "http.proxyPort", "http.nonProxyHosts"};
    String[] saved = new String[keys.length];
    for (int i = 0; i < keys.length; i++) {
      saved[i] = System.getProperty(keys[i]);
    }
    try {
      System.setProperty("http.proxyHost", "127.0.0.1");
      System.setProperty("http.proxyPort", String.valueOf(proxy.port()));
      System.setProperty("http.nonProxyHosts", ""); // the JDK's default never proxies loopback
      RecordingDelegate d = new RecordingDelegate();
      TetherClient client = stub.client(builder(false, d));
      client.open();
      d.take(Open.class);
      assertEcho(client, d, "via the JVM's proxy");
      assertThat(proxy.connects(target())).as("CONNECTs in %s", proxy.log()).isPositive();
      client.close();
    } finally {
      for (int i = 0; i < keys.length; i++) {
        if (saved[i] == null) {
          System.clearProperty(keys[i]);
        } else {
          System.setProperty(keys[i], saved[i]);
        }
      }
    }
  }

  @Test
  void proxySettingsWithAContainerOfYourOwnAreRefused() {
    TetherClient.Builder b = TetherClient.builder(URI.create("ws://127.0.0.1:1/im"))
        .container(jakarta.websocket.ContainerProvider.getWebSocketContainer());
    assertThatThrownBy(() -> b.proxy(ProxySelector.of(null)).build()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("configure the proxy on the container you pass instead");
    assertThatThrownBy(() -> TetherClient.builder(URI.create("ws://h/im")).proxy(null))
        .isInstanceOf(NullPointerException.class).hasMessage("selector == null");
    assertThatThrownBy(() -> TetherClient.builder(URI.create("ws://h/im")).proxyAuthenticator(null))
        .isInstanceOf(NullPointerException.class).hasMessage("authenticator == null");
  }

  /** The README's recipe for Jetty: the proxy and its credentials go on Jetty's HttpClient. */
  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void onJettyTheProxyIsConfiguredOnItsHttpClient(boolean tls) throws Exception {
    server(tls);
    Tinyproxy proxy = stub.closeAfter(Tinyproxy.withBasicAuth("alice", "s3cret"));
    HttpClient http = new HttpClient();
    if (tls) {
      org.eclipse.jetty.util.ssl.SslContextFactory.Client ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Client();
      ssl.setSslContext(certificate.clientContext());
      http.setSslContextFactory(ssl);
    }
    http.getProxyConfiguration().addProxy(new HttpProxy("127.0.0.1", proxy.port()) {
      @Override
      public boolean requiresTunnel(Origin origin) {
        return true; // Jetty would send ws:// as a plain forward-proxy request otherwise
      }
    });
    http.getAuthenticationStore().addAuthentication(new BasicAuthentication(
        URI.create("http://127.0.0.1:" + proxy.port()), "Tinyproxy", "alice", "s3cret"));
    JakartaWebSocketClientContainer jetty = new JakartaWebSocketClientContainer(http);
    jetty.start();
    try {
      RecordingDelegate d = new RecordingDelegate();
      TetherClient client = TetherClient.builder(URI.create(server.uri() + "?user=alice")).delegate(d)
          .container(jetty).build();
      try {
        client.open();
        // Jetty's HttpClient now and then fails the CONNECT it resends with credentials after the
        // 407 (WritePendingException on the tunnel's endpoint, seen once in ~10 full runs); that
        // attempt is retryable and the client's next one opens. What this test owns is that the
        // tunnel carries the connection, so wait for the open across such a retry.
        d.next(Open.class);
        assertEcho(client, d, "jetty through the tunnel");
        assertThat(proxy.connects(target())).as("CONNECTs in %s", proxy.log()).isPositive();
      } finally {
        client.close();
      }
    } finally {
      jetty.stop();
    }
  }

  /** Records what it was asked; answers with fixed credentials. */
  private static final class RecordingAuthenticator extends Authenticator {
    final List<String> requests = new CopyOnWriteArrayList<>();
    private final String user;
    private final String password;

    RecordingAuthenticator(String user, String password) {
      this.user = user;
      this.password = password;
    }

    @Override
    protected PasswordAuthentication getPasswordAuthentication() {
      requests.add(getRequestorType() + " " + getRequestingProtocol() + "://" + getRequestingHost() + ":"
          + getRequestingPort() + " realm=" + getRequestingPrompt() + " scheme=" + getRequestingScheme()
          + " url=" + getRequestingURL());
      return new PasswordAuthentication(user, password.toCharArray());
    }
  }

  /** Names one proxy (or DIRECT) and records what it was asked and told. */
  private static final class RecordingSelector extends ProxySelector {
    final List<String> asked = new CopyOnWriteArrayList<>();
    final List<String> failed = new CopyOnWriteArrayList<>();
    private final InetSocketAddress proxy;

    RecordingSelector(InetSocketAddress proxy) {
      this.proxy = proxy;
    }

    @Override
    public List<Proxy> select(URI uri) {
      asked.add(uri.toString());
      return List.of(proxy == null ? Proxy.NO_PROXY : new Proxy(Proxy.Type.HTTP, proxy));
    }

    @Override
    public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
      failed.add(uri + " via " + sa);
    }
  }
}

package dev.tether.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pieces of proxy support that need no proxy: URI forms, answer parsing, challenges, Basic. */
class ProxyPartsTest {
  private static final ProxyRoute ROUTE =
      new ProxyRoute(InetSocketAddress.createUnresolved("proxy.corp", 3128), URI.create("http://h/"), null);

  @Test
  void aSelectorIsAskedWithTheHttpFormOfTheUri() {
    assertThat(ProxyRoute.httpForm(URI.create("ws://chat.example.com:8025/im?user=a%20b")))
        .isEqualTo(URI.create("http://chat.example.com:8025/im?user=a%20b"));
    assertThat(ProxyRoute.httpForm(URI.create("WSS://[::1]/im"))).isEqualTo(URI.create("https://[::1]/im"));
  }

  @Test
  void theFirstHttpProxyIsChosenAndDirectBeforeItMeansDirect() throws Exception {
    Proxy a = new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved("a", 1));
    Proxy b = new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved("b", 2));
    Proxy socks = new Proxy(Proxy.Type.SOCKS, InetSocketAddress.createUnresolved("s", 3));
    URI uri = URI.create("wss://h/im");
    assertThat(ProxyRoute.choose(fixed(List.of(socks, a, b)), uri).proxy().getHostString()).isEqualTo("a");
    assertThat(ProxyRoute.choose(fixed(List.of(Proxy.NO_PROXY, a)), uri).isDirect()).isTrue();
    assertThat(ProxyRoute.choose(fixed(List.of()), uri).isDirect()).isTrue();
    assertThat(ProxyRoute.choose(ProxySelector.of(null), uri).isDirect()).isTrue();
    assertThatThrownBy(() -> ProxyRoute.choose(fixed(List.of(socks)), uri)).isInstanceOf(ProxyException.class)
        .matches(e -> ((ProxyException) e).terminal());
  }

  @Test
  void tyrusGetsTheProxyAsAnHttpUriAndAConnectNamesTheDefaultPort() {
    assertThat(ROUTE.proxyUri()).isEqualTo("http://proxy.corp:3128");
    assertThat(new ProxyRoute(new InetSocketAddress("::1", 8), URI.create("http://h/"), null).proxyUri())
        .isEqualTo("http://[0:0:0:0:0:0:0:1]:8");
    assertThat(ProxyTunnel.authority(URI.create("wss://chat.example.com/im"))).isEqualTo("chat.example.com:443");
    assertThat(ProxyTunnel.authority(URI.create("ws://chat.example.com/im"))).isEqualTo("chat.example.com:80");
    assertThat(ProxyTunnel.authority(URI.create("ws://[::1]:9/im"))).isEqualTo("[::1]:9");
  }

  @Test
  void theProxysAnswerIsParsedWithItsChallenges() throws IOException {
    ProxyTunnel.Answer a = ProxyTunnel.parse("HTTP/1.0 407 Proxy Authentication Required\r\nServer: tinyproxy/1.11.1\r\n"
        + "proxy-authenticate: Basic realm=\"Tinyproxy\"\r\n\r\n");
    assertThat(a.status()).isEqualTo(407);
    assertThat(a.statusLine()).isEqualTo("HTTP/1.0 407 Proxy Authentication Required");
    assertThat(a.challenges()).containsExactly("Basic realm=\"Tinyproxy\"");
    assertThat(a.established()).isFalse();
    assertThat(ProxyTunnel.parse("HTTP/1.1 200 Connection established\r\n\r\n").established()).isTrue();
    assertThatThrownBy(() -> ProxyTunnel.parse("SSH-2.0-OpenSSH\r\n")).isInstanceOf(IOException.class)
        .hasMessage("not an HTTP answer to CONNECT: 'SSH-2.0-OpenSSH'");
    assertThatThrownBy(() -> ProxyTunnel.parse("")).hasMessage("not an HTTP answer to CONNECT: ''");
  }

  @Test
  void onlyABasicChallengeIsAnsweredAndItsRealmIsThePrompt() throws Exception {
    assertThat(ProxyAccess.basicRealm(ROUTE, answer("Negotiate", "Basic realm=\"Corp \\\"HQ\\\"\", charset=\"UTF-8\"")))
        .isEqualTo("Corp \"HQ\"");
    assertThat(ProxyAccess.basicRealm(ROUTE, answer("basic realm=corp"))).isEqualTo("corp");
    assertThat(ProxyAccess.basicRealm(ROUTE, answer())).isNull();
    assertThatThrownBy(() -> ProxyAccess.basicRealm(ROUTE, answer("Negotiate", "NTLM")))
        .isInstanceOf(ProxyException.class)
        .hasMessage("proxy proxy.corp:3128 asks for Negotiate, NTLM authentication (HTTP/1.1 407 x);"
            + " only Basic is supported; not reconnecting");
  }

  @Test
  void basicCredentialsAreUtf8AndTheAuthenticatorsPasswordIsLeftAlone() {
    char[] password = "pässword".toCharArray();
    PasswordAuthentication credentials = new PasswordAuthentication("zoë", password);
    assertThat(ProxyAccess.basic(credentials)).isEqualTo("Basic em/Dqzpww6Rzc3dvcmQ=");
    assertThat(credentials.getPassword()).containsExactly("pässword".toCharArray());
  }

  private static ProxyTunnel.Answer answer(String... challenges) {
    return new ProxyTunnel.Answer(407, "HTTP/1.1 407 x", List.of(challenges));
  }

  private static ProxySelector fixed(List<Proxy> answer) {
    return new ProxySelector() {
      @Override
      public List<Proxy> select(URI uri) {
        return answer;
      }

      @Override
      public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
    };
  }
}

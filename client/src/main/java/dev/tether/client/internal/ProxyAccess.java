package dev.tether.client.internal;

import java.io.IOException;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MalformedURLException;
import java.net.PasswordAuthentication;
import java.net.URI;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One client's way through its HTTP proxies: which {@code Proxy-Authorization} to send to each, and
 * whether the proxy is known to let us through.
 *
 * <p>Before the first attempt through a proxy, and after any attempt through it failed, the proxy
 * is {@linkplain ProxyTunnel#probe probed} with a {@code CONNECT} of our own. A 407 asks the
 * authenticator ({@link Authenticator.RequestorType#PROXY}, with the proxy's realm) once and tries
 * again with Basic credentials; the credentials that worked are kept for later attempts, so the
 * authenticator is asked again only when the proxy stops taking them. No credentials, refused
 * credentials, a scheme other than Basic or another final 4xx answer is a terminal
 * {@link ProxyException}; a 5xx (the proxy cannot reach the server) or an unreachable proxy is a
 * retryable one. While the proxy is known to let us through, attempts go to the container without
 * a probe: one extra tunnel per first attempt and per failure, none per reconnect that works.
 *
 * <p>Thread-safe: a timed-out attempt may still be probing while the next one starts. The
 * authenticator is called on a {@code tether-io} thread, never under a lock of ours.
 */
final class ProxyAccess {
  private static final Pattern REALM = Pattern.compile("realm\\s*=\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^\\s,]+))",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern TYRUS_PROXY_ERROR = Pattern.compile("Proxy error\\. (\\d{3})");

  /** What we send to a proxy, and whether it let us through since its last failure. */
  private record Pass(String authorization, boolean proven) {}

  private final Authenticator authenticator;
  private final int timeoutMillis;
  /** By proxy address. An absent entry means: no credentials yet, not proven. */
  private final Map<InetSocketAddress, Pass> passes = new ConcurrentHashMap<>();

  /**
   * @param authenticator asked on a 407; null for the JVM's default at that moment
   * @param timeoutMillis for each probe's connect and answer
   */
  ProxyAccess(Authenticator authenticator, int timeoutMillis) {
    this.authenticator = authenticator;
    this.timeoutMillis = timeoutMillis;
  }

  /**
   * The {@code Proxy-Authorization} to tunnel to {@code uri} through {@code route}, null for none,
   * once the proxy is known to let us through.
   *
   * @throws ProxyException if it does not, or cannot be reached
   */
  String authorization(ProxyRoute route, URI uri) throws ProxyException {
    Pass pass = passes.get(route.proxy());
    if (pass != null && pass.proven()) {
      return pass.authorization();
    }
    String sent = pass == null ? null : pass.authorization();
    String target = ProxyTunnel.authority(uri);
    ProxyTunnel.Answer answer = probe(route, target, sent);
    if (answer.status() == 407 || (answer.status() == 401 && sent != null)) {
      String realm = basicRealm(route, answer);
      PasswordAuthentication credentials = ask(route, uri, realm);
      if (credentials == null) {
        throw new ProxyException(route + " requires authentication (" + answer.statusLine()
            + (realm == null ? "" : ", realm \"" + realm + "\"") + ") and no credentials were given:"
            + " set .proxyAuthenticator(..) (or Authenticator.setDefault(..)); not reconnecting",
            answer.status(), true, null);
      }
      String fresh = basic(credentials);
      if (fresh.equals(sent)) {
        passes.remove(route.proxy());
        throw refused(route, answer, "refused the credentials for user '" + credentials.getUserName() + "'");
      }
      answer = probe(route, target, fresh);
      if (answer.status() == 407 || answer.status() == 401) {
        passes.remove(route.proxy());
        throw refused(route, answer, "refused the credentials for user '" + credentials.getUserName() + "'");
      }
      sent = fresh;
    }
    if (!answer.established()) {
      int status = answer.status();
      boolean terminal = status >= 400 && status < 500 && status != 408 && status != 429;
      throw new ProxyException(route + " answered CONNECT " + target + " with " + answer.statusLine()
          + (terminal ? "; not reconnecting" : ""), status, terminal, null);
    }
    passes.put(route.proxy(), new Pass(sent, true));
    return sent;
  }

  /**
   * An attempt through {@code route} failed after {@link #authorization}: probe again next time.
   * Returns the failure to report: Tyrus's "Proxy error. 407" and the like, named for the proxy.
   */
  Exception failed(ProxyRoute route, Exception failure) {
    Pass pass = passes.get(route.proxy());
    if (pass != null) {
      passes.put(route.proxy(), new Pass(pass.authorization(), false));
    }
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      Matcher m = t.getMessage() == null ? null : TYRUS_PROXY_ERROR.matcher(t.getMessage());
      if (m != null && m.find()) {
        return new ProxyException(route + " refused the tunnel: " + t.getMessage(),
            Integer.parseInt(m.group(1)), false, failure);
      }
    }
    return failure;
  }

  private ProxyTunnel.Answer probe(ProxyRoute route, String target, String authorization) throws ProxyException {
    try {
      return ProxyTunnel.probe(route.proxy(), target, authorization, timeoutMillis);
    } catch (IOException e) {
      route.connectFailed(e);
      throw new ProxyException("cannot reach " + route + ": " + e, -1, false, e);
    }
  }

  private static ProxyException refused(ProxyRoute route, ProxyTunnel.Answer answer, String what) {
    return new ProxyException(route + " " + what + " (" + answer.statusLine() + "); not reconnecting",
        answer.status(), true, null);
  }

  /**
   * The realm of the proxy's Basic challenge, null if it names none.
   *
   * @throws ProxyException if it offers only schemes other than Basic
   */
  static String basicRealm(ProxyRoute route, ProxyTunnel.Answer answer) throws ProxyException {
    List<String> challenges = answer.challenges();
    if (challenges.isEmpty()) {
      return null; // no challenge at all: Basic is the only thing worth trying
    }
    for (String challenge : challenges) {
      if (challenge.toLowerCase(Locale.ROOT).startsWith("basic")) {
        Matcher m = REALM.matcher(challenge);
        return !m.find() ? null : m.group(1) != null ? m.group(1).replaceAll("\\\\(.)", "$1") : m.group(2);
      }
    }
    throw new ProxyException(route + " asks for " + String.join(", ", challenges)
        + " authentication (" + answer.statusLine() + "); only Basic is supported; not reconnecting",
        answer.status(), true, null);
  }

  private PasswordAuthentication ask(ProxyRoute route, URI uri, String realm) {
    InetSocketAddress proxy = route.proxy();
    InetAddress address = proxy.isUnresolved() ? null : proxy.getAddress();
    URL url = url(route.asked());
    String host = proxy.getHostString();
    if (authenticator != null) {
      return authenticator.requestPasswordAuthenticationInstance(host, address, proxy.getPort(), "http", realm,
          "Basic", url, Authenticator.RequestorType.PROXY);
    }
    return Authenticator.requestPasswordAuthentication(host, address, proxy.getPort(), "http", realm, "Basic",
        url, Authenticator.RequestorType.PROXY);
  }

  private static URL url(URI asked) {
    try {
      return asked.toURL();
    } catch (MalformedURLException | IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * {@code Basic base64(user:password)}, UTF-8, as RFC 7617 recommends. Our copies are wiped; the
   * password array is the authenticator's and left alone.
   */
  static String basic(PasswordAuthentication credentials) {
    char[] password = credentials.getPassword();
    CharBuffer chars = CharBuffer.allocate(credentials.getUserName().length() + 1 + password.length);
    chars.put(credentials.getUserName()).put(':').put(password).flip();
    ByteBuffer bytes = StandardCharsets.UTF_8.encode(chars);
    byte[] raw = new byte[bytes.remaining()];
    bytes.get(raw);
    String header = "Basic " + Base64.getEncoder().encodeToString(raw);
    Arrays.fill(raw, (byte) 0);
    Arrays.fill(chars.array(), '\0');
    return header;
  }
}

package dev.tether.client.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Where one attempt goes: straight to the server, or through an HTTP proxy's {@code CONNECT}
 * tunnel. A {@link ProxySelector} is asked with the {@code http}/{@code https} form of the
 * {@code ws}/{@code wss} URI, as the JDK's own WebSocket client does: the JDK's selectors (system
 * properties, {@code ProxySelector.of(..)}) answer {@code DIRECT} for any other scheme.
 *
 * @param proxy the proxy's address, possibly unresolved; null for a direct connection
 * @param asked the URI the selector was asked with
 * @param selector who chose, told by {@link #connectFailed} when the proxy cannot be reached
 */
record ProxyRoute(InetSocketAddress proxy, URI asked, ProxySelector selector) {
  static ProxyRoute direct(URI asked) {
    return new ProxyRoute(null, asked, null);
  }

  boolean isDirect() {
    return proxy == null;
  }

  /**
   * The first HTTP proxy the selector names for {@code uri}, or a direct route if it names none.
   * A {@code DIRECT} answer ahead of every HTTP proxy means direct.
   *
   * @throws ProxyException (terminal) if the selector names only SOCKS proxies, which the default
   *     container cannot use, or fails
   */
  static ProxyRoute choose(ProxySelector selector, URI uri) throws ProxyException {
    URI asked = httpForm(uri);
    List<Proxy> answer;
    try {
      answer = selector.select(asked);
    } catch (RuntimeException e) {
      throw new ProxyException("the proxy selector failed for " + HandshakeFailures.redacted(asked) + ": " + e
          + "; not reconnecting", -1, true, e);
    }
    Proxy socks = null;
    for (Proxy p : answer == null ? List.<Proxy>of() : answer) {
      if (p == null || p.type() == Proxy.Type.DIRECT) {
        return direct(asked);
      }
      if (p.type() == Proxy.Type.HTTP && p.address() instanceof InetSocketAddress address) {
        return new ProxyRoute(address, asked, selector);
      }
      socks = p;
    }
    if (socks != null) {
      throw new ProxyException("the proxy selector chose a SOCKS proxy (" + socks.address() + ") for "
          + HandshakeFailures.redacted(asked) + "; only HTTP proxies (CONNECT) are supported; not reconnecting",
          -1, true, null);
    }
    return direct(asked);
  }

  /** {@code ws://h:p/x?q} as {@code http://h:p/x?q}, {@code wss} as {@code https}. */
  static URI httpForm(URI uri) {
    String scheme = "wss".equals(uri.getScheme().toLowerCase(Locale.ROOT)) ? "https" : "http";
    return URI.create(scheme + uri.toString().substring(uri.getScheme().length()));
  }

  /** The proxy as Tyrus's {@code PROXY_URI} property wants it: {@code http://host:port}. */
  String proxyUri() {
    String host = proxy.getHostString();
    return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + proxy.getPort();
  }

  /** Tells the selector the proxy could not be reached, so that one that keeps a list can move on. */
  void connectFailed(IOException e) {
    if (selector == null) {
      return;
    }
    try {
      SocketAddress address = proxy;
      selector.connectFailed(asked, address, e);
    } catch (RuntimeException ignored) {
      // a selector's bookkeeping must not change what the attempt reports
    }
  }

  @Override
  public String toString() {
    return isDirect() ? "direct" : "proxy " + proxy.getHostString() + ":" + proxy.getPort();
  }
}

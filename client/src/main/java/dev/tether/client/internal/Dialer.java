package dev.tether.client.internal;

import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.WebSocketContainer;
import java.net.ProxySelector;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * Makes one client's connection attempts: picks the container and the route for each and runs the
 * opening handshake. With the container the user gave, that is all. With the default (Tyrus)
 * container, the {@link ProxySelector} is asked before every attempt (so a selector that changes
 * its mind, or {@code ProxySelector.setDefault}, takes effect on the next attempt); a proxy is
 * reached through {@link ProxyAccess} and a Tyrus container configured for it.
 *
 * <p>Immutable but for its {@link ProxyAccess}, created on first use; {@link #connect} is called on
 * {@code tether-io} threads, at most one attempt at a time except that a timed-out one may still be
 * running.
 */
final class Dialer {
  /** Builds an attempt's endpoint configuration: one per attempt, to hear its response. */
  private final java.util.function.Function<Connection, ClientEndpointConfig> endpointConfig;
  /** The user's container, or the default one for direct connections. */
  private final WebSocketContainer container;
  /** True for the default Tyrus container: routes are chosen by a proxy selector. */
  private final boolean routed;
  /** Null for the JVM's default at each attempt. */
  private final ProxySelector selector;
  private final java.net.Authenticator authenticator;
  /** Created by the first attempt through a proxy (most clients never make one); guarded by this. */
  private ProxyAccess access;
  private final Duration connectTimeout;
  private final SSLContext sslContext;

  /**
   * @throws IllegalStateException if the config names a proxy or TLS setting the default container
   *     cannot apply (it is not Tyrus), or compression on Tyrus without tether-deflate
   */
  Dialer(ClientConfig config) {
    ClientConfig.Target target = config.target();
    this.connectTimeout = config.timeouts().connect();
    this.sslContext = target.sslContext();
    this.container = target.container() != null ? target.container()
        : ContainerSupport.defaultContainer(connectTimeout, sslContext);
    this.routed = target.container() == null && ContainerSupport.isTyrus(container);
    if (target.container() == null && !routed && target.proxy().configured()) {
      throw new IllegalStateException("proxy(..) and proxyAuthenticator(..) need the Tyrus client, but the default"
          + " container is " + container.getClass().getName()
          + ": configure the proxy on that container and pass it with container(..)");
    }
    this.selector = target.proxy().selector();
    this.authenticator = target.proxy().authenticator();
    List<jakarta.websocket.Extension> extensions = target.compression()
        ? List.of(ContainerSupport.permessageDeflate(container, target.maxMessageSize())) : List.of();
    Runnable beforeHandshake = ContainerSupport.beforeHandshake(container);
    List<String> offered = EndpointConfigs.offered(target.subprotocols());
    this.endpointConfig = c -> EndpointConfigs.create(target.headers(), target.headerSupplier(),
        offered, extensions, beforeHandshake, c);
  }

  /**
   * Runs one opening handshake for {@code c}, to its URI; blocks until it completes.
   *
   * @throws Exception what the container threw, or a {@link ProxyException} if the proxy was in
   *     the way
   */
  void connect(Connection c) throws Exception {
    URI uri = c.uri;
    ProxyRoute route = routed ? route(uri) : null;
    if (route == null || route.isDirect()) {
      container.connectToServer(c, endpointConfig.apply(c), uri);
      return;
    }
    ProxyAccess access = access();
    String authorization = access.authorization(route, uri);
    WebSocketContainer proxied = ContainerSupport.proxiedContainer(connectTimeout, sslContext, route, authorization);
    try {
      proxied.connectToServer(c, endpointConfig.apply(c), uri);
    } catch (Exception e) {
      throw access.failed(route, e);
    }
  }

  private synchronized ProxyAccess access() {
    if (access == null) {
      access = new ProxyAccess(authenticator, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
    }
    return access;
  }

  private ProxyRoute route(URI uri) throws ProxyException {
    ProxySelector s = selector != null ? selector : ProxySelector.getDefault();
    return s == null ? null : ProxyRoute.choose(s, uri);
  }
}

package dev.tether.server.internal;

import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLContext;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.ssl.SSLEngineConfigurator;
import org.glassfish.grizzly.strategies.WorkerThreadIOStrategy;
import org.glassfish.tyrus.container.grizzly.server.WebSocketAddOn;
import org.glassfish.tyrus.core.TyrusWebSocketEngine;
import org.glassfish.tyrus.server.TyrusServerContainer;
import org.glassfish.tyrus.spi.WebSocketEngine;

/**
 * A Tyrus server container on one Grizzly listener, built the way Tyrus's own Grizzly container is
 * (an {@link HttpServer} with Tyrus's {@link WebSocketAddOn}, worker-thread I/O, no keep-alive idle
 * timeout), plus what that one cannot do: bind a chosen address, speak TLS, and cut handshakes
 * that take too long ({@link HandshakeTimeoutAddOn}). Port 0 binds an ephemeral port (unlike
 * Tyrus's {@code Server}, where 0 means 8025).
 */
public final class GrizzlyHost extends TyrusServerContainer {
  /** Tyrus's own default: 4 MiB of payload plus frame overhead. */
  private static final int DEFAULT_INCOMING_BUFFER = 4 * 1024 * 1024 + 11;

  private final String host;
  private final SSLContext sslContext;
  private final Duration handshakeTimeout;
  private final ScheduledExecutorService timer;
  private final WebSocketEngine engine;
  private HttpServer server;
  private NetworkListener listener;
  private String contextPath = "/";

  /**
   * @param host the address to bind, such as {@code 127.0.0.1} or {@code 0.0.0.0}
   * @param sslContext null for plain ws
   * @param maxMessageSize the server's message limit: Tyrus's frame buffer is kept above it, so
   *     that every message too big is answered with 1009 by the hub rather than 1011 by Tyrus
   * @param handshakeTimeout {@link Duration#ZERO} for none
   * @param timer runs the handshake deadlines
   */
  public GrizzlyHost(String host, SSLContext sslContext, int maxMessageSize, Duration handshakeTimeout,
      ScheduledExecutorService timer) {
    super((Set<Class<?>>) null);
    this.host = host;
    this.sslContext = sslContext;
    this.handshakeTimeout = handshakeTimeout;
    this.timer = timer;
    long buffer = Math.max(DEFAULT_INCOMING_BUFFER, (long) maxMessageSize + 64 * 1024);
    this.engine = TyrusWebSocketEngine.builder(this)
        .incomingBufferSize((int) Math.min(Integer.MAX_VALUE - 8, buffer))
        .build();
  }

  @Override
  public void register(Class<?> endpointClass) throws DeploymentException {
    engine.register(endpointClass, contextPath);
  }

  @Override
  public void register(ServerEndpointConfig config) throws DeploymentException {
    engine.register(config, contextPath);
  }

  @Override
  public WebSocketEngine getWebSocketEngine() {
    return engine;
  }

  @Override
  public void start(String rootPath, int port) throws IOException, DeploymentException {
    contextPath = rootPath;
    server = new HttpServer();
    listener = new NetworkListener("tether", host, port);
    if (sslContext != null) {
      listener.setSecure(true);
      listener.setSSLEngineConfig(new SSLEngineConfigurator(sslContext, false, false, false));
    }
    server.addListener(listener);
    listener.getTransport().setIOStrategy(WorkerThreadIOStrategy.getInstance());
    listener.getKeepAlive().setIdleTimeoutInSeconds(-1);
    if (!handshakeTimeout.isZero()) {
      listener.registerAddOn(new HandshakeTimeoutAddOn(handshakeTimeout, timer));
    }
    listener.registerAddOn(new WebSocketAddOn(this, contextPath));
    try {
      server.start();
    } catch (IOException e) {
      server.shutdownNow();
      throw e;
    }
    super.start(rootPath, port);
  }

  @Override
  public int getPort() {
    return listener != null && listener.getPort() > 0 ? listener.getPort() : -1;
  }

  @Override
  public Map<String, Object> getProperties() {
    return Map.of();
  }

  @Override
  public void stop() {
    super.stop();
    if (server != null) {
      server.shutdownNow();
    }
  }
}

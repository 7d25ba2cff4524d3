package dev.tether.stub.internal;

import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
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
 * A Tyrus server container on a Grizzly listener that speaks TLS, for {@code wss://}. Tyrus's own
 * Grizzly container has no TLS setting, so this builds the same stack (an {@link HttpServer} with
 * Tyrus's {@link WebSocketAddOn}) on a secure listener bound to loopback.
 */
public final class TlsServerContainer extends TyrusServerContainer {
  private final SSLContext sslContext;
  private final WebSocketEngine engine;
  private HttpServer server;
  private NetworkListener listener;
  private String contextPath = "/";

  public TlsServerContainer(SSLContext sslContext, int incomingBufferSize) {
    super((Set<Class<?>>) null);
    this.sslContext = sslContext;
    this.engine = TyrusWebSocketEngine.builder(this).incomingBufferSize(incomingBufferSize).build();
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
    listener = new NetworkListener("tether-tls", "127.0.0.1", port);
    listener.setSecure(true);
    listener.setSSLEngineConfig(new SSLEngineConfigurator(sslContext, false, false, false));
    server.addListener(listener);
    listener.getTransport().setIOStrategy(WorkerThreadIOStrategy.getInstance());
    listener.getKeepAlive().setIdleTimeoutInSeconds(-1);
    listener.registerAddOn(new WebSocketAddOn(this, contextPath));
    server.start();
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

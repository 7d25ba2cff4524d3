package dev.tether.server.internal;

import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.glassfish.grizzly.http.server.CLStaticHttpHandler;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;
import org.glassfish.grizzly.http.util.Header;
import org.glassfish.grizzly.http.util.MimeType;
import org.glassfish.grizzly.http.server.StaticHttpHandler;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.ssl.SSLEngineConfigurator;
import org.glassfish.grizzly.nio.transport.TCPNIOTransport;
import org.glassfish.grizzly.strategies.WorkerThreadIOStrategy;
import org.glassfish.grizzly.threadpool.ThreadPoolConfig;
import org.glassfish.tyrus.container.grizzly.server.WebSocketAddOn;
import org.glassfish.tyrus.core.TyrusWebSocketEngine;
import org.glassfish.tyrus.server.TyrusServerContainer;
import org.glassfish.tyrus.spi.WebSocketEngine;

/**
 * A Tyrus server container on one Grizzly listener, built the way Tyrus's own Grizzly container is
 * (an {@link HttpServer} with Tyrus's {@link WebSocketAddOn}, worker-thread I/O, no keep-alive idle
 * timeout), plus what that one cannot do: bind a chosen address, speak TLS, and cut handshakes
 * that take too long ({@link HandshakeTimeoutAddOn}), and serve static files beside the endpoint
 * ({@link StaticContent}). Port 0 binds an ephemeral port (unlike
 * Tyrus's {@code Server}, where 0 means 8025); a fixed port that is busy is retried for up to
 * 10 s ({@link BindRetry}), so that a server restarted on the port it just released comes up.
 *
 * <p>Threads, per host, all daemon, named {@code tether-listen-N-*}, ended by {@link #stop()}:
 * {@code 2 × cores} workers ({@code -worker(i)}, Tyrus runs the endpoint on them), {@code cores + 1}
 * selectors ({@code -kernel(i)}, one accepts), one timer of Grizzly's ({@code -0}), and Tyrus's
 * session timers ({@code -tyrus-timer-i}, at most two, started when first needed). Tyrus's pool for
 * streamed messages ({@code -tyrus-i}) is started only if an endpoint streams, which Tether's does
 * not. None per connection. Thread-safe.
 */
public final class GrizzlyHost extends TyrusServerContainer {
  /** Tyrus's own default: 4 MiB of payload plus frame overhead. */
  private static final int DEFAULT_INCOMING_BUFFER = 4 * 1024 * 1024 + 11;
  private static final AtomicInteger HOSTS = new AtomicInteger();

  private final String host;
  private final SSLContext sslContext;
  private final Duration handshakeTimeout;
  private final ScheduledExecutorService timer;
  private final WebSocketEngine engine;
  private final BindRetry bindRetry;
  private final String name;
  private final Object executorsLock = new Object();
  /** Tyrus's pool for streamed messages; guarded by executorsLock. */
  private ExecutorService executor;
  /** Tyrus's session timers; guarded by executorsLock. */
  private ScheduledExecutorService scheduler;
  /** Guarded by this. */
  private HttpServer server;
  /** Guarded by this. */
  private NetworkListener listener;
  /** The listener's transport's selectors; guarded by this. */
  private GrizzlySelectors selectors;
  /** Guarded by this. */
  private String contextPath = "/";
  /** Served over HTTP GET beside the endpoint; null for none. Guarded by this. */
  private StaticContent content;

  /**
   * A host for {@code endpoint}, started on {@code port}; stopped again if it cannot start.
   *
   * @param what what is starting, for the error: {@code "listen on 127.0.0.1:8025"}
   * @throws UncheckedIOException if the port cannot be bound (naming the cause) or the endpoint
   *     cannot be deployed
   */
  public static GrizzlyHost start(String host, SSLContext sslContext, int maxMessageSize, Duration handshakeTimeout,
      ScheduledExecutorService timer, ServerEndpointConfig endpoint, int port, String what) {
    return start(host, sslContext, maxMessageSize, handshakeTimeout, timer, endpoint, null, port, what);
  }

  /**
   * As {@link #start(String, SSLContext, int, Duration, ScheduledExecutorService, ServerEndpointConfig, int,
   * String)}, also serving {@code content} over HTTP GET; null for none.
   */
  public static GrizzlyHost start(String host, SSLContext sslContext, int maxMessageSize, Duration handshakeTimeout,
      ScheduledExecutorService timer, ServerEndpointConfig endpoint, StaticContent content, int port, String what) {
    GrizzlyHost container = new GrizzlyHost(host, sslContext, maxMessageSize, handshakeTimeout, timer);
    synchronized (container) {
      container.content = content;
    }
    try {
      container.addEndpoint(endpoint);
      container.start("/", port);
      return container;
    } catch (IOException | DeploymentException e) {
      try {
        container.stop();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new UncheckedIOException("cannot " + what + ": " + e.getMessage(),
          e instanceof IOException io ? io : new IOException(e));
    }
  }

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
    this.bindRetry = BindRetry.system();
    this.name = "tether-listen-" + HOSTS.incrementAndGet();
    long buffer = Math.max(DEFAULT_INCOMING_BUFFER, (long) maxMessageSize + 64 * 1024);
    this.engine = TyrusWebSocketEngine.builder(this)
        .incomingBufferSize((int) Math.min(Integer.MAX_VALUE - 8, buffer))
        .build();
  }

  @Override
  public synchronized void register(Class<?> endpointClass) throws DeploymentException {
    engine.register(endpointClass, contextPath);
  }

  @Override
  public synchronized void register(ServerEndpointConfig config) throws DeploymentException {
    engine.register(config, contextPath);
  }

  @Override
  public WebSocketEngine getWebSocketEngine() {
    return engine;
  }

  /** Binds and starts; a busy fixed port is retried for up to 10 s before this throws. */
  @Override
  public synchronized void start(String rootPath, int port) throws IOException, DeploymentException {
    contextPath = rootPath;
    GrizzlyLogs.quietStartAndStop();
    bindRetry.run(port, () -> startOnce(port));
    super.start(rootPath, port);
  }

  /** Requires the monitor. */
  private void startOnce(int port) throws IOException {
    server = new HttpServer();
    server.getServerConfiguration().setName(name);
    listener = new NetworkListener("tether", host, port);
    if (sslContext != null) {
      listener.setSecure(true);
      listener.setSSLEngineConfig(new SSLEngineConfigurator(sslContext, false, false, false));
    }
    server.addListener(listener);
    TCPNIOTransport transport = listener.getTransport();
    selectors = new GrizzlySelectors(transport);
    transport.setNIOChannelDistributor(selectors);
    transport.setIOStrategy(WorkerThreadIOStrategy.getInstance());
    int cores = Runtime.getRuntime().availableProcessors();
    transport.setWorkerThreadPoolConfig(ThreadPoolConfig.defaultConfig().copy()
        .setPoolName(name + "-worker").setCorePoolSize(2 * cores).setMaxPoolSize(2 * cores).setDaemon(true));
    transport.setSelectorRunnersCount(cores + 1);
    transport.setKernelThreadPoolConfig(ThreadPoolConfig.defaultConfig().copy()
        .setPoolName(name + "-kernel").setCorePoolSize(cores + 1).setMaxPoolSize(cores + 1).setDaemon(true));
    listener.getKeepAlive().setIdleTimeoutInSeconds(-1);
    if (!handshakeTimeout.isZero()) {
      listener.registerAddOn(new HandshakeTimeoutAddOn(handshakeTimeout, timer));
    }
    listener.registerAddOn(new WebSocketAddOn(this, contextPath));
    if (content != null) {
      // Upgrades never reach it: Tyrus's filter takes them first.
      server.getServerConfiguration().addHttpHandler(handler(content), "/");
    }
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      shutdownNow();
      throw e;
    }
  }

  private static HttpHandler handler(StaticContent content) {
    return new Typed(content.directory() != null
        ? new StaticHttpHandler(content.directory().toAbsolutePath().toString())
        : new CLStaticHttpHandler(content.loader(), content.folder()));
  }

  /**
   * Grizzly's static handlers, with a {@code Content-Type} that names UTF-8 for text (theirs names
   * no charset) and {@code nosniff}, so that a browser takes a file for nothing but what it is.
   */
  private static final class Typed extends HttpHandler {
    private final HttpHandler files;

    Typed(HttpHandler files) {
      this.files = files;
    }

    @Override
    public void service(Request request, Response response) throws Exception {
      String path;
      try {
        path = request.getDecodedRequestURI();
      } catch (CharConversionException e) {
        response.sendError(400); // bad escapes, or a path above the root
        return;
      }
      String type = MimeType.getByFilename(path.endsWith("/") ? path + "index.html" : path);
      if (type != null) {
        boolean text = type.startsWith("text/") || type.endsWith("javascript") || type.endsWith("json");
        response.setHeader(Header.ContentType, text ? type + ";charset=utf-8" : type);
      }
      response.setHeader("X-Content-Type-Options", "nosniff");
      files.service(request, response);
    }
  }

  /** Requires the monitor. */
  private void shutdownNow() {
    HttpServer s = server;
    selectors.shutdownAndRelease(s::shutdownNow);
  }

  @Override
  public synchronized int getPort() {
    return listener != null && listener.getPort() > 0 ? listener.getPort() : -1;
  }

  @Override
  public Map<String, Object> getProperties() {
    return Map.of();
  }

  /** Tyrus's executor for streamed messages, named as ours; Tyrus would start {@code tyrus-N-thread-M}. */
  @Override
  public ExecutorService getExecutorService() {
    synchronized (executorsLock) {
      if (executor == null) {
        executor = Executors.newCachedThreadPool(daemon(name + "-tyrus-"));
      }
      return executor;
    }
  }

  /** Tyrus's session timers (idle timeouts), named as ours; Tyrus's own would keep ten threads. */
  @Override
  public ScheduledExecutorService getScheduledExecutorService() {
    synchronized (executorsLock) {
      if (scheduler == null) {
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(2, daemon(name + "-tyrus-timer-"));
        timers.setRemoveOnCancelPolicy(true);
        scheduler = timers;
      }
      return scheduler;
    }
  }

  @Override
  public void shutdown() {
    super.shutdown();
    synchronized (executorsLock) {
      if (executor != null) {
        executor.shutdown();
        executor = null;
      }
      if (scheduler != null) {
        scheduler.shutdownNow();
        scheduler = null;
      }
    }
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Stops listening and ends the threads; the port and every connection's socket are released
   * when this returns (see {@link GrizzlySelectors}).
   */
  @Override
  public synchronized void stop() {
    super.stop();
    if (server != null) {
      shutdownNow();
    }
  }
}

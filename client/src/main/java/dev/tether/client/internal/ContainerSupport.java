package dev.tether.client.internal;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Extension;
import jakarta.websocket.ContainerProvider;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.Session;
import jakarta.websocket.WebSocketContainer;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the client needs from a JSR-356 container beyond the standard API. Everything works on any
 * container; when the container is Tyrus, a few Tyrus-only settings make it lighter and faster:
 * <ul>
 *   <li>the shared Grizzly transport ({@code sharedContainer}): without it Tyrus starts 3 threads per
 *       connection; its worker pool bounded to a few threads per core;
 *   <li>a handshake timeout equal to our connect timeout, so a blocked connect frees its thread;
 *   <li>{@code maxIdleTimeout -1}: Tyrus 2.2.2 otherwise schedules an idle-timeout task per frame;
 *   <li>a real TCP abort of a dead connection, where the standard API can only send a close frame;
 *   <li>an HTTP proxy ({@code PROXY_URI}, and {@code PROXY_HEADERS} for its credentials): one
 *       container per proxy on the same shared transport;
 *   <li>permessage-deflate through Tether's own Tyrus extension ({@code tether-deflate}).
 * </ul>
 */
final class ContainerSupport {
  private static final Logger log = LoggerFactory.getLogger(ContainerSupport.class);
  private static final String TYRUS_SHARED_CONTAINER = "org.glassfish.tyrus.client.sharedContainer";
  private static final String TYRUS_HANDSHAKE_TIMEOUT =
      "org.glassfish.tyrus.client.ClientManager.ContainerTimeout";
  private static final String TYRUS_SHARED_IDLE_TIMEOUT =
      "org.glassfish.tyrus.client.sharedContainerIdleTimeout";

  private static final String TYRUS_WORKER_POOL = "org.glassfish.tyrus.client.workerThreadPoolConfig";
  private static final String TYRUS_SSL_ENGINE_CONFIGURATOR = "org.glassfish.tyrus.client.sslEngineConfigurator";
  private static final String TYRUS_SSL_CONFIGURATOR_CLASS = "org.glassfish.tyrus.client.SslEngineConfigurator";
  private static final String TETHER_DEFLATE = "dev.tether.deflate.PerMessageDeflate";
  private static final String PER_MESSAGE_DEFLATE = "permessage-deflate";
  private static final String TYRUS_PROXY_URI = "org.glassfish.tyrus.client.proxy";
  private static final String TYRUS_PROXY_HEADERS = "org.glassfish.tyrus.client.proxy.headers";

  /**
   * What a default container is configured with.
   *
   * @param proxyUri Tyrus's {@code PROXY_URI}, {@code http://host:port}; null for none
   * @param proxyAuthorization the {@code Proxy-Authorization} value of the CONNECT; null for none
   */
  private record Settings(long connectTimeoutMillis, SSLContext sslContext, String proxyUri, String proxyAuthorization) {
    @Override
    public String toString() {
      return "Settings[" + connectTimeoutMillis + " ms, " + sslContext + ", " + proxyUri
          + (proxyAuthorization == null ? "" : ", with proxy credentials") + "]";
    }
  }

  /**
   * Default containers by their settings. Tyrus containers sharing one transport are cheap (a
   * property map each), so one per proxy, and per credentials of a proxy, is fine: a Tyrus
   * container reads its proxy only from its own properties, and changing one container's
   * properties before each connect would race with connects on other threads.
   */
  private static final Map<Settings, WebSocketContainer> DEFAULTS = new ConcurrentHashMap<>();

  private ContainerSupport() {}

  /**
   * The container used when the builder was given none, for a direct connection.
   *
   * @param sslContext for wss, null for the JVM's default; needs Tyrus, which has a setting for it
   * @throws IllegalStateException if {@code sslContext} is set and the default container is not Tyrus
   */
  static WebSocketContainer defaultContainer(Duration connectTimeout, SSLContext sslContext) {
    return DEFAULTS.computeIfAbsent(new Settings(connectTimeout.toMillis(), sslContext, null, null),
        ContainerSupport::newDefault);
  }

  /**
   * As {@link #defaultContainer(Duration, SSLContext)}, connecting through an HTTP proxy's CONNECT
   * tunnel. Only for a Tyrus default container (see {@link #isTyrus}).
   *
   * @param proxyAuthorization sent with the CONNECT, null for none
   */
  static WebSocketContainer proxiedContainer(Duration connectTimeout, SSLContext sslContext, ProxyRoute route,
      String proxyAuthorization) {
    return DEFAULTS.computeIfAbsent(
        new Settings(connectTimeout.toMillis(), sslContext, route.proxyUri(), proxyAuthorization),
        ContainerSupport::newDefault);
  }

  /**
   * The container {@code ContainerProvider} finds.
   *
   * @throws IllegalStateException if there is none, naming the artifacts to add (the API's own
   *     message is "Could not find an implementation class.")
   */
  private static WebSocketContainer providedContainer() {
    try {
      return ContainerProvider.getWebSocketContainer();
    } catch (RuntimeException | ServiceConfigurationError e) {
      throw new IllegalStateException("no Jakarta WebSocket client implementation on the class path: add"
          + " org.glassfish.tyrus:tyrus-client and org.glassfish.tyrus:tyrus-container-grizzly-client (runtime"
          + " dependencies of tether-client: were they excluded?), or pass a container with .container(..)", e);
    }
  }

  private static WebSocketContainer newDefault(Settings settings) {
    long connectTimeoutMillis = settings.connectTimeoutMillis();
    WebSocketContainer container = providedContainer();
    Map<String, Object> properties = tyrusProperties(container);
    if (settings.sslContext() != null) {
      if (properties == null) {
        throw new IllegalStateException("sslContext(..) needs the Tyrus client, but the default container is "
            + container.getClass().getName() + ": configure TLS on that container and pass it with container(..)");
      }
      properties.put(TYRUS_SSL_ENGINE_CONFIGURATOR, tyrusSslConfigurator(settings.sslContext()));
    }
    if (settings.proxyUri() != null) {
      if (properties == null) {
        throw new IllegalStateException("a proxy needs the Tyrus client, but the default container is "
            + container.getClass().getName() + ": configure the proxy on that container and pass it with container(..)");
      }
      properties.put(TYRUS_PROXY_URI, settings.proxyUri());
      if (settings.proxyAuthorization() != null) {
        properties.put(TYRUS_PROXY_HEADERS, new HashMap<>(Map.of("Proxy-Authorization", settings.proxyAuthorization())));
      }
    }
    if (properties != null) {
      properties.put(TYRUS_SHARED_CONTAINER, Boolean.TRUE);
      properties.put(TYRUS_SHARED_IDLE_TIMEOUT, 10);
      Object workers = boundedGrizzlyWorkers();
      if (workers != null) {
        properties.put(TYRUS_WORKER_POOL, workers);
      }
      // Tyrus insists on an Integer. Ours fires first with a clear message; Tyrus's frees the thread.
      properties.put(TYRUS_HANDSHAKE_TIMEOUT, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis + 2000));
    }
    return container;
  }

  /**
   * A bounded worker pool for the shared Grizzly transport, whose default grows without limit
   * (one of its threads per burst of connecting clients): our callbacks never block Grizzly's
   * workers, so a few per core are enough. Null if Grizzly is not there to configure.
   */
  private static Object boundedGrizzlyWorkers() {
    int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    try {
      Class<?> config = Class.forName("org.glassfish.grizzly.threadpool.ThreadPoolConfig");
      Object pool = config.getMethod("defaultConfig").invoke(null);
      config.getMethod("setCorePoolSize", int.class).invoke(pool, threads);
      config.getMethod("setMaxPoolSize", int.class).invoke(pool, threads);
      config.getMethod("setPoolName", String.class).invoke(pool, "tether-grizzly");
      return pool;
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.debug("cannot bound the Grizzly worker pool", e);
      return null;
    }
  }

  /** Tyrus's SslEngineConfigurator in client mode; host name verification is on by default. */
  private static Object tyrusSslConfigurator(SSLContext sslContext) {
    try {
      return Class.forName(TYRUS_SSL_CONFIGURATOR_CLASS)
          .getConstructor(SSLContext.class, boolean.class, boolean.class, boolean.class)
          .newInstance(sslContext, true, false, false);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot configure TLS on Tyrus: " + e, e);
    }
  }

  /**
   * The permessage-deflate extension to offer on {@code container}: on Tyrus, Tether's own
   * ({@code dev.tether.deflate.PerMessageDeflate}, loaded by name so that this module compiles
   * against the JSR-356 API only); elsewhere a plain offer, which a container with its own
   * permessage-deflate (Jetty) takes up.
   *
   * @throws IllegalStateException if the container is Tyrus and tether-deflate is not on the class path
   */
  static Extension permessageDeflate(WebSocketContainer container, int maxMessageSize) {
    if (!isTyrus(container)) {
      return new PlainExtension(PER_MESSAGE_DEFLATE);
    }
    try {
      Class<?> deflate = Class.forName(TETHER_DEFLATE, true, ContainerSupport.class.getClassLoader());
      return (Extension) deflate.getMethod("client", int.class).invoke(null, maxMessageSize);
    } catch (ClassNotFoundException | NoClassDefFoundError e) {
      throw new IllegalStateException("compression(true) on Tyrus needs dev.tether:tether-deflate on the class path"
          + " (a runtime dependency of tether-client: was it excluded?)", e);
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalStateException("cannot load Tether's permessage-deflate for Tyrus: " + e, e);
    }
  }

  /** An extension offered by name only. */
  private record PlainExtension(String name) implements Extension {
    @Override
    public String getName() {
      return name;
    }

    @Override
    public List<Parameter> getParameters() {
      return List.of();
    }
  }

  /**
   * What to do before each handshake on {@code container}: on Tyrus, make sure a hang-up before the
   * handshake response is noticed at once ({@link TyrusHandshakeWatch}); elsewhere nothing.
   */
  static Runnable beforeHandshake(WebSocketContainer container) {
    return isTyrus(container) ? TyrusHandshakeWatch::install : () -> {};
  }

  static boolean isTyrus(WebSocketContainer container) {
    return container.getClass().getName().startsWith("org.glassfish.tyrus.");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> tyrusProperties(WebSocketContainer container) {
    if (!isTyrus(container)) {
      return null;
    }
    try {
      Method getProperties = container.getClass().getMethod("getProperties");
      return (Map<String, Object>) getProperties.invoke(container);
    } catch (ReflectiveOperationException | ClassCastException e) {
      log.debug("cannot configure Tyrus container {}", container.getClass().getName(), e);
      return null;
    }
  }

  /** Per-session settings, applied when a session opens. */
  static void configure(Session session) {
    try {
      session.setMaxIdleTimeout(isTyrusSession(session) ? -1 : 0);
    } catch (RuntimeException e) {
      log.debug("cannot set maxIdleTimeout", e);
    }
  }

  private static boolean isTyrusSession(Session session) {
    return session.getClass().getName().startsWith("org.glassfish.tyrus.");
  }

  /**
   * Ends a connection we consider dead without waiting for the peer: on Tyrus the TCP connection is
   * closed at once; on a container whose session has a public {@code abort()} (Jetty) that is
   * called; elsewhere a close frame is sent, which is all the standard API offers. Blocking; call it
   * on an I/O thread.
   */
  static void abort(Session session, RemoteEndpoint.Async remote, CloseReason reason) {
    if (isTyrusSession(session) && closeTyrusTransport(remote)) {
      return;
    }
    if (abortMethod(session)) {
      return;
    }
    closeQuietly(session, reason != null ? reason
        : new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "aborted"));
  }

  /** Calls the session's own {@code abort()} if it has one (Jetty's closes the TCP connection). */
  private static boolean abortMethod(Session session) {
    try {
      Method abort = session.getClass().getMethod("abort");
      abort.invoke(session);
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.debug("abort() failed on {}; sending a close frame instead", session.getId(), e);
      return false;
    }
  }

  /** Sends a close frame; failures are expected on a broken connection and only logged. */
  static void closeQuietly(Session session, CloseReason reason) {
    try {
      session.close(reason);
    } catch (IOException | RuntimeException e) {
      log.debug("close failed on {}", session.getId(), e);
    }
  }

  private static boolean closeTyrusTransport(RemoteEndpoint.Async remote) {
    try {
      Object webSocket = field(remote, "webSocket");
      Object protocolHandler = field(webSocket, "protocolHandler");
      Object writer = field(protocolHandler, "writer");
      if (writer instanceof AutoCloseable closeable) {
        closeable.close();
        return true;
      }
    } catch (InaccessibleObjectException e) {
      ModuleAccess.closed("abort Tyrus connections", "a close frame is sent instead", e);
    } catch (Exception e) {
      log.debug("cannot abort the Tyrus transport; sending a close frame instead", e);
    }
    return false;
  }

  private static Object field(Object target, String name) throws ReflectiveOperationException {
    for (Class<?> c = target.getClass(); c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(target);
      } catch (NoSuchFieldException e) {
        // look in the superclass
      }
    }
    throw new NoSuchFieldException(target.getClass().getName() + "." + name);
  }
}

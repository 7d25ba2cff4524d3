package dev.tether.server;

import dev.tether.server.internal.GrizzlyHost;
import dev.tether.server.internal.Hub;
import dev.tether.server.internal.HubConfig;
import dev.tether.server.internal.Limits;
import dev.tether.server.internal.Origins;
import dev.tether.server.internal.ServerAccess;
import dev.tether.server.internal.StaticContent;
import dev.tether.server.internal.Tap;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Tether IM server: the server side of PROTOCOL.md (rooms, gap-free seqs, acks, dedup, history
 * and resume) as a component you deploy, standalone or in any Jakarta WebSocket container.
 * <pre>{@code
 * TetherServer server = TetherServer.builder()
 *     .store(RoomStore.sqlite(Path.of("rooms.db")))
 *     .authenticator(Authenticator.bearerTokens(tokens::userFor))
 *     .build();
 * TetherServer.Running running = server.listen("0.0.0.0", 8025);  // standalone, on Tyrus/Grizzly
 * // or, in a servlet container: serverContainer.addEndpoint(server.endpointConfig());
 * ...
 * server.close();                                                  // 1001 to clients, store closed
 * }</pre>
 *
 * <h2>What it guarantees</h2>
 * A chat is acked only once its store has given it a seq, stored it in the room's history and
 * recorded its id for dedup (for {@link RoomStore#sqlite}: committed to disk). Every member of a
 * room gets the room's chats in seq order, without gaps while it stays a member; a member that
 * resumes gets what the history still holds and a {@code history_gap} error naming exactly what
 * it does not. A chat resent with the same id is acked again with its original seq and not fanned
 * out twice, whether or not the sender is (still) a member of the room. Every room's stream has an
 * epoch, named on chats and on join, leave and resume acks; a resume naming another epoch is told
 * so ({@code epoch_changed}) and gets the current stream from its start. A client that numbers
 * what it writes ({@code n}) has its envelopes taken in that order even if frames are lost on the
 * way ({@code out_of_order}); each connection's frames are answered in the order they came. See
 * PROTOCOL.md.
 *
 * <h2>Limits, on by default</h2>
 * Messages up to 1 MiB ({@link Builder#maxMessageSize}), 1,000 frames a second per connection
 * ({@link Builder#rateLimit}), handshakes only from the server's own origin or from non-browser
 * clients ({@link Builder#allowedOrigins}), 10,000 connections ({@link Builder#maxConnections}),
 * a member queue of 4,096 frames or 8 MiB per connection ({@link Builder#memberQueue}), handshakes
 * completed within 10 s ({@link Builder#handshakeTimeout}, standalone only), history of 10,000
 * chats or 64 MiB per room ({@link Builder#historyPerRoom}, {@link Builder#historyBytesPerRoom};
 * in memory, a quarter of the heap for all rooms together). Without an
 * {@link Builder#authenticator} anyone can connect as anyone ({@code ?user=NAME}); the server says
 * so in its log when it is built.
 *
 * <p>What that costs at most: the history as above; a member queue's bytes for each connection
 * that stops reading ({@code maxConnections × maxBytes}, 80 GiB at the defaults if every one stops
 * at once: size them to the heap), and half as much again for each connection replaying history; for {@link RoomStore#sqlite}, 64 MiB of chats waiting for the
 * disk. The message limit is the client's default, so that a Tether client never sends what a
 * default server refuses; an application that only sends chat text should lower both.
 *
 * <h2>States and threads</h2>
 * Usable once built: {@link #endpointConfig()} and {@link #listen} may be called any number of
 * times; {@link #close()} ends it for good: its listeners stop, and endpoints a container still
 * hosts refuse every handshake with 503. All methods are thread-safe. The server owns a few daemon
 * threads ({@code tether-server-N-*}: one per core for writing frames, at least two, and one
 * timer), each {@link #listen} its own ({@code tether-listen-N-*}: {@code 2 × cores} workers,
 * {@code cores + 1} selectors, up to three timers), the store its own; no thread per connection.
 * {@link #close()} releases them.
 */
public final class TetherServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TetherServer.class);

  static {
    ServerAccess.install(new ServerAccess() {
      @Override
      public Hub hub(TetherServer server) {
        return server.hub;
      }

      @Override
      public TetherServer build(Builder builder, Tap tap) {
        return builder.build(tap, false);
      }
    });
  }

  private final Hub hub;
  /** Served by {@link #listen} beside the endpoint; null for none. */
  private final StaticContent content;
  /** Guarded by this. */
  private final List<Running> running = new ArrayList<>();
  /** Every config {@link #endpointConfig()} handed out, to retire on close; guarded by this. */
  private final List<ServerEndpointConfig> issued = new ArrayList<>();
  /** Guarded by this. */
  private boolean closed;

  private TetherServer(Hub hub, StaticContent content) {
    this.hub = hub;
    this.content = content;
  }

  /** Settings for a server, with the defaults of the class comment until changed. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A config of the {@code /im} endpoint bound to this server, to add to any Jakarta WebSocket
   * {@link ServerContainer}: {@code container.addEndpoint(server.endpointConfig())}, for example
   * from a {@code ServletContextListener} or a {@code ServerApplicationConfig} in a WAR. Each call
   * returns a new config; all of them serve the same rooms. Once the server is {@linkplain #close()
   * closed}, the container keeps the endpoint (JSR-356 cannot remove one) but it admits nobody:
   * handshakes are refused with 503 "server shutting down" (on Tomcat: opened, then closed with
   * 1013), which clients retry, for example against the server of a redeployed application.
   *
   * @throws IllegalStateException if the server is closed
   */
  public synchronized ServerEndpointConfig endpointConfig() {
    checkOpen();
    ServerEndpointConfig config = hub.endpointConfig();
    issued.add(config);
    return config;
  }

  /**
   * Runs the server standalone on Tyrus and Grizzly, listening on {@code host} (such as
   * {@code "127.0.0.1"} for this machine only or {@code "0.0.0.0"} for every interface) and
   * {@code port}; 0 picks a free port. Returns once it accepts connections. A fixed port that is
   * busy is retried for up to 10 s first (a server restarted on the port it just released may
   * find it held for a moment).
   *
   * @throws IllegalArgumentException if {@code port} is not in [0, 65535]
   * @throws UncheckedIOException if the address cannot be bound
   * @throws IllegalStateException if the server is closed
   */
  public synchronized Running listen(String host, int port) {
    Objects.requireNonNull(host, "host == null");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port not in [0, 65535]: " + port);
    }
    checkOpen();
    HubConfig c = hub.config();
    ServerEndpointConfig endpoint = hub.endpointConfig();
    // The container binds the port as given (0: ephemeral); only Tyrus's Server maps 0 to 8025.
    GrizzlyHost container = GrizzlyHost.start(host, null, c.limits().maxMessageSize(), c.handshakeTimeout(),
        hub.timer(), endpoint, content, port, "listen on " + host + ":" + port);
    Running r = new Running(host, container.getPort(), container, endpoint);
    running.add(r);
    log.info("Tether server listening at {}", r.uri());
    return r;
  }

  /** The server's counters now. */
  public ServerStats stats() {
    return hub.stats();
  }

  /**
   * Closes every connection with 1001 (going away), waits briefly for them to go, stops what
   * {@link #listen} started, releases the threads and closes the store. Endpoints added to a
   * container from {@link #endpointConfig()} refuse every handshake from then on (503).
   * Idempotent.
   */
  @Override
  public void close() {
    List<Running> toClose;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toClose = List.copyOf(running);
      issued.forEach(hub::retire);
      issued.clear();
    }
    for (Running r : toClose) {
      r.close();
    }
    hub.goAway(null, Duration.ofSeconds(2));
    hub.shutdown();
    hub.config().store().close();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("closed");
    }
  }

  @Override
  public String toString() {
    return "TetherServer{" + hub.config().store() + ", " + hub.stats() + "}";
  }

  /**
   * A server listening standalone, from {@link #listen}. {@link #close()} stops listening: new
   * handshakes are refused with 503, open connections are closed with 1001 (going away) and given
   * up to two seconds to go, then the port is released. The server itself stays usable.
   */
  public final class Running implements AutoCloseable {
    private final String host;
    private final int port;
    private final GrizzlyHost container;
    private final ServerEndpointConfig endpoint;
    /** Guarded by TetherServer.this. */
    private boolean stopped;

    private Running(String host, int port, GrizzlyHost container, ServerEndpointConfig endpoint) {
      this.host = host;
      this.port = port;
      this.container = container;
      this.endpoint = endpoint;
    }

    /** {@code ws://HOST:PORT/im}; add {@code ?user=NAME} to connect as a user without an authenticator. */
    public URI uri() {
      String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
      return URI.create("ws://" + h + ":" + port + "/im");
    }

    /** The port listened on; the chosen one if {@link #listen} was given 0. */
    public int port() {
      return port;
    }

    /** Stops listening, closing this listener's connections with 1001 first. Idempotent. */
    @Override
    public void close() {
      synchronized (TetherServer.this) {
        if (stopped) {
          return;
        }
        stopped = true;
        running.remove(this);
      }
      hub.retire(endpoint);
      hub.goAway(endpoint, Duration.ofSeconds(2));
      container.stop();
      hub.closedAll(endpoint);
    }

    @Override
    public String toString() {
      return "TetherServer.Running{" + uri() + "}";
    }
  }

  /**
   * The settings of a server to build. Each setter checks its argument at once; {@link #build()}
   * copies them, so a builder can be reused. Not thread-safe.
   */
  public static final class Builder {
    /** Chats of history kept per room by default. */
    public static final int DEFAULT_HISTORY_PER_ROOM = 10_000;
    /** Bytes of history kept per room by default: 64 MiB. */
    public static final long DEFAULT_HISTORY_BYTES_PER_ROOM = RoomStore.Draft.DEFAULT_HISTORY_BYTES;
    /** The largest message by default, in bytes: 1 MiB. */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 1 << 20;
    /** Frames a connection may send a second by default. */
    public static final int DEFAULT_RATE_LIMIT = 1_000;
    /** The member queue's bound in frames by default. */
    public static final int DEFAULT_MEMBER_QUEUE_MESSAGES = 4_096;
    /** The member queue's bound in bytes by default: 8 MiB. */
    public static final long DEFAULT_MEMBER_QUEUE_BYTES = 8L << 20;
    /** The handshake timeout by default. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** Open connections allowed by default. */
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    /** How long a connection the server closes may take to go before it is aborted. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private RoomStore store;
    private int historyPerRoom = DEFAULT_HISTORY_PER_ROOM;
    private long historyBytesPerRoom = DEFAULT_HISTORY_BYTES_PER_ROOM;
    private Authenticator authenticator;
    private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
    private int rateLimit = DEFAULT_RATE_LIMIT;
    private Origins origins = Origins.SAME_ORIGIN;
    private int memberQueueMessages = DEFAULT_MEMBER_QUEUE_MESSAGES;
    private long memberQueueBytes = DEFAULT_MEMBER_QUEUE_BYTES;
    private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private boolean compression = true;
    private StaticContent content;
    /** Measures time for rate limits; a seam for tests on fake time. */
    private LongSupplier nanoTime = System::nanoTime;
    /** A seam for tests that wait for a close to give up. */
    private Duration closeTimeout = CLOSE_TIMEOUT;

    private Builder() {}

    /**
     * How long a connection the server closes (1013, 1011, 1009) may take to end before it is
     * aborted and forgotten; default 10 s. For tests.
     */
    Builder closeTimeout(Duration timeout) {
      this.closeTimeout = Objects.requireNonNull(timeout, "timeout == null");
      return this;
    }

    /** The time source of rate limits, in nanoseconds; for tests on fake time. */
    Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime == null");
      return this;
    }

    /**
     * Where rooms live; default a new {@link RoomStore#inMemory()}. The server closes the store
     * when it is closed. Give each server its own store.
     */
    public Builder store(RoomStore store) {
      this.store = Objects.requireNonNull(store, "store == null");
      return this;
    }

    /**
     * How many of each room's newest chats are kept to replay on {@code resume}; default 10,000.
     * A resume from further back is answered with a {@code history_gap} error first.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder historyPerRoom(int historyPerRoom) {
      if (historyPerRoom < 1) {
        throw new IllegalArgumentException("historyPerRoom < 1: " + historyPerRoom);
      }
      this.historyPerRoom = historyPerRoom;
      return this;
    }

    /**
     * How many bytes of each room's newest chats are kept to replay on {@code resume}, counting
     * each chat's frame as sent (UTF-8); default 64 MiB. Together with {@link #historyPerRoom} the
     * tighter of the two applies: the oldest chats go first, and the newest is kept whatever its
     * size. This is what bounds a room's history in memory ({@link RoomStore#inMemory()}, which
     * also bounds all rooms together) or on disk ({@link RoomStore#sqlite}), however large the
     * chats its members send.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder historyBytesPerRoom(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("historyBytesPerRoom < 1: " + bytes);
      }
      this.historyBytesPerRoom = bytes;
      return this;
    }

    /**
     * Who a handshake belongs to; default none: the {@code user} query parameter is trusted, and
     * the server logs a warning that identities are not authenticated.
     */
    public Builder authenticator(Authenticator authenticator) {
      this.authenticator = Objects.requireNonNull(authenticator, "authenticator == null");
      return this;
    }

    /**
     * The largest message a client may send, in bytes: a text message's UTF-8 length or a binary
     * message's length, fragments of one message together; default 1 MiB, the Tether client's
     * default (clients do not reconnect after a 1009, so a server below its clients' limit
     * disconnects them for good). A larger one is not processed: the connection is closed with
     * 1009. Chat text rarely needs more than 64 KiB: lower it, and the clients', if that is all
     * your application sends.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder maxMessageSize(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxMessageSize < 1: " + bytes);
      }
      this.maxMessageSize = bytes;
      return this;
    }

    /**
     * Frames (text or binary) each connection may send a second, with bursts of up to as many;
     * default 1,000; 0 for no limit. A frame over the limit is answered with an {@code error}
     * {@code rate_limited} naming its id, its sender counter and when to retry ({@code retry_after},
     * milliseconds), and is neither processed nor taken; the connection stays open.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder rateLimit(int messagesPerSecond) {
      if (messagesPerSecond < 0) {
        throw new IllegalArgumentException("rateLimit < 0: " + messagesPerSecond);
      }
      this.rateLimit = messagesPerSecond;
      return this;
    }

    /**
     * Admits only handshakes whose {@code Origin} header is one of {@code origins}, such as
     * {@code "https://chat.example.com"} (compared ignoring case), or any with {@code "*"}. Others
     * are refused with 403. A handshake without {@code Origin} (not from a browser) is always
     * admitted: the check protects browsers from other sites' pages. Default: only pages from the
     * server's own origin (the {@code Origin}'s host and port are the {@code Host} header's; the
     * scheme is not compared).
     *
     * <p><b>Behind a reverse proxy</b> (for TLS, say) the default compares the page's origin with
     * the {@code Host} header the server receives from the proxy. A proxy that rewrites it (to the
     * backend's address, as nginx does unless told {@code proxy_set_header Host $host}) makes every
     * browser's handshake fail with 403. Either have the proxy pass the browser's {@code Host} on,
     * or list the public origins here ({@code allowedOrigins("https://chat.example.com")}).
     *
     * @throws IllegalArgumentException if no origin is given (that would refuse every browser), or
     *     one is blank
     * @throws NullPointerException if {@code origins} or one of them is null
     */
    public Builder allowedOrigins(String... origins) {
      Objects.requireNonNull(origins, "origins == null");
      if (origins.length == 0) {
        throw new IllegalArgumentException(
            "no origins: name at least one, or \"*\" for any (without any, every browser would be refused)");
      }
      Set<String> set = new LinkedHashSet<>();
      for (String origin : origins) {
        Objects.requireNonNull(origin, "origin == null");
        if (origin.isBlank()) {
          throw new IllegalArgumentException("origin is blank: '" + origin + "'");
        }
        set.add(origin);
      }
      this.origins = set.contains("*") ? Origins.ANY : Origins.of(set);
      return this;
    }

    /**
     * Bounds what the server holds for one connection that has not been sent yet: acks, echoes
     * and chats, including chats held back while it replays history; default 4,096 frames or
     * 8 MiB (text counted as its UTF-8 bytes). A resume reads the history it replays in pages of
     * at most 100 chats or {@code maxBytes / 2} bytes (one chat at least), which are not counted
     * here: a replaying connection holds at most one page besides. A connection that falls further behind (it does not read, or reads slower than its
     * rooms talk) is closed with 1013 (try again later) and counted in
     * {@link ServerStats#slowMembersClosed()}; since such a client does not take the close frame
     * either, its connection is cut 10 s later if it has not ended (standalone, in Jetty and in
     * Tomcat; in another container it is forgotten then, no longer counted against
     * {@link #maxConnections}, and left to the container's idle timeout). It comes back with
     * {@code resume} and misses nothing its rooms' history still holds. Other members are not slowed by it.
     *
     * @throws IllegalArgumentException if either is less than 1
     */
    public Builder memberQueue(int maxMessages, long maxBytes) {
      if (maxMessages < 1) {
        throw new IllegalArgumentException("memberQueue maxMessages < 1: " + maxMessages);
      }
      if (maxBytes < 1) {
        throw new IllegalArgumentException("memberQueue maxBytes < 1: " + maxBytes);
      }
      this.memberQueueMessages = maxMessages;
      this.memberQueueBytes = maxBytes;
      return this;
    }

    /**
     * How long a connection may take from being accepted to completing its WebSocket handshake
     * before it is closed (a slowloris trickling header bytes is cut); default 10 s;
     * {@link Duration#ZERO} for none. Applies to {@link TetherServer#listen}; inside another
     * container, set the container's own (Jetty: the connector's idle timeout; Tomcat:
     * {@code connectionTimeout}).
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder handshakeTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout == null");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("handshakeTimeout < 0: " + timeout);
      }
      this.handshakeTimeout = timeout;
      return this;
    }

    /**
     * How many connections may be open at once; default 10,000. A handshake beyond is refused
     * with 503 (on Tomcat: opened and closed with 1013), and clients retry later.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder maxConnections(int maxConnections) {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections < 1: " + maxConnections);
      }
      this.maxConnections = maxConnections;
      return this;
    }

    /**
     * Whether to accept permessage-deflate (RFC 7692) from clients that offer it (browsers do;
     * {@code TetherClient} does with {@code .compression(true)}); default true. With
     * {@link TetherServer#listen} (Tyrus) Tether's own extension compresses every message on its
     * own ({@code server_no_context_takeover; client_no_context_takeover}), so a connection holds
     * no zlib state between messages; it costs CPU per message sent and received on such
     * connections (see BENCHMARKS.md), and nothing on connections that did not ask. Inside Jetty
     * or Tomcat the container's own permessage-deflate is used (with its defaults, which keep
     * context per connection); false turns it off there too.
     */
    public Builder compression(boolean enabled) {
      this.compression = enabled;
      return this;
    }

    /**
     * Serves the files of {@code directory} over plain HTTP {@code GET} on every listener of
     * {@link TetherServer#listen}, on the same port as the endpoint: {@code http://HOST:PORT/}
     * serves its {@code index.html}, {@code /app.js} its {@code app.js}; paths with {@code ..}
     * and files not there get 404. A page served this way connects to {@code ws://HOST:PORT/im}
     * from the server's own origin, which {@link #allowedOrigins} admits by default. Default:
     * nothing is served but the endpoint. Inside another container, serve files with the
     * container. Replaces an earlier {@link #staticResources}.
     */
    public Builder staticFiles(Path directory) {
      this.content = StaticContent.files(directory);
      return this;
    }

    /**
     * As {@link #staticFiles}, from class-path resources of {@code loader} under {@code folder}
     * (for example {@code "com/example/web/"}), so that a page packaged in your jar is served
     * from it. Replaces an earlier {@link #staticFiles}.
     */
    public Builder staticResources(ClassLoader loader, String folder) {
      this.content = StaticContent.resources(loader, folder);
      return this;
    }

    /** A server with these settings. */
    public TetherServer build() {
      return build(Tap.NONE, true);
    }

    private TetherServer build(Tap tap, boolean warnIfAnonymous) {
      RoomStore s = store != null ? store : RoomStore.inMemory();
      HubConfig config = new HubConfig(s, historyPerRoom, historyBytesPerRoom, authenticator,
          new Limits(maxMessageSize, rateLimit, origins), memberQueueMessages, memberQueueBytes,
          maxConnections, handshakeTimeout, closeTimeout, tap, Clock.systemUTC(), nanoTime, compression);
      if (authenticator == null && warnIfAnonymous) {
        log.warn("Tether server without an authenticator: identities are not authenticated"
            + " (the 'user' query parameter is trusted); set one with TetherServer.builder().authenticator(..)");
      }
      return new TetherServer(new Hub(config), content);
    }

    @Override
    public String toString() {
      return "TetherServer.Builder{store=" + (store == null ? "in memory" : store)
          + ", historyPerRoom=" + historyPerRoom + ", historyBytesPerRoom=" + historyBytesPerRoom
          + ", maxMessageSize=" + maxMessageSize
          + ", rateLimit=" + (rateLimit == 0 ? "off" : rateLimit + "/s")
          + ", allowedOrigins=" + origins
          + ", memberQueue=" + memberQueueMessages + "/" + memberQueueBytes + " bytes"
          + ", handshakeTimeout=" + handshakeTimeout + ", maxConnections=" + maxConnections
          + ", compression=" + compression
          + (content == null ? "" : ", static=" + content)
          + (authenticator == null ? ", no authenticator" : "") + "}";
    }
  }
}

package dev.tether.stub;

import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.WireRules;
import dev.tether.server.Authenticator;
import dev.tether.server.ServerStats;
import dev.tether.server.TetherServer;
import dev.tether.server.internal.GrizzlyHost;
import dev.tether.server.internal.Hub;
import dev.tether.server.internal.MemoryRoomStore;
import dev.tether.server.internal.Peer;
import dev.tether.server.internal.ServerAccess;
import dev.tether.server.internal.Tap;
import dev.tether.stub.internal.ReceivedLog;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real WebSocket server (Tyrus on Grizzly) that speaks the Tether IM protocol of PROTOCOL.md at
 * {@code ws://127.0.0.1:PORT/im}, with tools to break connections on purpose. Use it to test clients:
 * <pre>{@code
 * try (StubServer server = StubServer.start()) {
 *   URI uri = server.uri();                  // ws://127.0.0.1:54321/im
 *   ... connect with ?user=alice ...
 *   Received r = server.takeReceived(Duration.ofSeconds(5));
 *   server.dropAllConnections();             // clients see 1006
 * }
 * }</pre>
 *
 * <h2>What it does</h2>
 * It is a {@link TetherServer} (in-memory rooms) with test-friendly limits, plus a recorder of
 * every frame it receives and switches to break connections. It echoes plain text and binary
 * frames; text frames starting with <code>{</code> are envelopes: {@code join}, {@code leave},
 * {@code resume} and {@code chat} are acked, chats are stamped with gap-free per-room seqs and
 * fanned out to the room's members, duplicates (same user and id) are acked again and not fanned
 * out, a {@code resume} replays the room's history after a seq (with a {@code history_gap} error
 * first when the history no longer reaches back that far), everything else gets an {@code error}.
 * {@link #builder()} sets the port, how much history is kept and the limits below.
 *
 * <h2>Limits</h2>
 * A message larger than {@link Builder#maxMessageSize} (1 MiB by default) closes its connection
 * with 1009; a frame over a connection's {@link Builder#rateLimit} (none by default) is answered
 * with an {@code error} {@code rate_limited} and not processed; a handshake whose {@code Origin}
 * is not in {@link Builder#allowedOrigins} (any, by default) is refused with 403. Invalid UTF-8 in
 * a text frame closes the connection with 1007 and a broken frame with 1002 (Tyrus does both).
 * Unlike a {@link TetherServer}'s defaults, there is no handshake timeout, no limit on connections
 * and no bound on what a connection that does not read makes the server hold: this is a test
 * server, not one to expose to the internet.
 *
 * <h2>States</h2>
 * Running after {@link #start}; {@link #stop()} makes it stopped (the port is released, open
 * connections end abnormally); {@link #restart()} makes it running again on the same port, keeping
 * rooms, seqs, epochs, history, dedup memory, counters and received frames; {@link #close()} ends it
 * for good: after that {@link #restart()} throws. The frame log and counters work in every state.
 *
 * <h2>Epochs</h2>
 * Each room's stream has an epoch (PROTOCOL.md, "Epochs"), sent on chats, join, leave and resume
 * acks. {@link #restart()} and {@link #dropAllConnections()} keep them: the state is kept.
 * {@link #resetState()} loses the state in place, as a crashed in-memory server does, so rooms go
 * on with new epochs; a new {@code StubServer} on the same port has new epochs too.
 *
 * <h2>Threads and cost</h2>
 * All methods are thread-safe. Each running server owns a Grizzly transport (a selector thread per
 * core plus a small worker pool) and listens on loopback ({@code 127.0.0.1}) only, so that a test
 * server is never reachable from another machine; its {@link TetherServer} owns a few
 * {@code tether-server-*} threads. Counts are bounded: at most 100,000 received frames and 64 MiB
 * of them (the log keeps each frame's text as it came and decodes it again only when
 * {@link #takeReceived} returns it, so it holds no second copy of a chat), 100,000 remembered chat
 * ids and {@link Builder#historyPerRoom} history chats per room (10,000 by
 * default), each frame up to {@link Builder#maxMessageSize}; rooms are never forgotten, so a client
 * naming ever new rooms grows the server.
 */
public final class StubServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StubServer.class);
  /** Received frames: at most this many are kept. */
  private static final int RECEIVED_CAPACITY = 100_000;
  /** Received frames: at most this much of them (text in chars) is kept. */
  private static final long RECEIVED_MAX_BYTES = ReceivedLog.DEFAULT_MAX_BYTES;

  private final TetherServer server;
  private final Hub hub;
  private final MemoryRoomStore store;
  private final ReceivedLog received;
  private final Recorder recorder;
  /** Null for plain ws. */
  private final SSLContext tls;
  /** Guarded by this; the port of the first start, reused by restarts. 0 until then. */
  private int port;
  /** Guarded by this; the address listened on ({@link Builder#host}). */
  private String host = "127.0.0.1";
  /** Guarded by this; null while stopped. */
  private GrizzlyHost container;
  /** Guarded by this; the endpoint config the running container serves; null while stopped. */
  private ServerEndpointConfig endpoint;
  /** Guarded by this. */
  private boolean closed;

  private StubServer(TetherServer server, MemoryRoomStore store, ReceivedLog received, Recorder recorder,
      SSLContext tls) {
    this.server = server;
    this.store = store;
    this.hub = ServerAccess.get().hub(server);
    this.received = received;
    this.recorder = recorder;
    this.tls = tls;
  }

  /** The stub's tap on its server: records frames, counts handshakes, refuses them on demand. */
  private static final class Recorder implements Tap {
    private final ReceivedLog received;
    private final AtomicInteger handshakes = new AtomicInteger();
    private final AtomicBoolean rejecting = new AtomicBoolean();

    Recorder(ReceivedLog received) {
      this.received = received;
    }

    @Override
    public boolean handshake() {
      handshakes.incrementAndGet();
      return !rejecting.get();
    }

    @Override
    public void frame(String user, String text, ByteBuffer binary, Envelope envelope, long n) {
      // The text as it came and whether it was an envelope: decoded again only if a test takes it.
      received.add(user, text, binary, envelope != null, n);
    }
  }

  /** Starts a server on an ephemeral loopback port with the default settings of {@link #builder()}. */
  public static StubServer start() {
    return builder().start();
  }

  /**
   * Starts a server on {@code port}; 0 picks an ephemeral port. Otherwise the settings of
   * {@link #builder()}.
   *
   * @throws IllegalArgumentException if {@code port} is not in [0, 65535]
   * @throws UncheckedIOException if the port cannot be bound
   */
  public static StubServer start(int port) {
    return builder().port(port).start();
  }

  /**
   * Settings for a server: port 0 (ephemeral), 10,000 history chats per room, messages up to 1 MiB,
   * no rate limit and any origin, until changed.
   */
  public static Builder builder() {
    return Builder.DEFAULTS;
  }

  /**
   * The settings of a server to start. Immutable: each setter validates its argument at once and
   * returns a new builder, so one builder can serve as the template of many servers:
   * <pre>{@code
   * StubServer server = StubServer.builder().historyPerRoom(5).maxMessageSize(64 * 1024).start();
   * }</pre>
   * Defaults: port 0 (ephemeral), 10,000 history chats per room, messages up to 1 MiB, no rate
   * limit, any origin.
   */
  public static final class Builder {
    static final Builder DEFAULTS = new Builder("127.0.0.1", 0, TetherServer.Builder.DEFAULT_HISTORY_PER_ROOM,
        TetherServer.Builder.DEFAULT_MAX_MESSAGE_SIZE, 0, null, null, null);

    private final String host;
    private final int port;
    private final int historyPerRoom;
    private final int maxMessageSize;
    private final int rateLimit;
    /** Lower case; null for any. */
    private final Set<String> allowedOrigins;
    private final SSLContext tls;
    private final Function<String, String> authenticator;

    private Builder(String host, int port, int historyPerRoom, int maxMessageSize, int rateLimit,
        Set<String> allowedOrigins, SSLContext tls, Function<String, String> authenticator) {
      this.host = host;
      this.port = port;
      this.historyPerRoom = historyPerRoom;
      this.maxMessageSize = maxMessageSize;
      this.rateLimit = rateLimit;
      this.allowedOrigins = allowedOrigins;
      this.tls = tls;
      this.authenticator = authenticator;
    }

    /**
     * Requires {@code Authorization: Bearer TOKEN} on every handshake; {@code userForToken} names
     * the user a token belongs to, or returns null for a token it does not accept (for example an
     * expired one). A handshake without an accepted token is refused with HTTP 401 and no session
     * opens; an accepted one connects as that user, whatever its {@code user} query parameter
     * says. The function is called on server threads and must be thread-safe; tokens are never
     * logged. Default: no authentication ({@code ?user=NAME} is trusted).
     */
    public Builder requireBearerToken(Function<String, String> userForToken) {
      Objects.requireNonNull(userForToken, "userForToken == null");
      return new Builder(host, port, historyPerRoom, maxMessageSize, rateLimit, allowedOrigins, tls, userForToken);
    }

    /**
     * Serves {@code wss://} with this TLS context (its key and certificate), bound to loopback.
     * {@link SelfSignedCertificate} makes one for tests. Default: plain {@code ws://}.
     */
    public Builder tls(SSLContext sslContext) {
      Objects.requireNonNull(sslContext, "sslContext == null");
      return new Builder(host, port, historyPerRoom, maxMessageSize, rateLimit, allowedOrigins, sslContext, authenticator);
    }

    /**
     * The port to listen on, kept across restarts; 0 (the default) picks an ephemeral port.
     *
     * @throws IllegalArgumentException if {@code port} is not in [0, 65535]
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port not in [0, 65535]: " + port);
      }
      return new Builder(host, port, historyPerRoom, maxMessageSize, rateLimit, allowedOrigins, tls, authenticator);
    }

    /**
     * How many of each room's newest chats the server keeps to replay on {@code resume}; default
     * 10,000. A resume from further back is answered with a {@code history_gap} error first (see
     * PROTOCOL.md). Memory grows with what is held, not with this bound.
     *
     * @throws IllegalArgumentException if {@code historyPerRoom} is less than 1
     */
    public Builder historyPerRoom(int historyPerRoom) {
      if (historyPerRoom < 1) {
        throw new IllegalArgumentException("historyPerRoom < 1: " + historyPerRoom);
      }
      return new Builder(host, port, historyPerRoom, maxMessageSize, rateLimit, allowedOrigins, tls, authenticator);
    }

    /**
     * The largest message a client may send, in bytes: a text message's UTF-8 length or a binary
     * message's length, fragments of one message counted together; default 1 MiB (1,048,576). A
     * larger message is not processed: the server closes the connection with 1009 (message too
     * big). The whole frame is read before it is refused, so a client can still make the server
     * buffer up to {@code max(4 MiB, maxMessageSize + 64 KiB)} per connection.
     *
     * @throws IllegalArgumentException if {@code bytes} is less than 1
     */
    public Builder maxMessageSize(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxMessageSize < 1: " + bytes);
      }
      return new Builder(host, port, historyPerRoom, bytes, rateLimit, allowedOrigins, tls, authenticator);
    }

    /**
     * Limits each connection to {@code messagesPerSecond} frames (text or binary, envelopes or not)
     * a second, with bursts of up to as many; 0 (the default) sets no limit. A frame over the limit
     * is not processed, echoed or fanned out: it is answered with an {@code error} with code
     * {@code rate_limited} naming its id and sender counter (if it is an envelope with them) and
     * {@code retry_after}, so the client learns it must send it again, and when. It is not taken,
     * so a counting client's next envelopes are refused {@code out_of_order} until it comes again
     * (PROTOCOL.md, "Sender order"). The connection stays open.
     *
     * @throws IllegalArgumentException if {@code messagesPerSecond} is negative
     */
    public Builder rateLimit(int messagesPerSecond) {
      if (messagesPerSecond < 0) {
        throw new IllegalArgumentException("rateLimit < 0: " + messagesPerSecond);
      }
      return new Builder(host, port, historyPerRoom, maxMessageSize, messagesPerSecond, allowedOrigins, tls, authenticator);
    }

    /**
     * Admits only handshakes whose {@code Origin} header is one of {@code origins}, such as
     * {@code "https://chat.example.com"} (scheme, host and port if not the default; compared
     * ignoring case); others are refused with HTTP 403 and no session opens. A handshake without
     * an {@code Origin} header is admitted: browsers always send one, and other clients can send
     * any value they like, so the check guards browsers against other sites' pages, not the server
     * against anyone. By default any origin is admitted.
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
        set.add(origin.toLowerCase(Locale.ROOT));
      }
      return new Builder(host, port, historyPerRoom, maxMessageSize, rateLimit, set, tls, authenticator);
    }

    /**
     * The address to listen on. Default {@code "127.0.0.1"}: loopback only, so a test server is
     * not reachable from other machines. {@code "0.0.0.0"} listens on every interface, for example
     * for a benchmark that spreads its clients over 127.0.0.1, 127.0.0.2, ... (a socket bound to
     * 127.0.0.1 accepts only connections to 127.0.0.1); {@link #uri()} then still names 127.0.0.1.
     *
     * @throws NullPointerException if {@code address} is null
     * @throws IllegalArgumentException if {@code address} is blank
     */
    public Builder host(String address) {
      Objects.requireNonNull(address, "address == null");
      if (address.isBlank()) {
        throw new IllegalArgumentException("host must be an address such as 127.0.0.1 or 0.0.0.0, got '" + address + "'");
      }
      return new Builder(address, port, historyPerRoom, maxMessageSize, rateLimit, allowedOrigins, tls, authenticator);
    }

    /**
     * Starts a server with these settings.
     *
     * @throws UncheckedIOException if the port cannot be bound
     */
    public StubServer start() {
      MemoryRoomStore store = new MemoryRoomStore();
      TetherServer.Builder settings = TetherServer.builder()
          .store(store)
          .historyPerRoom(historyPerRoom)
          .maxMessageSize(maxMessageSize)
          .rateLimit(rateLimit)
          .memberQueue(Integer.MAX_VALUE, Long.MAX_VALUE)
          .handshakeTimeout(Duration.ZERO)
          .maxConnections(Integer.MAX_VALUE);
      settings = allowedOrigins == null ? settings.allowedOrigins("*")
          : settings.allowedOrigins(allowedOrigins.toArray(String[]::new));
      if (authenticator != null) {
        settings = settings.authenticator(Authenticator.bearerTokens(authenticator));
      }
      ReceivedLog received = new ReceivedLog(RECEIVED_CAPACITY, RECEIVED_MAX_BYTES,
          text -> (Envelope) EnvelopeCodec.shared().decode(text));
      Recorder recorder = new Recorder(received);
      StubServer server = new StubServer(ServerAccess.get().build(settings, recorder), store, received,
          recorder, tls);
      synchronized (server) {
        server.port = port;
        server.host = host;
        try {
          server.startContainer();
        } catch (RuntimeException e) {
          server.server.close();
          throw e;
        }
      }
      return server;
    }

    @Override
    public String toString() {
      return "StubServer.Builder{" + (host.equals("127.0.0.1") ? "" : "host=" + host + ", ") + "port=" + port + ", historyPerRoom=" + historyPerRoom
          + ", maxMessageSize=" + maxMessageSize
          + ", rateLimit=" + (rateLimit == 0 ? "off" : rateLimit + "/s")
          + ", allowedOrigins=" + (allowedOrigins == null ? "any" : allowedOrigins)
          + (tls == null ? "" : ", tls") + (authenticator == null ? "" : ", bearer tokens") + "}";
    }
  }

  /** Requires the monitor. */
  private void startContainer() {
    GrizzlyHost c = new GrizzlyHost(host, tls, hub.maxMessageSize(),
        Duration.ZERO, hub.timer());
    ServerEndpointConfig e = server.endpointConfig();
    try {
      c.addEndpoint(e);
      c.start("/", port);
    } catch (IOException | DeploymentException ex) {
      try {
        c.stop();
      } catch (RuntimeException suppressed) {
        ex.addSuppressed(suppressed);
      }
      throw new UncheckedIOException("cannot start stub server on port " + port,
          ex instanceof IOException io ? io : new IOException(ex));
    }
    container = c;
    endpoint = e;
    port = c.getPort();
    log.debug("stub server listening at {}", uri());
  }

  /**
   * {@code ws://127.0.0.1:PORT/im} ({@code wss://} with {@link Builder#tls}); add
   * {@code ?user=NAME} to connect as a user.
   */
  public URI uri() {
    String h;
    synchronized (this) {
      h = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host.contains(":") ? "[" + host + "]" : host;
    }
    return URI.create((tls == null ? "ws" : "wss") + "://" + h + ":" + port() + "/im");
  }

  /** The port; the same across restarts. */
  public synchronized int port() {
    return port;
  }

  /** Whether the server is running (started or restarted, and not stopped or closed since). */
  public synchronized boolean isRunning() {
    return container != null;
  }

  /** The counters of the server underneath: connections, rooms, chats, resumes, gaps, dedup hits. */
  public ServerStats stats() {
    return server.stats();
  }

  /**
   * The number of WebSocket sessions currently open. A client may see its handshake complete a
   * moment before the server has registered the session; a test that then acts on every connection
   * ({@link #closeAll}, {@link #dropAllConnections}, {@link #sendToAll}) should first wait until this
   * count includes it. Connections dropped by {@link #dropAllConnections()} stop counting at once.
   */
  public int connectionCount() {
    return hub.connectionCount();
  }

  /**
   * Stops listening and ends every connection without a close frame (clients see 1006). The port is
   * released; {@link #restart()} takes it again. A no-op while stopped. Blocks until Tyrus has shut
   * down.
   */
  public synchronized void stop() {
    if (container == null) {
      return;
    }
    GrizzlyHost c = container;
    ServerEndpointConfig e = endpoint;
    container = null;
    endpoint = null;
    // Retired first: a session Tyrus opens while it stops is then either forgotten here or refused.
    hub.retire(e);
    c.stop();
    hub.closedAll(e);
    log.debug("stub server on port {} stopped", port);
  }

  /**
   * Stops the server if running, then starts it again on the same port. Rooms, seqs, epochs,
   * history, dedup memory, counters and the received frames are kept; memberships ended with their
   * connections. For a server that loses its state, see {@link #resetState()}.
   *
   * @throws IllegalStateException if the server was closed
   * @throws UncheckedIOException if the port cannot be bound again
   */
  public synchronized void restart() {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    stop();
    startContainer();
  }

  /**
   * Loses every room's state in place, as a crashed in-memory server would: epochs, seqs, history
   * and the dedup memory. Rooms used after this start anew, on new epochs at seq 0; a chat resent
   * with an id the server had accepted is accepted again, with a new seq. Connections stay open
   * and stay members of their rooms: a room's next chat reaches them as seq 1 of the new epoch
   * (its {@code epoch} tells a client the stream was reset), and a resume naming the old epoch is
   * answered with {@code epoch_changed} and the new stream from its start (PROTOCOL.md). For a
   * crash that also ends the connections, call {@link #dropAllConnections()} after this. The port,
   * counters and received frames are kept. Works in every state but closed.
   *
   * @throws IllegalStateException if the server was closed
   */
  public synchronized void resetState() {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    store.reset();
    log.debug("stub server on port {} lost its state", port);
  }

  /** Stops the server for good. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stop();
    server.close();
  }

  /**
   * Ends every open connection at the TCP level without a close frame, as a lost network would:
   * clients see an abnormal closure (1006). The server keeps running and accepts new connections.
   * Affects the sessions counted by {@link #connectionCount()}: a client's handshake completes a
   * moment before the server opens its session, so wait for the count if that matters.
   */
  public void dropAllConnections() {
    for (Peer peer : hub.peers()) {
      try {
        peer.abort();
      } finally {
        hub.forget(peer);
      }
    }
  }

  /**
   * Ends the memberships of {@code user}'s open connections in {@code room} without telling them,
   * as a server that lost track of a member would (a bug, a membership lost with a frame on a link
   * that drops frames): the connections stay open, and the room, its stream and the user's other
   * rooms stay as they were. Chats the user sends in the room are refused with {@code not_member}
   * until the connection joins or resumes it again, and chats of the room no longer reach it.
   *
   * @return how many memberships ended (0 if the user has no open connection in the room)
   */
  public int dropMembership(String user, String room) {
    Objects.requireNonNull(user, "user == null");
    Objects.requireNonNull(room, "room == null");
    return hub.dropMembership(user, room);
  }

  /**
   * Sends {@code text} as one text frame to every open connection, exactly as given: nothing checks
   * that it is a valid envelope. Use it to test how a client handles what a server may send,
   * including malformed frames.
   */
  public void sendToAll(String text) {
    Objects.requireNonNull(text, "text == null");
    for (Peer peer : hub.peers()) {
      peer.send(text);
    }
  }

  /**
   * Sends a close frame with {@code code} and {@code reason} to every open connection (those
   * counted by {@link #connectionCount()}). The server keeps running.
   *
   * @param code 1000-1003, 1007-1014 or 3000-4999
   * @param reason at most 123 UTF-8 bytes
   */
  public void closeAll(int code, String reason) {
    Objects.requireNonNull(reason, "reason == null");
    if (!WireRules.isSendableCloseCode(code)) {
      throw new IllegalArgumentException("close code not sendable: " + code);
    }
    long bytes = WireRules.utf8Length(reason);
    if (bytes > 123) {
      throw new IllegalArgumentException("reason > 123 bytes: " + bytes);
    }
    hub.closeAll(code, reason);
  }

  /**
   * While {@code reject} is true, every new handshake is answered with HTTP 503 and no session
   * opens; open connections are not affected. Refused handshakes still count in
   * {@link #handshakeCount()}.
   */
  public void rejectNewConnections(boolean reject) {
    recorder.rejecting.set(reject);
  }

  /** Handshakes attempted since start, refused ones included, across restarts. */
  public int handshakeCount() {
    return recorder.handshakes.get();
  }

  /**
   * Removes and returns the oldest frame received from any client, waiting up to {@code timeout}.
   * Frames are kept in arrival order; only the newest 100,000, and at most 64 MiB of them, are kept.
   *
   * @throws TimeoutException if no frame arrives in time
   */
  public Received takeReceived(Duration timeout) throws InterruptedException, TimeoutException {
    Objects.requireNonNull(timeout, "timeout == null");
    return received.take(timeout);
  }

  /**
   * Frames received from clients since start, across restarts, including those already taken or
   * dropped from the bounded record; not counting messages refused as too big (closed with 1009).
   */
  public int receivedCount() {
    return (int) Math.min(Integer.MAX_VALUE, received.total());
  }

  @Override
  public String toString() {
    return "StubServer{" + uri() + (isRunning() ? "" : ", stopped") + "}";
  }

  /**
   * Runs a stub server until the process is killed. Arguments: {@code [--host ADDRESS] [--port N]
   * [--history N] [--max-message-size BYTES] [--rate-limit PER_SECOND] [--origin ORIGIN]...},
   * defaults 127.0.0.1 ({@code 0.0.0.0} for every interface), 8025, 10,000 chats per room, 1 MiB,
   * no rate limit and any origin.
   */
  public static void main(String[] args) throws InterruptedException {
    Builder builder = builder().port(8025);
    List<String> origins = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--host") && i + 1 < args.length) {
        builder = builder.host(args[++i]);
      } else if (args[i].equals("--port") && i + 1 < args.length) {
        builder = builder.port(Integer.parseInt(args[++i]));
      } else if (args[i].equals("--history") && i + 1 < args.length) {
        builder = builder.historyPerRoom(Integer.parseInt(args[++i]));
      } else if (args[i].equals("--max-message-size") && i + 1 < args.length) {
        builder = builder.maxMessageSize(Integer.parseInt(args[++i]));
      } else if (args[i].equals("--rate-limit") && i + 1 < args.length) {
        builder = builder.rateLimit(Integer.parseInt(args[++i]));
      } else if (args[i].equals("--origin") && i + 1 < args.length) {
        origins.add(args[++i]);
      } else {
        System.err.println("usage: StubServer [--host ADDRESS] [--port N] [--history N] [--max-message-size BYTES]"
            + " [--rate-limit PER_SECOND] [--origin ORIGIN]...");
        System.exit(2);
      }
    }
    if (!origins.isEmpty()) {
      builder = builder.allowedOrigins(origins.toArray(String[]::new));
    }
    StubServer server = builder.start();
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "tether-stub-shutdown"));
    log.info("Tether stub server listening at {}", server.uri());
    System.err.println("Tether stub server listening at " + server.uri() + "?user=NAME");
    new CountDownLatch(1).await();
  }
}

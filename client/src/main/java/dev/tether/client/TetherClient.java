package dev.tether.client;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.ReadyState;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.api.WireRules;
import dev.tether.client.internal.ClientConfig;
import dev.tether.client.internal.RealTetherSocket;
import dev.tether.client.internal.Redaction;
import dev.tether.client.internal.Scheduler;
import dev.tether.client.internal.SharedRandom;
import dev.tether.client.internal.TetherThreads;
import jakarta.websocket.WebSocketContainer;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.IntPredicate;
import java.util.random.RandomGenerator;

/**
 * The Tether IM client: a {@link TetherSocket} on any Jakarta WebSocket (JSR-356) container, Tyrus
 * by default, that stays connected.
 *
 * <pre>{@code
 * TetherClient client = TetherClient.builder(URI.create("ws://127.0.0.1:8025/im?user=alice"))
 *     .delegate(new SocketDelegate() {
 *       public void onEnvelope(TetherSocket socket, Envelope e) { ui.show(e.from(), e.text()); }
 *     })
 *     .build();
 * client.open();
 * client.send(Envelope.join("lobby"));
 * client.send(Envelope.chat("lobby", "hello")).thenAccept(ack -> ...);
 * }</pre>
 *
 * <h2>Staying connected</h2>
 * <ul>
 *   <li><b>Heartbeat</b>: a ping every 10 s; no pong within 10 s means the link is dead: the
 *       connection is aborted, {@code onFailure} gets a {@link java.util.concurrent.TimeoutException}
 *       and reconnecting starts. See {@link Builder#heartbeat}.
 *   <li><b>Reconnect</b>: after an abnormal end (1001, 1006, 1011-1014, heartbeat timeout, failed
 *       handshake, I/O error) with exponential backoff and jitter; never after your own
 *       {@link #close()}, a close code that says retrying is pointless, or a final answer to the
 *       handshake (HTTP 401, 403, 404 and the other 4xx but 408 and 429; an untrusted certificate),
 *       unless a connection to the URI opened before: then a 4xx other than 401 and 403 is taken
 *       for a server that is restarting, and retried. See {@link Builder#reconnect} and
 *       {@link Builder#reconnectOn}.
 *   <li><b>Failover</b>: a client built with several URIs ({@link #builder(URI, URI...)}, the nodes
 *       of a cluster) moves to the next URI in turn when an attempt fails or a connection is lost,
 *       and backs off only when a whole round of them failed.
 *   <li><b>Outbox</b>: what you send while not open waits, bounded, and is written in order as
 *       soon as a connection opens. Envelopes stay until the server acks them and are written again
 *       on a new connection if the old one ended first. Rooms you joined are joined again first.
 * </ul>
 *
 * <h2>Reliable delivery</h2>
 * <ul>
 *   <li><b>Each chat once, in order</b>: each room's chats reach {@code onEnvelope} in seq order,
 *       each once; missed chats are replayed on resume, and what the server no longer has is
 *       reported ({@link SocketDelegate#onGap}).
 *   <li><b>Resets</b>: a server that lost a room's stream (an in-memory server restarted) is
 *       noticed from the room's epoch and reported once with {@link SocketDelegate#onReset} before
 *       the new stream is delivered; reload the room from your own records then.
 *   <li><b>Sender order</b>: every envelope carries a per-connection counter, so the server takes
 *       your envelopes in the order you sent them even through a link that loses messages; what it
 *       refuses as out of order is written again, in order.
 *   <li><b>Rate limits</b>: an envelope refused with {@code rate_limited} or {@code unavailable}
 *       does not fail; it waits the server's {@code retry_after} in the outbox and is written again
 *       in order, paced. A {@code not_member} in a room you joined and did not leave is a
 *       membership the server lost: the room is resumed and the chat written again, in order.
 *       Futures fail only for refusals for good ({@code RejectedException}), expiry, a full
 *       outbox, {@link #close()} or giving up reconnecting.
 * </ul>
 * README.md ("Reliable delivery") and PROTOCOL.md have the details.
 *
 * <h2>Protocol versions</h2>
 * The client offers protocol v2 (the WebSocket subprotocol {@code tether.v2}, before any
 * {@link Builder#subprotocols} of yours). A server that takes it answers each of your chats with
 * one frame, an ack that carries the chat as stamped, and sends you no copy of it: the client
 * delivers your chat to {@code onEnvelope} from that ack, in seq order with everyone else's. A
 * server that does not (v1) sends the copy, which is delivered instead; a copy that comes anyway is
 * a duplicate by seq and is dropped. Nothing changes for your code either way.
 *
 * <h2>Measuring</h2>
 * {@link #stats()} counts reconnects, resends, duplicates dropped and acks and tells the outbox
 * depth; a {@link ClientEventListener} ({@link Builder#eventListener}) is told durations (heartbeat
 * round trips, ack latencies) and events (connections, gaps, resets) as they happen.
 * {@code tether-micrometer}'s {@code TetherClientMetrics} binds both to a Micrometer registry.
 *
 * <h2>Threads and cost</h2>
 * No thread is created per client: connection attempts, timers and delegate callbacks use
 * {@linkplain TetherThreads shared daemon pools} named {@code tether-...}, and the default Tyrus
 * container shares one transport among all clients. All methods are thread-safe and return without
 * waiting on the network. {@link #close()} releases everything the client holds. Envelope futures
 * complete on the thread that read the server's answer, without waiting for the callback executor
 * (see {@link TetherSocket#send(Envelope)}).
 */
public final class TetherClient implements TetherSocket {
  private final List<URI> uris;
  private final RealTetherSocket socket;

  private TetherClient(ClientConfig config) {
    this.uris = config.target().uris();
    this.socket = new RealTetherSocket(config, this);
  }

  /**
   * A builder for a client of {@code uri}.
   *
   * @param uri a {@code ws://} or {@code wss://} URI with a host
   * @throws IllegalArgumentException if {@code uri} is not a ws/wss URI with a host
   */
  public static Builder builder(URI uri) {
    Objects.requireNonNull(uri, "uri == null");
    return new Builder(List.of(checked(uri)));
  }

  /**
   * A builder for a client that fails over between several URIs, typically the nodes of a cluster
   * (README, "Running a cluster"). The first attempt goes to {@code first}; a failed attempt or a
   * lost connection moves to the next URI in turn, at once, and after the last comes the first
   * again. When every URI has failed since the round began, the client backs off as its
   * {@link Builder#reconnect ReconnectPolicy} says, with {@link SocketDelegate#onReconnecting}
   * before the wait: the backoff, and {@code maxAttempts}, count whole rounds. A round begins
   * after each wait and once a connection carries a frame from the server; a node that accepts
   * connections and drops them without a word does not make the client cycle without waiting.
   * The log names each URI with its query values redacted ({@code ?user=…&token=…}).
   *
   * <p>What the client keeps does not depend on the node: on every connection it joins or resumes
   * its rooms from the last seq it delivered and writes again what was not acked, so with nodes
   * that share their rooms (a cluster on {@code RoomStore.redis}) nothing is lost or delivered
   * twice whichever node it lands on. Nodes that do not share rooms have rooms of their own
   * epochs: moving between them is reported with {@link SocketDelegate#onReset}.
   *
   * <p>A final answer to the handshake (HTTP 401, 403, 404, an untrusted certificate) takes that
   * URI out of the rotation; the client stops only when none is left. With
   * {@link ReconnectPolicy#none()} each URI is tried once while opening, and a lost connection is
   * not followed by another.
   *
   * @param first the URI tried first; {@code ws://} or {@code wss://} with a host
   * @param others more such URIs, tried in this order after {@code first}; may be empty
   * @throws NullPointerException if {@code first}, {@code others} or one of them is null
   * @throws IllegalArgumentException if a URI is not a ws/wss URI with a host, or a URI comes twice
   */
  public static Builder builder(URI first, URI... others) {
    Objects.requireNonNull(first, "first == null");
    Objects.requireNonNull(others, "others == null");
    List<URI> all = new ArrayList<>(1 + others.length);
    all.add(checked(first));
    for (int i = 0; i < others.length; i++) {
      URI uri = Objects.requireNonNull(others[i], "others[" + i + "] == null");
      checked(uri);
      for (URI before : all) {
        if (before.normalize().equals(uri.normalize())) {
          throw new IllegalArgumentException("duplicate URI: " + Redaction.uri(uri) + " (others[" + i + "]) is given twice");
        }
      }
      all.add(uri);
    }
    return new Builder(List.copyOf(all));
  }

  private static URI checked(URI uri) {
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!"ws".equals(scheme) && !"wss".equals(scheme)) {
      throw new IllegalArgumentException("expected a ws:// or wss:// URI, was " + Redaction.uri(uri));
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new IllegalArgumentException("URI has no host: " + Redaction.uri(uri));
    }
    return uri;
  }

  /**
   * The default close-code policy: true (reconnect) for 1001 going away, 1006 abnormal closure
   * (lost connection, failed handshake, heartbeat timeout), 1011 server error, 1012 service restart,
   * 1013 try again later and 1014 bad gateway; false for everything else, notably 1000 normal,
   * 1002 protocol error, 1003, 1007-1010 and the application codes 4000-4999.
   */
  public static boolean isReconnectable(int closeCode) {
    switch (closeCode) {
      case 1001, 1006, 1011, 1012, 1013, 1014:
        return true;
      default:
        return false;
    }
  }

  /**
   * The URI of the open connection, or of the attempt under way or next; with one URI, always that
   * one. With several it changes as the client fails over; {@link #uris()} lists them all.
   */
  @Override
  public URI uri() {
    return socket.uri();
  }

  /** Every URI this client connects to, in the order they are tried; one unless built with several. */
  public List<URI> uris() {
    return uris;
  }

  @Override
  public ReadyState readyState() {
    return socket.readyState();
  }

  @Override
  public String user() {
    return socket.user();
  }

  /**
   * Waits until a connection is open: returns at once if the client is {@link ReadyState#OPEN},
   * else when a connection opens, as {@code onOpen} is queued (it may not have run yet). For a
   * program that needs the connection before going on; apps with a UI listen to {@code onOpen}
   * instead. Messages need no waiting: what is sent before opening waits in the outbox.
   *
   * <p>It blocks the calling thread, holding nothing the client needs: it may be called from any
   * thread, a delegate callback included (which then holds up later callbacks while it waits).
   *
   * @param timeout how long to wait; positive
   * @throws dev.tether.api.TetherException if the client stops trying first (a final failure such
   *     as a 401, giving up reconnecting, a close code that does not allow reconnecting: the cause
   *     is what stopped it), if it is closed by {@link #close()}, or if {@code timeout} passes (the
   *     message names the state and the last failure, which is the cause)
   * @throws IllegalStateException if {@link #open()} was not called
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public void awaitOpen(Duration timeout) throws InterruptedException {
    socket.awaitOpen(positive(timeout, "timeout"));
  }

  /**
   * How many messages wait in the outbox: queued frames not yet written plus envelopes not yet
   * acknowledged.
   */
  public int outboxSize() {
    return socket.outboxSize();
  }

  @Override
  public void open() {
    socket.open();
  }

  @Override
  public boolean send(String text) {
    Objects.requireNonNull(text, "text == null");
    return socket.send(text);
  }

  @Override
  public boolean send(ByteBuffer bytes) {
    Objects.requireNonNull(bytes, "bytes == null");
    return socket.send(bytes);
  }

  @Override
  public CompletableFuture<Ack> send(Envelope envelope) {
    Objects.requireNonNull(envelope, "envelope == null");
    return socket.send(envelope, null);
  }

  /**
   * As {@link #send(Envelope)}, but the future fails with a {@link dev.tether.api.TetherException}
   * if no ack arrives within {@code expiresAfter}: the envelope leaves the outbox and is not written
   * on a later connection. Expiry says that no ack came in time, not that the server never got it:
   * one already written may still reach the server, and on the same connection it is written again
   * if the server asks for everything from an envelope before it (its sender-order counter must
   * be; see PROTOCOL.md, "Sender order").
   *
   * @throws IllegalArgumentException if {@code expiresAfter} is not positive
   */
  public CompletableFuture<Ack> send(Envelope envelope, Duration expiresAfter) {
    Objects.requireNonNull(envelope, "envelope == null");
    Objects.requireNonNull(expiresAfter, "expiresAfter == null");
    if (expiresAfter.isNegative() || expiresAfter.isZero()) {
      throw new IllegalArgumentException("expiresAfter must be > 0: " + expiresAfter);
    }
    return socket.send(envelope, expiresAfter);
  }

  /**
   * Sends {@code envelope} and waits for the server's {@link Ack}, as {@link #send(Envelope,
   * Duration) send(envelope, timeout)} and then waiting for its future, but with the failure thrown
   * as it is: a {@link dev.tether.api.RejectedException} if the server refused it for good, an
   * {@link dev.tether.api.OutboxFullException}, or a {@link dev.tether.api.TetherException} if it
   * could not be delivered or no ack came within {@code timeout} (the envelope then leaves the
   * outbox, as an expired one does: it is not written again). Waiting starts at once, connected or
   * not: the time to connect counts.
   *
   * <p>Not from a delegate callback of this client (or a continuation of one of its futures): the
   * ack is handed over on the same queue, so the call would wait for itself.
   *
   * @param timeout how long the ack may take; positive
   * @return the server's ack: for a chat, the seq it got
   * @throws IllegalStateException if called on this client's callback thread, or from a stage of
   *     one of its futures run where the future completed (the thread that read the ack)
   * @throws InterruptedException if the thread is interrupted while waiting; the envelope stays in
   *     the outbox until it is acked or {@code timeout} passes
   */
  public Ack sendAndWait(Envelope envelope, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(envelope, "envelope == null");
    positive(timeout, "timeout");
    if (socket.isCallbackThread()) {
      throw new IllegalStateException("sendAndWait(..) called from a delegate callback of this client"
          + " (or a stage its future completions run): the ack would be delivered by this thread, so"
          + " it would wait for itself; use send(..) and its future instead");
    }
    CompletableFuture<Ack> future = socket.send(envelope, timeout);
    try {
      // The future ends by the timeout (expiry); the margin only guards against a bug of ours.
      return future.get(timeout.toMillis() + 10_000, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException runtime) {
        throw runtime; // the future's own failure, not wrapped
      }
      throw new dev.tether.api.TetherException(cause.getMessage(), cause);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new dev.tether.api.TetherException("no answer for " + envelope.id() + " within " + timeout.toMillis()
          + " ms, and it did not expire: a bug in Tether", e);
    }
  }

  /** The client's counters: reconnects, resends, duplicates dropped, acks, outbox depth, last RTT. */
  public ClientStats stats() {
    return socket.stats();
  }

  @Override
  public void sendPing(ByteBuffer payload) {
    Objects.requireNonNull(payload, "payload == null");
    if (payload.remaining() > 125) {
      throw new IllegalArgumentException("payload > 125 bytes: " + payload.remaining());
    }
    socket.sendPing(payload);
  }

  @Override
  public void close() {
    socket.close(1000, "");
  }

  @Override
  public void close(int code, String reason) {
    Objects.requireNonNull(reason, "reason == null");
    if (!WireRules.isSendableCloseCode(code)) {
      throw new IllegalArgumentException(
          "close code must be 1000-1003, 1007-1014 or 3000-4999: " + code);
    }
    long length = WireRules.utf8Length(reason);
    if (length > 123) {
      throw new IllegalArgumentException("reason > 123 UTF-8 bytes: " + length);
    }
    socket.close(code, reason);
  }

  @Override
  public String toString() {
    return socket.toString();
  }

  private static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name + " == null");
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be > 0: " + d);
    }
    return d;
  }

  /**
   * Configures a {@link TetherClient}. Every argument is checked when it is given; {@link #build()}
   * copies the configuration, so a builder can be reused. Not thread-safe.
   */
  public static final class Builder {
    private final List<URI> uris;
    private SocketDelegate delegate = new SocketDelegate() {};
    private ClientEventListener eventListener;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private List<String> subprotocols = List.of();
    private java.util.function.Supplier<Map<String, String>> headerSupplier;
    private WebSocketContainer container;
    private javax.net.ssl.SSLContext sslContext;
    private ProxySelector proxySelector;
    private Authenticator proxyAuthenticator;
    private boolean compression;
    private int maxMessageSize = 1024 * 1024;
    private ClientConfig.Timeouts timeouts = ClientConfig.Timeouts.DEFAULTS;
    private ClientConfig.Liveness liveness = ClientConfig.Liveness.DEFAULTS;
    private ReconnectPolicy reconnect = ReconnectPolicy.defaults();
    private IntPredicate reconnectOn = TetherClient::isReconnectable;
    private NetworkMonitor networkMonitor;
    private boolean networkMonitorSet;
    private RandomGenerator random;
    private ClientConfig.OutboxSettings outbox = ClientConfig.OutboxSettings.DEFAULTS;
    private Executor callbackExecutor;
    private Scheduler scheduler = TetherThreads.scheduler();

    /** @param uris checked, distinct, at least one */
    private Builder(List<URI> uris) {
      this.uris = uris;
    }

    /** Who hears events. Default: a delegate that ignores everything. */
    public Builder delegate(SocketDelegate delegate) {
      this.delegate = Objects.requireNonNull(delegate, "delegate == null");
      return this;
    }

    /**
     * Adds a header to every opening handshake, replacing an earlier one of the same name.
     *
     * @throws IllegalArgumentException if the name is not an HTTP token or the value has CR or LF
     */
    public Builder header(String name, String value) {
      Objects.requireNonNull(name, "name == null");
      Objects.requireNonNull(value, "value == null");
      if (name.isEmpty() || !name.chars().allMatch(Builder::isTokenChar)) {
        throw new IllegalArgumentException("header name is not an HTTP token: '" + name + "'");
      }
      if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("header value of " + name + " contains CR or LF");
      }
      headers.put(name, value);
      return this;
    }

    private static boolean isTokenChar(int c) {
      return c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
    }

    /**
     * Headers computed afresh for every opening handshake, reconnects included: the place for an
     * auth token that expires. They override {@link #header} values of the same name. The supplier
     * runs on a {@code tether-io} thread and may block briefly (for example to refresh a token).
     * Header values are never logged. A server answering 401 or 403 is a terminal failure: no
     * reconnect.
     */
    public Builder headers(java.util.function.Supplier<Map<String, String>> supplier) {
      this.headerSupplier = Objects.requireNonNull(supplier, "supplier == null");
      return this;
    }

    /**
     * The largest message accepted, each way. An incoming message over it closes the connection
     * with 1009 (reported through {@code onClose}, and not reconnected by default); an outgoing one
     * is refused up front with an {@link IllegalArgumentException}. Default 1 MiB.
     */
    public Builder maxMessageSize(int bytes) {
      if (bytes < 126) {
        throw new IllegalArgumentException("maxMessageSize must be >= 126: " + bytes);
      }
      this.maxMessageSize = bytes;
      return this;
    }

    /**
     * Subprotocols to offer in the handshake, most preferred first, after {@code tether.v2}
     * (protocol v2, which the client always offers first). Default: none besides it.
     */
    public Builder subprotocols(String... subprotocols) {
      Objects.requireNonNull(subprotocols, "subprotocols == null");
      List<String> list = new ArrayList<>(Arrays.asList(subprotocols));
      for (String p : list) {
        Objects.requireNonNull(p, "subprotocol == null");
        if (p.isEmpty() || !p.chars().allMatch(Builder::isTokenChar)) {
          throw new IllegalArgumentException("subprotocol is not an HTTP token: '" + p + "'");
        }
      }
      this.subprotocols = List.copyOf(list);
      return this;
    }

    /**
     * How long one attempt may take, TCP connect and opening handshake together, before it counts
     * as failed. Default 10 s. A server that closes the connection without answering the handshake
     * fails the attempt at once, without waiting for this (on Tyrus with the default container, or
     * any Tyrus container on its shared transport; on Jetty).
     */
    public Builder connectTimeout(Duration timeout) {
      this.timeouts = timeouts.withConnect(positive(timeout, "connectTimeout"));
      return this;
    }

    /**
     * How long to wait for the peer's close frame after {@link #close()} before aborting the
     * connection; {@code onClose} then says {@code wasClean=false}. Default 5 s.
     */
    public Builder closeTimeout(Duration timeout) {
      this.timeouts = timeouts.withClose(positive(timeout, "closeTimeout"));
      return this;
    }

    /**
     * Where delegate callbacks run. They still run one at a time and in order: the client wraps
     * the executor in its own serial queue. Default: a shared pool of daemon threads. Envelope
     * futures do not wait for it: one completed by an ack completes on the thread that read the ack
     * (see {@link TetherSocket#send(Envelope)}); only those failed by a timer (expiry, giving up)
     * complete here.
     *
     * <p>{@code Runnable::run} runs each callback on the thread that caused it, often the
     * container's I/O thread, sometimes the thread calling {@code send} or {@code close}: no
     * hand-off, so the lowest latency and the highest echo throughput, but a slow callback then
     * holds up network I/O. Callbacks still never overlap and never run under the client's lock.
     */
    public Builder callbackExecutor(Executor executor) {
      this.callbackExecutor = Objects.requireNonNull(executor, "executor == null");
      return this;
    }

    /**
     * The JSR-356 container to connect with, for example the one your app server provides.
     * Default: one from {@code ContainerProvider}, shared by all clients (Tyrus unless another
     * implementation is on the class path).
     */
    public Builder container(WebSocketContainer container) {
      this.container = Objects.requireNonNull(container, "container == null");
      return this;
    }

    /**
     * The TLS context for {@code wss://} URIs: which certificates to trust, and client certificates
     * if any. Default: the JVM's default context. Host name verification is always on. A
     * certificate that is not trusted, or does not match the host, is a terminal failure: no
     * reconnect. Applies to the default (Tyrus) container; with {@link #container} configure TLS on
     * your container instead.
     */
    public Builder sslContext(javax.net.ssl.SSLContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext == null");
      return this;
    }

    /**
     * Which HTTP proxy to reach the server through, asked before every connection attempt with the
     * {@code http://} form of a {@code ws://} URI and the {@code https://} form of a
     * {@code wss://} one (the JDK's selectors answer {@code DIRECT} for {@code ws} and
     * {@code wss}). Both go through a {@code CONNECT} tunnel; TLS runs end to end inside it. The
     * first HTTP proxy of the answer is used; a {@code DIRECT} before it means no proxy; an answer
     * with only SOCKS proxies is a terminal failure (not supported). A proxy that cannot be reached
     * is reported to {@link ProxySelector#connectFailed} and the attempt is retried like any
     * other. {@code ProxySelector.of(null)} means no proxy.
     *
     * <p>Default: the JVM's {@link ProxySelector#getDefault()} at each attempt, so that
     * {@code -Dhttps.proxyHost=..}/{@code -Dhttp.proxyHost=..} (and {@code -Djava.net.useSystemProxies=true})
     * work; note that the JDK's default selector never proxies {@code localhost} and {@code 127.*}
     * unless {@code http.nonProxyHosts} says otherwise. The selector is called on a {@code tether-io}
     * thread and must not block for long.
     *
     * <p>Applies to the default (Tyrus) container. Tyrus itself also asks the JVM's default selector
     * and tries its HTTP proxies after the one chosen here, so with the default container a selector
     * that answers {@code DIRECT} cannot override a JVM-wide proxy setting. With
     * {@link #container} configure the proxy on your container instead (for Jetty: on the
     * {@code HttpClient} the container is built on; see the README).
     *
     * @throws IllegalStateException at {@link #build()} if {@link #container} is set too, or the
     *     default container is not Tyrus
     */
    public Builder proxy(ProxySelector selector) {
      this.proxySelector = Objects.requireNonNull(selector, "selector == null");
      return this;
    }

    /**
     * Who gives the credentials for an HTTP proxy that answers {@code 407 Proxy Authentication
     * Required}. It is asked with {@link Authenticator.RequestorType#PROXY}, the proxy's host and
     * port, protocol {@code http}, scheme {@code Basic} and the proxy's realm as the prompt, on a
     * {@code tether-io} thread within the attempt's connect timeout. The credentials it gives are
     * sent as {@code Proxy-Authorization: Basic ..} (readable by anyone who can read the link to
     * the proxy) and kept for later attempts through that proxy; it is asked again only if the
     * proxy refuses them. Only the Basic scheme is supported. Without credentials (the
     * authenticator returns null), refused credentials, or a proxy asking for another scheme, the
     * attempt is a terminal failure naming the proxy and its answer.
     *
     * <p>Default: the JVM's {@link Authenticator#getDefault()} at that moment, if one is set.
     * Applies to the default (Tyrus) container, as {@link #proxy} does.
     *
     * @throws IllegalStateException at {@link #build()} if {@link #container} is set too
     */
    public Builder proxyAuthenticator(Authenticator authenticator) {
      this.proxyAuthenticator = Objects.requireNonNull(authenticator, "authenticator == null");
      return this;
    }

    /**
     * Whether to offer permessage-deflate (RFC 7692) in the opening handshake; if the server
     * accepts, messages of 128 bytes or more are compressed each way: chat envelopes of 200-2,000
     * bytes to about 57 % of their size with a {@code TetherServer} (which compresses every
     * message on its own), 40 % with a server that keeps context. Default {@code false}: it trades
     * CPU (about 20 µs to compress and 8 µs to inflate a 1.2 KB envelope) and, while a server
     * allows context takeover, about 300 KB of native memory per connection for bytes on the
     * wire, which pays on slow or metered links, not on a LAN (see BENCHMARKS.md).
     * A server that declines leaves messages uncompressed; nothing else changes.
     *
     * <p>On Tyrus (the default container, or one you pass) Tether's own extension does it
     * ({@code dev.tether:tether-deflate}, a runtime dependency of this module); on another
     * container the container's own permessage-deflate is asked for (Jetty has one).
     */
    public Builder compression(boolean enabled) {
      this.compression = enabled;
      return this;
    }

    /**
     * Liveness check: a ping every {@code interval} from the toolkit's scheduler; if no pong
     * arrives within {@code pongTimeout} of a ping, the connection is declared dead and aborted,
     * {@code onFailure} gets a {@link java.util.concurrent.TimeoutException} and reconnecting starts.
     * Works with any RFC 6455 server, since servers must answer pings. Default 10 s / 10 s.
     *
     * @param interval time between pings; {@link Duration#ZERO} turns the heartbeat off
     * @param pongTimeout how long a ping may go unanswered; positive
     */
    public Builder heartbeat(Duration interval, Duration pongTimeout) {
      Objects.requireNonNull(interval, "interval == null");
      if (interval.isNegative()) {
        throw new IllegalArgumentException("interval must be >= 0: " + interval);
      }
      this.liveness = new ClientConfig.Liveness(interval, positive(pongTimeout, "pongTimeout"));
      return this;
    }

    /** When to retry after a connection is lost. Default {@link ReconnectPolicy#defaults()}. */
    public Builder reconnect(ReconnectPolicy policy) {
      this.reconnect = Objects.requireNonNull(policy, "policy == null");
      return this;
    }

    /**
     * Which close codes are worth reconnecting after. Lost connections, failed handshakes and
     * heartbeat timeouts are tested as 1006. Default {@link TetherClient#isReconnectable}. The
     * user's own {@code close()} never reconnects. The predicate is called on a toolkit thread (the
     * shared scheduler's, or a container's), never while the client holds its lock, whenever a
     * connection or attempt ends; it must return quickly.
     */
    public Builder reconnectOn(IntPredicate closeCodes) {
      this.reconnectOn = Objects.requireNonNull(closeCodes, "closeCodes == null");
      return this;
    }

    /**
     * What tells the client whether the network is usable; no attempts are made while it is not.
     * Default {@link NetworkMonitor#interfaces()}, ignored for loopback targets.
     */
    public Builder networkMonitor(NetworkMonitor monitor) {
      this.networkMonitor = Objects.requireNonNull(monitor, "monitor == null");
      this.networkMonitorSet = true;
      return this;
    }

    /**
     * Bounds of the outbox: messages waiting to be written or acknowledged. A send that would go
     * over is refused ({@code false}, or a future failed with
     * {@link dev.tether.api.OutboxFullException}); the connection is not affected. Default 10,000
     * messages / 16 MiB.
     */
    public Builder outbox(int maxMessages, long maxBytes) {
      if (maxMessages < 1) {
        throw new IllegalArgumentException("maxMessages must be >= 1: " + maxMessages);
      }
      if (maxBytes < 1) {
        throw new IllegalArgumentException("maxBytes must be >= 1: " + maxBytes);
      }
      this.outbox = outbox.withBounds(maxMessages, maxBytes);
      return this;
    }

    /**
     * Where unacknowledged envelopes and room positions are kept, so that a restarted process (or
     * a new client in this one) can send and resume them. Default: none; the client's own outbox
     * lives as long as the client. The client does not close the store; you do, after closing the
     * client.
     */
    public Builder outboxStore(OutboxStore store) {
      this.outbox = outbox.withStore(Objects.requireNonNull(store, "store == null"));
      return this;
    }

    /**
     * How long an envelope written on an open connection may wait for its ack. When it is over, the
     * connection is presumed broken: it is aborted ({@code onFailure} gets a
     * {@link java.util.concurrent.TimeoutException}) and the envelope is written again on the next
     * connection. Default 10 s.
     */
    public Builder ackTimeout(Duration timeout) {
      this.timeouts = timeouts.withAck(positive(timeout, "ackTimeout"));
      return this;
    }

    /**
     * Who hears what the client measures and notices: connections opened and ended, heartbeat
     * round trips, ack latencies, gaps and resets (see {@link ClientEventListener} for its threads
     * and cost); for metrics, {@code tether-micrometer}'s {@code TetherClientMetrics}. Default:
     * none, and then nothing is measured or queued for one. With a listener, envelope futures
     * complete on the callback executor, after the listener heard of their acks, rather than on
     * the thread that read the ack.
     */
    public Builder eventListener(ClientEventListener listener) {
      this.eventListener = Objects.requireNonNull(listener, "listener == null");
      return this;
    }

    /** Test seam: time for heartbeat, reconnect waits and timeouts. */
    Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler == null");
      return this;
    }

    /** Test seam: randomness for jitter. */
    Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random == null");
      return this;
    }

    /**
     * A new client in state {@link ReadyState#CLOSED}; call {@link TetherClient#open()}. The
     * {@link #eventListener} is told of it before this returns.
     *
     * @throws IllegalStateException if no {@link #container} was given and no Jakarta WebSocket
     *     client implementation is on the class path (the message names the Tyrus artifacts to
     *     add), or for the combinations {@link #proxy} and {@link #sslContext} describe
     */
    public TetherClient build() {
      ClientConfig config = config();
      TetherClient client = new TetherClient(config);
      if (config.listener() != null) {
        config.listener().clientCreated(client);
      }
      return client;
    }

    /** The configuration {@link #build()} uses; for tests of the builder. */
    ClientConfig config() {
      if (container != null && sslContext != null) {
        throw new IllegalStateException(
            "sslContext(..) configures the default container; configure TLS on the container you pass instead");
      }
      if (container != null && (proxySelector != null || proxyAuthenticator != null)) {
        throw new IllegalStateException("proxy(..) and proxyAuthenticator(..) configure the default container;"
            + " configure the proxy on the container you pass instead");
      }
      NetworkMonitor monitor = networkMonitorSet ? networkMonitor
          : uris.stream().allMatch(Builder::isLoopback) ? null : NetworkMonitor.interfaces();
      return new ClientConfig(
          new ClientConfig.Target(uris, Map.copyOf(headers), headerSupplier, subprotocols, container, sslContext,
              maxMessageSize, proxySelector == null && proxyAuthenticator == null ? ClientConfig.Proxying.DEFAULTS
                  : new ClientConfig.Proxying(proxySelector, proxyAuthenticator), compression),
          timeouts,
          liveness,
          new ClientConfig.Retry(reconnect, reconnectOn, monitor,
              random != null ? random : SharedRandom.instance()),
          outbox,
          ClientConfig.Threads.of(callbackExecutor != null ? callbackExecutor : TetherThreads.callbacks(), scheduler),
          delegate,
          eventListener);
    }

    private static boolean isLoopback(URI uri) {
      String host = uri.getHost();
      if ("localhost".equalsIgnoreCase(host)) {
        return true;
      }
      if (!Character.isDigit(host.charAt(0)) && host.charAt(0) != '[') {
        return false; // a name: don't resolve it here
      }
      try {
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name + " == null");
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be > 0: " + d);
      }
      return d;
    }
  }
}

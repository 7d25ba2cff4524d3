package dev.tether.stub;

import dev.tether.stub.internal.ProxyLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Objects;

/**
 * A loopback TCP proxy that sits between a client and any server and breaks the network on demand:
 * black-hole it (nothing gets through, and nothing is lost), stop reading (a peer whose receive
 * window stays at zero), lose client messages on live connections, cut every connection, refuse
 * new ones, or add latency. Point the client at {@link #uri()} instead of the server:
 * <pre>{@code
 * try (StubServer server = StubServer.start(); FaultProxy proxy = FaultProxy.start(server.uri())) {
 *   connect(proxy.uri() + "?user=alice");
 *   proxy.blackhole();       // traffic stops, both TCP connections stay open, bytes are held
 *   proxy.heal();            // the held bytes are delivered, in order, as TCP would retransmit them
 *   proxy.stopReading();     // nothing is read: the sender's writes stall once the buffers are full
 *   proxy.heal();            // reading resumes; nothing was lost
 *   proxy.dropNextFrames(1); // the client's next message never reaches the server; the link lives on
 *   proxy.lossy(0.1, 42);    // from now on each client message is lost with probability 0.1
 *   proxy.cutAll();          // both sides see a connection reset
 * }
 * }</pre>
 *
 * <h2>What each fault models</h2>
 * A network never loses bytes inside a TCP connection: it delays them (while a path is down TCP
 * retransmits, and delivers once it is back) or the connection dies. {@link #blackhole()} is the
 * first: bytes are held, in both directions, and delivered in order on {@link #heal()}; a client
 * that gives up meanwhile (its heartbeat or ack timeout fires) closes its own connection, and
 * {@link #cutAll()} kills every one. Losing messages on a live connection is not something a
 * network does but what a buggy intermediary or an overloaded server that drops frames does: that
 * is a separate, explicit mode, {@link #lossy} and {@link #dropNextFrames}, for testing exactly
 * that (for example that sender order holds when a message in the middle goes missing).
 *
 * <h2>States</h2>
 * Forwarding after {@link #start}; {@link #blackhole()} and {@link #stopReading()} stop it in two
 * different ways (bytes read and held, or bytes left unread in the kernel), {@link #heal()}
 * forwards again, delivering everything held or unread; {@link #lossy}, {@link #dropNextFrames},
 * {@link #latency} and {@link #rejectNew} are independent switches that {@link #heal()} leaves as
 * they are. After {@link #close()} the port is released and every connection was reset. The
 * switches take effect at once for existing and new connections.
 *
 * <h2>Threads and cost</h2>
 * All methods are thread-safe and return quickly; {@link #cutAll()} and {@link #close()} wait until
 * the sockets are closed. Each proxy runs one daemon thread, {@code tether-proxy-N}, with an NIO
 * selector for all its connections: no thread per connection. Each direction of a connection buffers
 * at most about 1 MiB before it stops reading, also while black-holed. For a {@code ws://} target
 * the proxy follows the frame headers of what clients send (not the payloads), which costs little.
 */
public final class FaultProxy implements AutoCloseable {
  private final URI target;
  private final ProxyLoop loop;

  private FaultProxy(URI target, ProxyLoop loop) {
    this.target = target;
    this.loop = loop;
  }

  /**
   * Starts a proxy on an ephemeral loopback port forwarding to the host and port of {@code target}
   * (for example a {@link StubServer#uri()}).
   *
   * @throws IllegalArgumentException if {@code target} has no host
   * @throws UncheckedIOException if the proxy cannot listen
   */
  public static FaultProxy start(URI target) {
    Objects.requireNonNull(target, "target == null");
    if (target.getHost() == null) {
      throw new IllegalArgumentException("target has no host: " + target);
    }
    int port = target.getPort() != -1 ? target.getPort()
        : "wss".equals(target.getScheme()) || "https".equals(target.getScheme()) ? 443 : 80;
    boolean webSocket = "ws".equals(target.getScheme()) || "http".equals(target.getScheme());
    try {
      return new FaultProxy(target, ProxyLoop.start(new InetSocketAddress(target.getHost(), port), webSocket));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start proxy to " + target, e);
    }
  }

  /** The target URI with host and port replaced by the proxy's; path and query are kept. */
  public URI uri() {
    try {
      return new URI(target.getScheme(), target.getUserInfo(), "127.0.0.1", loop.port(),
          target.getPath(), target.getQuery(), target.getFragment());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The proxy's port on 127.0.0.1. */
  public int port() {
    return loop.port();
  }

  /**
   * Stops delivering, as a network path that went down: both TCP connections of every proxied
   * connection stay open, and what either side sends is held by the proxy (up to about 1 MiB a
   * direction; then it stops reading, and the sender's writes stall), not lost. {@link #heal()}
   * delivers all of it, in order, as TCP would retransmit it once the path is back; until then
   * neither side hears anything from the other, not even that it closed its end, so a peer that
   * watches its link (a heartbeat, an ack timeout) sees it go silent. New connections are accepted
   * and held too, so a handshake through the proxy does not complete before {@link #heal()}. A
   * connection that either side resets meanwhile dies at once, as does every one on
   * {@link #cutAll()}.
   */
  public void blackhole() {
    loop.blackhole(true);
  }

  /**
   * Stops reading from every proxied connection, in both directions, existing and new: the proxy
   * still accepts connections but reads nothing from them, so once the kernel buffers fill (a few
   * MiB on loopback) the TCP receive window stays at zero and every write of the peer stalls, as
   * against a process that hangs without closing its socket. Unlike {@link #blackhole()}, which
   * reads and holds, bytes the proxy had already read are still forwarded, and after {@link #heal()}
   * everything left unread is read and forwarded in order. A handshake through the proxy does not
   * complete meanwhile.
   */
  public void stopReading() {
    loop.stopReading(true);
  }

  /**
   * Forwards again after {@link #blackhole()} or {@link #stopReading()}: bytes the black hole held
   * and bytes left unread are delivered now, in order. Leaves {@link #lossy}, {@link #latency} and
   * {@link #rejectNew} as they are.
   */
  public void heal() {
    loop.blackhole(false);
    loop.stopReading(false);
  }

  /**
   * Loses client-to-server messages on live connections: from now on each WebSocket data message
   * a client sends after its handshake (a text or binary frame, with its continuation frames if
   * fragmented) is dropped whole with {@code probability}, so the server reads a valid stream
   * with messages missing, and the connection stays up. Control frames (ping, pong, close) and
   * everything the server sends are never dropped. The draws come from a generator per connection
   * seeded with {@code seed} and the connection's number (the order the proxy accepted them), so a
   * run with the same connections made in the same order loses the same messages. {@code 0} ends
   * the loss (messages already queued by {@link #dropNextFrames} are still dropped). Needs a
   * plain {@code ws://} target: frames inside TLS cannot be told apart. A server using
   * per-message compression with context takeover cannot read past a dropped message.
   *
   * @throws IllegalArgumentException if {@code probability} is not in [0, 1]
   * @throws IllegalStateException if the target is not {@code ws://} (or {@code http://})
   */
  public void lossy(double probability, long seed) {
    if (!(probability >= 0 && probability <= 1)) {
      throw new IllegalArgumentException("probability not in [0, 1]: " + probability);
    }
    checkFrameAware();
    loop.lossy(probability, seed);
  }

  /**
   * Drops the next {@code frames} client-to-server data messages, whichever connections they come
   * on, as {@link #lossy} would, then goes back to forwarding them (or to {@link #lossy}'s draws).
   * Calls add up. Deterministic: with one connection, exactly its next {@code frames} messages are
   * lost.
   *
   * @throws IllegalArgumentException if {@code frames} is negative
   * @throws IllegalStateException if the target is not {@code ws://} (or {@code http://})
   */
  public void dropNextFrames(int frames) {
    if (frames < 0) {
      throw new IllegalArgumentException("frames < 0: " + frames);
    }
    checkFrameAware();
    loop.dropNext(frames);
  }

  /** How many client-to-server messages {@link #lossy} and {@link #dropNextFrames} dropped so far. */
  public long droppedFrames() {
    return loop.dropped();
  }

  private void checkFrameAware() {
    if (!loop.frameAware()) {
      throw new IllegalStateException("losing frames needs a plain ws:// target, not " + target.getScheme()
          + "://: frames inside TLS or another protocol cannot be told apart");
    }
  }

  /**
   * Bytes forwarded to the server so far, over all connections: what the clients wrote, handshakes
   * and frame headers included, as it went on the wire (compressed, if the connection compresses).
   */
  public long bytesToServer() {
    return loop.bytesToServer();
  }

  /** Bytes forwarded to the clients so far, over all connections, as {@link #bytesToServer()} counts. */
  public long bytesToClient() {
    return loop.bytesToClient();
  }

  /** Resets every proxied connection, both sides (SO_LINGER 0, then close). New ones are accepted. */
  public void cutAll() {
    loop.cutAll();
  }

  /**
   * Delays every forwarded chunk, in each direction, by {@code latency}; {@link Duration#ZERO}
   * forwards at once. Order within a direction is kept.
   */
  public void latency(Duration latency) {
    Objects.requireNonNull(latency, "latency == null");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency < 0: " + latency);
    }
    loop.latency(latency);
  }

  /** While true, new connections are accepted and reset at once; existing ones are unaffected. */
  public void rejectNew(boolean reject) {
    loop.rejectNew(reject);
  }

  /** The number of proxied connections currently open. */
  public int connectionCount() {
    return loop.connectionCount();
  }

  /** Resets every connection and stops listening. Idempotent. */
  @Override
  public void close() {
    loop.close();
  }

  @Override
  public String toString() {
    return "FaultProxy{" + uri() + " -> " + target + "}";
  }
}

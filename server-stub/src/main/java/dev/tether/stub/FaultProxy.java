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
 * black-hole it, stop reading (a peer whose receive window stays at zero), cut every connection,
 * refuse new ones, or add latency. Point the client at
 * {@link #uri()} instead of the server:
 * <pre>{@code
 * try (StubServer server = StubServer.start(); FaultProxy proxy = FaultProxy.start(server.uri())) {
 *   connect(proxy.uri() + "?user=alice");
 *   proxy.blackhole();     // traffic stops, both TCP connections stay open
 *   proxy.heal();
 *   proxy.stopReading();   // nothing is read: the sender's writes stall once the buffers are full
 *   proxy.heal();          // reading resumes; nothing was lost
 *   proxy.cutAll();        // both sides see a connection reset
 * }
 * }</pre>
 *
 * <h2>States</h2>
 * Forwarding after {@link #start}; {@link #blackhole()} and {@link #stopReading()} stop it in two
 * different ways (bytes discarded, or bytes left unread), {@link #heal()} forwards again;
 * {@link #latency}, {@link #rejectNew} are independent switches.
 * After {@link #close()} the port is released and every connection was reset. The switches take
 * effect at once for existing and new connections.
 *
 * <h2>Threads and cost</h2>
 * All methods are thread-safe and return quickly; {@link #cutAll()} and {@link #close()} wait until
 * the sockets are closed. Each proxy runs one daemon thread, {@code tether-proxy-N}, with an NIO
 * selector for all its connections: no thread per connection. Each direction of a connection buffers
 * at most about 1 MiB before it stops reading.
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
    try {
      return new FaultProxy(target, ProxyLoop.start(new InetSocketAddress(target.getHost(), port)));
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
   * Stops forwarding: both TCP connections of every proxied connection stay open, and bytes read
   * from either side, including any not yet delivered, are discarded. New connections are accepted
   * and black-holed too, so a handshake through the proxy never completes.
   */
  public void blackhole() {
    loop.blackhole(true);
  }

  /**
   * Stops reading from every proxied connection, in both directions, existing and new: the proxy
   * still accepts connections but reads nothing from them, so once the kernel buffers fill (a few
   * MiB on loopback) the TCP receive window stays at zero and every write of the peer stalls, as
   * against a process that hangs without closing its socket. Unlike {@link #blackhole()}, nothing
   * is discarded: bytes the proxy had already read are still forwarded, and after {@link #heal()}
   * everything left unread is read and forwarded in order. A handshake through the proxy never
   * completes meanwhile.
   */
  public void stopReading() {
    loop.stopReading(true);
  }

  /**
   * Forwards again after {@link #blackhole()} or {@link #stopReading()}: bytes discarded by the
   * black hole stay lost; bytes left unread are read and forwarded now.
   */
  public void heal() {
    loop.blackhole(false);
    loop.stopReading(false);
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

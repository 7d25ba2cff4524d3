package dev.tether.client.internal;

import dev.tether.api.SocketDelegate;
import dev.tether.client.ClientEventListener;
import dev.tether.client.NetworkMonitor;
import dev.tether.client.OutboxStore;
import dev.tether.client.ReconnectPolicy;
import jakarta.websocket.WebSocketContainer;
import java.net.Authenticator;
import java.net.ProxySelector;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLContext;

/**
 * Everything a {@link RealTetherSocket} is configured with, validated and copied by
 * {@code TetherClient.Builder}, in small groups named for what they configure, so that no long
 * positional list of same-typed values can be given in the wrong order. Immutable.
 *
 * @param target where to connect and how to present ourselves
 * @param timeouts how long connecting, closing and acks may take
 * @param liveness the heartbeat
 * @param retry when to reconnect
 * @param outbox bounds and durability of the outbox
 * @param threads where callbacks and timers run
 * @param delegate who hears events
 * @param listener who hears measurements; null for none
 */
public record ClientConfig(
    Target target,
    Timeouts timeouts,
    Liveness liveness,
    Retry retry,
    OutboxSettings outbox,
    Threads threads,
    SocketDelegate delegate,
    ClientEventListener listener) {

  /**
   * @param uris where to connect, in the order tried; distinct, at least one
   * @param headers fixed handshake headers
   * @param headerSupplier called on every handshake; null for none
   * @param container null for the default container
   * @param sslContext null for the JVM's default (default container only)
   * @param maxMessageSize the largest message accepted, each way, in bytes
   * @param proxy how to reach the server (default container only)
   * @param compression whether to offer permessage-deflate
   */
  public record Target(
      List<URI> uris,
      Map<String, String> headers,
      Supplier<Map<String, String>> headerSupplier,
      List<String> subprotocols,
      WebSocketContainer container,
      SSLContext sslContext,
      int maxMessageSize,
      Proxying proxy,
      boolean compression) {
    /** The first URI: the only one, unless the client fails over. */
    public URI uri() {
      return uris.get(0);
    }
  }

  /**
   * @param selector asked before each attempt; null for the JVM's {@code ProxySelector.getDefault()}
   *     at that moment
   * @param authenticator asked when a proxy answers 407; null for the JVM's
   *     {@code Authenticator.getDefault()} at that moment
   */
  public record Proxying(ProxySelector selector, Authenticator authenticator) {
    public static final Proxying DEFAULTS = new Proxying(null, null);

    /** True if the user chose a selector or an authenticator rather than the JVM's defaults. */
    public boolean configured() {
      return selector != null || authenticator != null;
    }
  }

  /**
   * @param connect TCP connect and opening handshake of one attempt
   * @param close waiting for the peer's close frame after close()
   * @param ack waiting for the ack of an envelope written on an open connection
   */
  public record Timeouts(Duration connect, Duration close, Duration ack) {
    public static final Timeouts DEFAULTS =
        new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(10));

    public Timeouts withConnect(Duration connect) {
      return new Timeouts(connect, close, ack);
    }

    public Timeouts withClose(Duration close) {
      return new Timeouts(connect, close, ack);
    }

    public Timeouts withAck(Duration ack) {
      return new Timeouts(connect, close, ack);
    }
  }

  /**
   * @param interval time between heartbeat pings; zero for no heartbeat
   * @param pongTimeout how long a ping may go unanswered
   */
  public record Liveness(Duration interval, Duration pongTimeout) {
    public static final Liveness DEFAULTS = new Liveness(Duration.ofSeconds(10), Duration.ofSeconds(10));
  }

  /**
   * @param networkMonitor null for none (every attempt goes ahead)
   * @param random the jitter's randomness
   */
  public record Retry(
      ReconnectPolicy policy, IntPredicate reconnectOn, NetworkMonitor networkMonitor, RandomGenerator random) {}

  /** @param store null for none: the outbox lives and dies with the client */
  public record OutboxSettings(int maxMessages, long maxBytes, OutboxStore store) {
    public static final OutboxSettings DEFAULTS = new OutboxSettings(10_000, 16L * 1024 * 1024, null);

    public OutboxSettings withBounds(int maxMessages, long maxBytes) {
      return new OutboxSettings(maxMessages, maxBytes, store);
    }

    public OutboxSettings withStore(OutboxStore store) {
      return new OutboxSettings(maxMessages, maxBytes, store);
    }
  }

  /**
   * @param callbacks runs delegate callbacks (wrapped in a serial queue per client)
   * @param scheduler time: heartbeat, reconnect waits and timeouts
   */
  public record Threads(Executor callbacks, Scheduler scheduler) {
    /** The shared pools: one instance for every client that keeps them. */
    public static final Threads SHARED = new Threads(TetherThreads.callbacks(), TetherThreads.scheduler());

    /** These threads, as the one shared instance when they are the shared pools. */
    public static Threads of(Executor callbacks, Scheduler scheduler) {
      return SHARED.callbacks() == callbacks && SHARED.scheduler() == scheduler ? SHARED
          : new Threads(callbacks, scheduler);
    }
  }
}

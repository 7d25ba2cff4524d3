package dev.tether.client.internal;

import dev.tether.api.SocketDelegate;
import dev.tether.client.NetworkMonitor;
import dev.tether.client.OutboxStore;
import dev.tether.client.ReconnectPolicy;
import jakarta.websocket.WebSocketContainer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.IntPredicate;
import java.util.random.RandomGenerator;

/**
 * Everything a {@link RealTetherSocket} is configured with, validated and copied by the builder.
 *
 * @param container null for the default container
 * @param networkMonitor null for none (every attempt goes ahead)
 * @param outboxStore null for none
 */
public record ClientConfig(
    URI uri,
    SocketDelegate delegate,
    Map<String, String> headers,
    java.util.function.Supplier<Map<String, String>> headerSupplier,
    List<String> subprotocols,
    Duration connectTimeout,
    Duration closeTimeout,
    Executor callbackExecutor,
    WebSocketContainer container,
    javax.net.ssl.SSLContext sslContext,
    Duration heartbeatInterval,
    Duration pongTimeout,
    ReconnectPolicy reconnect,
    IntPredicate reconnectOn,
    NetworkMonitor networkMonitor,
    int outboxMaxMessages,
    long outboxMaxBytes,
    OutboxStore outboxStore,
    Duration ackTimeout,
    int maxMessageSize,
    Scheduler scheduler,
    RandomGenerator random) {}

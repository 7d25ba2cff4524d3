package dev.tether.client.internal;

import dev.tether.api.Ack;
import dev.tether.api.DeliveryState;
import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.ClientEventListener;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One socket's delegate callbacks and future completions, queued in event order and run one at a
 * time on the callback executor. The socket queues them while holding its lock (which fixes the
 * order) and calls {@link #start()} after releasing it (so that no callback runs under the lock,
 * even with a direct executor).
 *
 * <p>The {@link ClientEventListener}'s events go in the same queue, each just before the delegate
 * callback it goes with; without a listener nothing is queued for one.
 */
final class Callbacks {
  private final SerialExecutor queue;
  private final SocketDelegate delegate;
  private final TetherSocket socket;
  /** Null for none. */
  private final ClientEventListener listener;
  /** True if the delegate overrides onDeliveryState; otherwise states are not queued at all. */
  private final boolean watchesDelivery;

  Callbacks(Executor executor, SocketDelegate delegate, TetherSocket socket) {
    this(executor, delegate, socket, null);
  }

  /** @param listener null for none */
  Callbacks(Executor executor, SocketDelegate delegate, TetherSocket socket, ClientEventListener listener) {
    this.queue = new SerialExecutor(executor, "delegate callback");
    this.delegate = delegate;
    this.socket = socket;
    this.listener = listener;
    this.watchesDelivery = overrides(delegate, "onDeliveryState",
        TetherSocket.class, Envelope.class, DeliveryState.class);
  }

  private static boolean overrides(Object target, String name, Class<?>... parameters) {
    try {
      return target.getClass().getMethod(name, parameters).getDeclaringClass() != SocketDelegate.class;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  /** Runs what was queued. Call without holding locks. */
  void start() {
    queue.start();
  }

  void open() {
    if (listener != null) {
      queue.enqueue(listener::connected);
    }
    queue.enqueue(() -> delegate.onOpen(socket));
  }

  void text(String text) {
    queue.enqueue(() -> delegate.onMessage(socket, text));
  }

  /** @param bytes the delegate's own: a copy nobody else holds */
  void binary(ByteBuffer bytes) {
    queue.enqueue(() -> delegate.onMessage(socket, bytes));
  }

  void envelope(Envelope envelope) {
    queue.enqueue(() -> delegate.onEnvelope(socket, envelope));
  }

  /** @param payload the delegate's own: a copy nobody else holds */
  void pong(ByteBuffer payload) {
    queue.enqueue(() -> delegate.onPong(socket, payload));
  }

  void failure(Throwable error) {
    queue.enqueue(() -> delegate.onFailure(socket, error));
  }

  void close(int code, String reason, boolean wasClean) {
    queue.enqueue(() -> delegate.onClose(socket, code, reason, wasClean));
  }

  void reconnecting(int attempt, Duration delay) {
    queue.enqueue(() -> delegate.onReconnecting(socket, attempt, delay));
  }

  void gap(String room, long fromSeq, long toSeq) {
    if (listener != null) {
      queue.enqueue(() -> listener.gap(room, fromSeq, toSeq));
    }
    queue.enqueue(() -> delegate.onGap(socket, room, fromSeq, toSeq));
  }

  void reset(String room, long lastSeqBefore) {
    if (listener != null) {
      queue.enqueue(() -> listener.reset(room, lastSeqBefore));
    }
    queue.enqueue(() -> delegate.onReset(socket, room, lastSeqBefore));
  }

  /** The open connection ended; queue it just before its onClose. */
  void disconnected() {
    if (listener != null) {
      queue.enqueue(listener::disconnected);
    }
  }

  /** A heartbeat round trip. */
  void rttMeasured(long nanos) {
    if (listener != null) {
      queue.enqueue(() -> listener.rttMeasured(Duration.ofNanos(nanos)));
    }
  }

  /** An envelope acked {@code nanos} after its first write; queue it just before its future completes. */
  void acked(Envelope envelope, long nanos) {
    if (listener != null) {
      queue.enqueue(() -> listener.acked(envelope, Duration.ofNanos(nanos)));
    }
  }

  void deliveryState(Envelope envelope, DeliveryState state) {
    if (watchesDelivery) {
      queue.enqueue(() -> delegate.onDeliveryState(socket, envelope, state));
    }
  }

  void complete(CompletableFuture<Ack> future, Ack ack) {
    queue.enqueue(() -> future.complete(ack));
  }

  void fail(CompletableFuture<Ack> future, Throwable cause) {
    queue.enqueue(() -> future.completeExceptionally(cause));
  }
}

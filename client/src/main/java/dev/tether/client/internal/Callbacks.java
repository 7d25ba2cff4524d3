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
 * One socket's delegate callbacks and future completions. The socket queues them while holding its
 * lock (which fixes their order) and starts them after releasing it (so that nothing runs under
 * the lock, even with a direct executor).
 *
 * <p>Delegate callbacks run one at a time, in event order, on the callback executor. Future
 * completions are a queue of their own, also run one at a time in the order they were decided, but
 * without that hop where the thread allows it: the thread that reads a frame
 * {@linkplain #claimCompletions() claims} them before it takes the lock and
 * {@linkplain #completeClaimed() completes} what the frame decided right after releasing it, so
 * that an ack does not wait for a pool thread to wake (nor behind a slow delegate);
 * {@link #start()} (timer threads, and every other caller) hands the completions they decided to
 * the callback executor, unless a reading thread holds the claim and completes them itself. So a
 * future may complete before or after the delegate callbacks about the same envelope
 * ({@code onDeliveryState}, {@code onEnvelope} of our own chat) run.
 *
 * <p>The {@link ClientEventListener}'s events go in the delegate callbacks' queue, each just before
 * the delegate callback it goes with; without a listener nothing is queued for one. With a
 * listener, future completions go in that queue too, each after the {@code acked} event queued
 * before it, so that the listener has been told when a future completes (its contract), at the
 * cost of the hop to the callback executor.
 */
final class Callbacks {
  private final SerialExecutor queue;
  /** Future completions, in the order decided; never run two at a time. */
  private final SerialExecutor completions;
  private final SocketDelegate delegate;
  private final TetherSocket socket;
  /** Null for none. */
  private final ClientEventListener listener;
  /** True if the delegate overrides onDeliveryState; otherwise states are not queued at all. */
  private final boolean watchesDelivery;
  /** The last error queued for onFailure, for messages of waits that time out; null for none. */
  private volatile Throwable lastFailure;

  Callbacks(Executor executor, SocketDelegate delegate, TetherSocket socket) {
    this(executor, delegate, socket, null);
  }

  /** @param listener null for none */
  Callbacks(Executor executor, SocketDelegate delegate, TetherSocket socket, ClientEventListener listener) {
    this.queue = new SerialExecutor(executor, "delegate callback", this::deliver);
    this.completions = new SerialExecutor(executor, "future completion");
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

  /** Runs what was queued: callbacks and completions on the callback executor. Call without holding locks. */
  void start() {
    queue.start();
    completions.start();
  }

  /** Runs the queued delegate callbacks only, on the callback executor; see {@link #claimCompletions()}. */
  void startCallbacks() {
    queue.start();
  }

  /**
   * Claims the completion of the futures queued from now on for the calling thread, which reads a
   * frame: true if it got the claim, and must then call {@link #completeClaimed()} after releasing
   * the lock (in a finally block); false if another thread is completing futures and will complete
   * these too. While claimed, {@link #start()} hands no completion to the executor.
   */
  boolean claimCompletions() {
    return completions.claim();
  }

  /**
   * Completes the queued futures on this thread, in order, and ends the claim. Call without holding
   * locks; the application's dependent stages run here.
   */
  void completeClaimed() {
    completions.runClaimed();
  }

  /**
   * Queues toolkit work to run on the callback executor once every callback queued before it has
   * returned (saving the room positions those callbacks delivered). It must be quick and call no
   * user code.
   */
  void afterCallbacks(Runnable task) {
    queue.enqueue(task);
  }

  /** True if the calling thread runs a callback (or a future's completion) of this socket. */
  boolean isCallbackThread() {
    return queue.isRunningTask() || completions.isRunningTask();
  }

  /**
   * Waits until every callback queued before this call has returned, or {@code timeout} passed;
   * false on timeout. Not from a callback ({@link #isCallbackThread()}): it would wait for itself.
   */
  boolean awaitIdle(Duration timeout) throws InterruptedException {
    return queue.awaitIdle(timeout);
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

  /** Queued as it is (no lambda per envelope): {@link #deliver} hands it to onEnvelope. */
  void envelope(Envelope envelope) {
    queue.enqueueItem(envelope);
  }

  /** The callback queue's items: the envelopes queued by {@link #envelope}. */
  private void deliver(Object item) {
    delegate.onEnvelope(socket, (Envelope) item);
  }

  /** The callback queue, for tests: its drains and the callbacks they ran. */
  SerialExecutor callbackQueue() {
    return queue;
  }

  /** @param payload the delegate's own: a copy nobody else holds */
  void pong(ByteBuffer payload) {
    queue.enqueue(() -> delegate.onPong(socket, payload));
  }

  void failure(Throwable error) {
    lastFailure = error;
    queue.enqueue(() -> delegate.onFailure(socket, error));
  }

  /** The last error reported to onFailure (or about to be), null for none. */
  Throwable lastFailure() {
    return lastFailure;
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
    completionQueue().enqueue(() -> future.complete(ack));
  }

  void fail(CompletableFuture<Ack> future, Throwable cause) {
    completionQueue().enqueue(() -> future.completeExceptionally(cause));
  }

  /** Where futures complete: behind the listener's events with one, else in their own queue. */
  private SerialExecutor completionQueue() {
    return listener != null ? queue : completions;
  }
}

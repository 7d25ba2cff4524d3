package dev.tether.client.internal;

import dev.tether.api.EnvelopeCodec;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The frames of one connection, in the order they were decided under the socket's lock, written
 * without the lock by whichever thread drains first. Sender order needs writes in counter order:
 * two threads that number envelopes one after the other under the lock and then write them after
 * releasing it could write them the other way round. So a locked section only queues here, and
 * {@link #drain} writes the queue in order with the container's async sends; a thread that finds
 * another draining leaves its frames to it.
 *
 * <p>Thread-safe and lock-free. Call {@link #drain} without the socket's lock and never on the
 * scheduler thread (hand it to the I/O pool there). A counted frame gets its counter added here,
 * at write time, off the lock.
 *
 * <p>Cost: the queue is created by the first frame, so a connection that never writes one (an idle
 * client's) carries none.
 */
final class FrameWriter {
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();
  private static final VarHandle QUEUE;
  private static final VarHandle DRAINING;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      QUEUE = lookup.findVarHandle(FrameWriter.class, "queue", ConcurrentLinkedQueue.class);
      DRAINING = lookup.findVarHandle(FrameWriter.class, "draining", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Connection connection;
  /**
   * Frames to write: a {@code String} (text as it is), a {@link SenderOrder.Frame} (its encoded
   * envelope with its counter; only its final fields are read here) or a {@code ByteBuffer}
   * (binary). The items themselves, without a wrapper per frame. Null until the first frame is
   * queued, then never replaced (set once, by CAS).
   */
  private volatile ConcurrentLinkedQueue<Object> queue;
  /** True while a thread drains; changed by CAS. */
  @SuppressWarnings("unused") // through DRAINING
  private volatile boolean draining;

  FrameWriter(Connection connection) {
    this.connection = connection;
  }

  /** Queues a text frame. */
  void text(String text) {
    queue().add(text);
  }

  /** Queues a numbered envelope, to be written with its sender-order counter. */
  void counted(SenderOrder.Frame frame) {
    queue().add(frame);
  }

  /** Queues a binary frame; {@code bytes} is ours. */
  void binary(ByteBuffer bytes) {
    queue().add(bytes);
  }

  /**
   * Writes everything queued, in order, unless another thread is writing (it writes what this one
   * queued too). A write that fails means the connection is ending; its close callback follows.
   */
  void drain() {
    ConcurrentLinkedQueue<Object> queue = this.queue;
    while (queue != null && !queue.isEmpty() && DRAINING.compareAndSet(this, false, true)) {
      try {
        for (Object out; (out = queue.poll()) != null; ) {
          if (out instanceof SenderOrder.Frame f) {
            Outbound.text(connection, CODEC.withCounter(f.encoded, f.n));
          } else if (out instanceof String text) {
            Outbound.text(connection, text);
          } else {
            Outbound.binary(connection, ((ByteBuffer) out).duplicate());
          }
        }
      } finally {
        draining = false;
      }
    }
  }

  /** True if no frame was ever queued here. For tests. */
  boolean neverUsed() {
    return queue == null;
  }

  private ConcurrentLinkedQueue<Object> queue() {
    ConcurrentLinkedQueue<Object> q = queue;
    if (q == null) {
      ConcurrentLinkedQueue<Object> fresh = new ConcurrentLinkedQueue<>();
      q = QUEUE.compareAndExchange(this, null, fresh) == null ? fresh : queue;
    }
    return q;
  }
}

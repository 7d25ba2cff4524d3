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

  /** A frame to write: text with counter n (0: none), or bytes. */
  private record Out(String text, long n, ByteBuffer bytes) {}

  private final Connection connection;
  /** Null until the first frame is queued, then never replaced (set once, by CAS). */
  private volatile ConcurrentLinkedQueue<Out> queue;
  /** True while a thread drains; changed by CAS. */
  @SuppressWarnings("unused") // through DRAINING
  private volatile boolean draining;

  FrameWriter(Connection connection) {
    this.connection = connection;
  }

  /** Queues a text frame. */
  void text(String text) {
    queue().add(new Out(text, 0, null));
  }

  /** Queues an encoded envelope, to be written with the sender-order counter {@code n}. */
  void counted(String encoded, long n) {
    queue().add(new Out(encoded, n, null));
  }

  /** Queues a binary frame; {@code bytes} is ours. */
  void binary(ByteBuffer bytes) {
    queue().add(new Out(null, 0, bytes));
  }

  /**
   * Writes everything queued, in order, unless another thread is writing (it writes what this one
   * queued too). A write that fails means the connection is ending; its close callback follows.
   */
  void drain() {
    ConcurrentLinkedQueue<Out> queue = this.queue;
    while (queue != null && !queue.isEmpty() && DRAINING.compareAndSet(this, false, true)) {
      try {
        for (Out out; (out = queue.poll()) != null; ) {
          if (out.bytes != null) {
            Outbound.binary(connection, out.bytes.duplicate());
          } else {
            Outbound.text(connection, out.n > 0 ? CODEC.withCounter(out.text, out.n) : out.text);
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

  private ConcurrentLinkedQueue<Out> queue() {
    ConcurrentLinkedQueue<Out> q = queue;
    if (q == null) {
      ConcurrentLinkedQueue<Out> fresh = new ConcurrentLinkedQueue<>();
      q = QUEUE.compareAndExchange(this, null, fresh) == null ? fresh : queue;
    }
    return q;
  }
}

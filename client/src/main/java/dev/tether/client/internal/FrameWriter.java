package dev.tether.client.internal;

import dev.tether.api.EnvelopeCodec;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

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
 */
final class FrameWriter {
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();

  private final Connection connection;
  /**
   * Frames to write: a {@code String} (text as it is), a {@link SenderOrder.Frame} (its encoded
   * envelope with its counter; only its final fields are read here) or a {@code ByteBuffer}
   * (binary). The items themselves, without a wrapper per frame.
   */
  private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean draining = new AtomicBoolean();

  FrameWriter(Connection connection) {
    this.connection = connection;
  }

  /** Queues a text frame. */
  void text(String text) {
    queue.add(text);
  }

  /** Queues a numbered envelope, to be written with its sender-order counter. */
  void counted(SenderOrder.Frame frame) {
    queue.add(frame);
  }

  /** Queues a binary frame; {@code bytes} is ours. */
  void binary(ByteBuffer bytes) {
    queue.add(bytes);
  }

  /**
   * Writes everything queued, in order, unless another thread is writing (it writes what this one
   * queued too). A write that fails means the connection is ending; its close callback follows.
   */
  void drain() {
    while (!queue.isEmpty() && draining.compareAndSet(false, true)) {
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
        draining.set(false);
      }
    }
  }
}

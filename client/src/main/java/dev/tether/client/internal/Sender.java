package dev.tether.client.internal;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.OutboxFullException;
import dev.tether.api.TetherException;
import dev.tether.api.WireRules;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The user's sends: size checks, then either a direct write (open and flushed) or the outbox, and
 * for envelopes with a store the commit first. Runs on the caller's thread and never waits on the
 * network: a direct write is queued on the connection's {@link FrameWriter} under the lock (with
 * its sender-order counter) and written with the container's async send after it is released.
 *
 * <p>With an {@code OutboxStore}, {@code send(Envelope)} takes its turn with the other durable sends
 * ({@link StoreSync#inStoreOrder}), checks under the lock that the envelope may go, commits it
 * without the lock, then adds it to the outbox under the lock: it returns after its commit, store
 * order is outbox order, and incoming frames are never held up by the disk.
 */
final class Sender {
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();
  /** The most {@code ,"n":N} adds to an encoded envelope (N up to 19 digits). */
  private static final int COUNTER_ROOM = 24;

  private final Object lock;
  private final Lifecycle lifecycle;
  private final DeliveryTracker delivery;
  private final StoreSync store;
  private final Scheduler scheduler;
  private final Outbound outbound;
  private final WriteFlow flow;
  private final int maxMessageSize;
  private final Runnable afterUnlock;

  Sender(Object lock, Lifecycle lifecycle, DeliveryTracker delivery, StoreSync store, Scheduler scheduler,
      Outbound outbound, WriteFlow flow, int maxMessageSize, Runnable afterUnlock) {
    this.lock = lock;
    this.lifecycle = lifecycle;
    this.delivery = delivery;
    this.store = store;
    this.scheduler = scheduler;
    this.outbound = outbound;
    this.flow = flow;
    this.maxMessageSize = maxMessageSize;
    this.afterUnlock = afterUnlock;
  }

  boolean text(String text) {
    checkSize(text);
    Connection direct;
    synchronized (lock) {
      if (lifecycle.isClosedByUser()) {
        return false;
      }
      direct = lifecycle.writable();
      if (direct == null) {
        return queue(Outbox.Entry.text(text));
      }
      flow.text(direct, text);
    }
    direct.writer.drain();
    return true;
  }

  boolean binary(ByteBuffer bytes) {
    checkSize(bytes.remaining());
    Connection direct;
    synchronized (lock) {
      if (lifecycle.isClosedByUser()) {
        return false;
      }
      // Ours now: the caller may change its buffer once send returns.
      ByteBuffer copy = ByteBuffer.allocate(bytes.remaining()).put(bytes.duplicate()).flip();
      direct = lifecycle.writable();
      if (direct == null) {
        return queue(Outbox.Entry.binary(copy));
      }
      flow.binary(direct, copy);
    }
    direct.writer.drain();
    return true;
  }

  /**
   * Sends an envelope; {@code expiresAfter} (null for never) fails it if no ack came in time. An
   * envelope whose id is already waiting is not sent twice: its existing future is returned.
   */
  CompletableFuture<Ack> envelope(Envelope envelope, Duration expiresAfter) {
    String encoded = CODEC.encode(envelope);
    checkEnvelopeSize(encoded);
    Outbox.Entry entry = Outbox.Entry.envelope(envelope, encoded, new CompletableFuture<>());
    if (expiresAfter != null) {
      entry.expiresAt = scheduler.nanoTime() + expiresAfter.toNanos();
    }
    if (!store.isDurable()) {
      return enqueue(entry, false);
    }
    return store.inStoreOrder(() -> {
      synchronized (lock) {
        CompletableFuture<Ack> refused = refusal(entry);
        if (refused != null) {
          return refused;
        }
      }
      try {
        store.commit(envelope, encoded);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
      return enqueue(entry, true);
    });
  }

  /** A ping with a copy of {@code payload}, if open; written on an I/O thread. */
  void ping(ByteBuffer payload) {
    ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload.duplicate()).flip();
    Connection open;
    synchronized (lock) {
      open = lifecycle.open();
    }
    if (open != null) {
      outbound.ping(open, copy);
    }
  }

  private void checkSize(String text) {
    // chars * 3 bounds the UTF-8 size: only long texts need counting.
    if ((long) text.length() * 3 > maxMessageSize) {
      checkSize(WireRules.utf8Length(text));
    }
  }

  /**
   * Refuses an envelope that would be over the size limit once its sender-order counter is added
   * (a server would close the connection with 1009 on every attempt to send it).
   */
  private void checkEnvelopeSize(String encoded) {
    if ((long) encoded.length() * 3 + COUNTER_ROOM > maxMessageSize) {
      long bytes = WireRules.utf8Length(encoded) + COUNTER_ROOM;
      if (bytes > maxMessageSize) {
        throw new IllegalArgumentException("message > " + maxMessageSize + " bytes: " + bytes
            + " (the envelope encoded, with room for its sender-order counter)");
      }
    }
  }

  /** Refuses an outgoing message over the size limit. */
  private void checkSize(long bytes) {
    if (bytes > maxMessageSize) {
      throw new IllegalArgumentException("message > " + maxMessageSize + " bytes: " + bytes);
    }
  }

  /**
   * Queues a text or binary frame; false if the outbox is full. While the connection is open but
   * still writing what waited, the frame joins the end of that and is written within moments, so
   * the bounds do not apply: a frame sent while open is never refused, as with a direct write.
   * Guarded by lock.
   */
  private boolean queue(Outbox.Entry entry) {
    if (lifecycle.open() == null && delivery.refusal(entry) != null) {
      return false;
    }
    delivery.queue(entry);
    return true;
  }

  /** The future of an envelope that does not go into the outbox, or null if it may. Guarded by lock. */
  private CompletableFuture<Ack> refusal(Outbox.Entry entry) {
    if (lifecycle.isClosedByUser()) {
      return CompletableFuture.failedFuture(
          new TetherException("not sent: the socket was closed by close(): " + entry.envelope.id()));
    }
    Outbox.Entry waiting = delivery.waiting(entry.envelope.id());
    if (waiting != null) {
      return waiting.future;
    }
    String full = delivery.refusal(entry);
    return full == null ? null : CompletableFuture.failedFuture(new OutboxFullException(full));
  }

  /** Adds an envelope to the outbox and writes it if the connection allows; {@code committed}: stored. */
  private CompletableFuture<Ack> enqueue(Outbox.Entry entry, boolean committed) {
    Connection direct = null;
    CompletableFuture<Ack> refused;
    synchronized (lock) {
      refused = refusal(entry);
      if (refused != null && committed && !lifecycle.isClosedByUser()) {
        // The outbox filled up during the commit: not sent, so not kept. (After close() the store
        // keeps it, like every envelope close() finds waiting.)
        store.forgetLater(entry.envelope.id());
      } else if (refused == null) {
        direct = lifecycle.writable();
        if (direct != null) {
          delivery.sendNow(entry);
          flow.direct(direct, entry);
        } else {
          delivery.queue(entry);
        }
      }
    }
    if (direct != null) {
      direct.writer.drain();
    }
    afterUnlock.run();
    return refused != null ? refused : entry.future;
  }
}

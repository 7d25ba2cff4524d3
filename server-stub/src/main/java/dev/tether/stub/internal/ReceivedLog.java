package dev.tether.stub.internal;

import dev.tether.api.Envelope;
import dev.tether.stub.Received;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The frames a server received, oldest first, bounded by a count and by their size: when either is
 * passed the oldest are dropped, so that a long benchmark cannot exhaust memory. Thread-safe;
 * {@link #add} is O(1) and never blocks for long.
 *
 * <p>Cheap on the server's hot path: {@link #add(String, String, ByteBuffer, boolean, long)} keeps
 * the frame's text as the container gave it (the string the server decoded, not a copy) and
 * whether it was an envelope; the envelope is decoded again only when a test
 * {@linkplain #take takes} the frame. So a chat costs the log one small entry and no second copy of
 * what the server's history holds.
 */
public final class ReceivedLog {
  /** The size bound of {@link #ReceivedLog(int)}: frames' chars and bytes together. */
  public static final long DEFAULT_MAX_BYTES = 64L * 1024 * 1024;

  /** A frame as the server saw it; its envelope is decoded when it is taken. */
  private record Frame(String user, String text, ByteBuffer binary, boolean envelope, long n) {}

  private final int capacity;
  private final long maxBytes;
  private final Function<String, Envelope> decoder;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  /** Guarded by lock; {@link Frame}s and {@link Received}s, at most {@code capacity}. */
  private final ArrayDeque<Object> frames = new ArrayDeque<>();
  /** Guarded by lock; the size of what {@link #frames} holds. */
  private long bytes;
  /** Guarded by lock. */
  private long total;
  /** How many envelopes were decoded for {@link #take}; tests check that {@link #add} decodes none. */
  private long decodes;

  /** A log of at most {@code capacity} frames and {@link #DEFAULT_MAX_BYTES}, that cannot decode. */
  public ReceivedLog(int capacity) {
    this(capacity, DEFAULT_MAX_BYTES, text -> {
      throw new IllegalStateException("no decoder");
    });
  }

  /**
   * A log of at most {@code capacity} frames and {@code maxBytes} of them (text counted in chars),
   * the newest always kept whatever its size.
   *
   * @param decoder the envelope a text frame that was one decodes to, when it is taken
   */
  public ReceivedLog(int capacity, long maxBytes, Function<String, Envelope> decoder) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity < 1: " + capacity);
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes < 1: " + maxBytes);
    }
    this.capacity = capacity;
    this.maxBytes = maxBytes;
    this.decoder = Objects.requireNonNull(decoder, "decoder == null");
  }

  /** Adds a frame as it is. */
  public void add(Received received) {
    append(received, size(received.text(), received.binary()));
  }

  /**
   * Adds a frame: exactly one of {@code text} and {@code binary} (the log's own) is set;
   * {@code envelope} says whether the text decoded as a chat, join, leave or resume.
   */
  public void add(String user, String text, ByteBuffer binary, boolean envelope, long n) {
    append(new Frame(user, text, binary, envelope, n), size(text, binary));
  }

  private static long size(String text, ByteBuffer binary) {
    return text != null ? text.length() : binary.remaining();
  }

  private void append(Object frame, long size) {
    lock.lock();
    try {
      frames.addLast(frame);
      bytes += size;
      total++;
      while (frames.size() > capacity || (bytes > maxBytes && frames.size() > 1)) {
        Object oldest = frames.pollFirst();
        bytes -= oldest instanceof Frame f ? size(f.text(), f.binary())
            : size(((Received) oldest).text(), ((Received) oldest).binary());
      }
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Removes and returns the oldest frame, waiting up to {@code timeout} for one to arrive. */
  public Received take(Duration timeout) throws InterruptedException, TimeoutException {
    long nanos = timeout.toNanos();
    Object oldest;
    lock.lockInterruptibly();
    try {
      while (frames.isEmpty()) {
        if (nanos <= 0) {
          throw new TimeoutException(
              "no frame received within " + timeout.toMillis() + " ms (" + total + " before)");
        }
        nanos = notEmpty.awaitNanos(nanos);
      }
      oldest = frames.pollFirst();
      bytes -= oldest instanceof Frame f ? size(f.text(), f.binary())
          : size(((Received) oldest).text(), ((Received) oldest).binary());
      if (oldest instanceof Frame f && f.envelope()) {
        decodes++;
      }
    } finally {
      lock.unlock();
    }
    if (oldest instanceof Received r) {
      return r;
    }
    Frame f = (Frame) oldest;
    return new Received(f.user(), f.text(), f.binary(), f.envelope() ? decoder.apply(f.text()) : null, f.n());
  }

  public long total() {
    lock.lock();
    try {
      return total;
    } finally {
      lock.unlock();
    }
  }

  /** Envelopes decoded so far for {@link #take}. */
  long decodes() {
    lock.lock();
    try {
      return decodes;
    } finally {
      lock.unlock();
    }
  }
}

package dev.tether.deflate;

import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The receiving half of one connection's permessage-deflate: a message whose first frame has RSV1
 * is inflated frame by frame, the four tail bytes added back at its end. With the peer's context
 * takeover the connection keeps its own {@link Inflater}; without, a pooled one is borrowed for each
 * message. Inflating stops one byte past the largest message allowed, so a small frame cannot
 * inflate to gigabytes: the receiver sees a message over its limit and closes with 1009.
 *
 * <p>Frames come in order from the connection's reader; the monitor keeps {@link #close} from ending
 * an inflater in use.
 */
final class Decompressor {
  private static final byte[] TAIL = {0, 0, (byte) 0xff, (byte) 0xff};

  private final boolean contextTakeover;
  private final long maxMessageSize;
  /** Guarded by this; null if none. */
  private Inflater inflater;
  /** Guarded by this. The current message: compressed, its inflated size so far, over the limit. */
  private boolean compressed;
  private long size;
  private boolean overflow;
  private boolean closed;

  /**
   * @param contextTakeover false if the peer compresses every message on its own
   * @param maxMessageSize the largest message inflated in full, in bytes
   */
  Decompressor(boolean contextTakeover, long maxMessageSize) {
    this.contextTakeover = contextTakeover;
    this.maxMessageSize = maxMessageSize;
  }

  /**
   * The inflated payload of one data frame, or null to pass the frame on as it is (a message sent
   * uncompressed, or RSV1 on a continuation frame, which the container then fails with 1002).
   *
   * @throws DataFormatException if the frame is not valid DEFLATE data
   */
  synchronized byte[] inflate(byte[] payload, boolean first, boolean rsv1, boolean fin) throws DataFormatException {
    if (first) {
      compressed = rsv1 && !closed;
      size = 0;
      overflow = false;
    } else if (rsv1) {
      return null;
    }
    if (!compressed) {
      return null;
    }
    if (overflow) {
      return new byte[0];
    }
    if (inflater == null) {
      inflater = contextTakeover ? new Inflater(true) : ZlibPool.inflaters().take();
    }
    Sink out = new Sink(Math.max(64, Math.min(payload.length * 4, 1 << 16)));
    feed(payload, out);
    if (fin && !overflow) {
      feed(TAIL, out);
    }
    if (fin && (!contextTakeover || overflow || inflater.finished())) {
      release();
    }
    return out.toArray();
  }

  /** Inflates {@code input} into {@code out}, never past one byte over the message limit. */
  private void feed(byte[] input, Sink out) throws DataFormatException {
    inflater.setInput(input);
    while (true) {
      long room = maxMessageSize + 1 - size; // one byte past the limit: enough to tell it is over
      if (room <= 0) {
        overflow = true;
        return;
      }
      int k = inflater.inflate(out.space(room), out.n, out.free(room));
      out.n += k;
      size += k;
      if (k == 0 && (inflater.needsInput() || inflater.finished() || inflater.needsDictionary())) {
        return;
      }
    }
  }

  /** A growing output buffer. */
  private static final class Sink {
    byte[] a;
    int n;

    Sink(int initial) {
      a = new byte[initial];
    }

    /** The buffer, grown if full (by at most {@code room}). */
    byte[] space(long room) {
      if (n == a.length) {
        a = Arrays.copyOf(a, (int) Math.min(Integer.MAX_VALUE - 8, a.length + Math.min(a.length, room)));
      }
      return a;
    }

    int free(long room) {
      return (int) Math.min(a.length - n, room);
    }

    byte[] toArray() {
      return n == a.length ? a : Arrays.copyOf(a, n);
    }
  }

  private void release() {
    if (inflater == null) {
      return;
    }
    if (contextTakeover) {
      inflater.reset(); // the peer's stream restarted (BFINAL) or we gave up on it
    } else {
      ZlibPool.inflaters().giveBack(inflater);
      inflater = null;
    }
  }

  /** Ends the inflater; later messages pass as they are. Idempotent. */
  synchronized void close() {
    closed = true;
    compressed = false;
    if (inflater != null) {
      inflater.end();
      inflater = null;
    }
  }
}

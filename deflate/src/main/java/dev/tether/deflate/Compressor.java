package dev.tether.deflate;

import java.util.Arrays;
import java.util.zip.Deflater;

/**
 * The sending half of one connection's permessage-deflate: compresses each data message whose
 * first frame is at least the threshold, fragments included, into one raw DEFLATE stream. With
 * context takeover the connection keeps its own {@link Deflater}, so later messages refer back to
 * earlier ones; without, a pooled one is borrowed for each message and reset after it.
 *
 * <p>Frames of one message come in order from one sender at a time (Tyrus writes a connection's
 * data frames under its protocol lock); the monitor also keeps {@link #close} from ending a
 * deflater in use.
 */
final class Compressor {
  private final ZlibPool pool;
  private final boolean contextTakeover;
  private final int threshold;
  /** Guarded by this. Owned (context takeover) or borrowed for the current message; null if none. */
  private Deflater deflater;
  /** Guarded by this. Whether the current message is being compressed. */
  private boolean compressing;
  /** Guarded by this. */
  private boolean closed;

  /**
   * @param contextTakeover false if every message must be compressed on its own
   * @param threshold messages whose first frame is shorter are sent uncompressed
   */
  Compressor(int level, boolean contextTakeover, int threshold) {
    this.pool = ZlibPool.forLevel(level);
    this.contextTakeover = contextTakeover;
    this.threshold = threshold;
  }

  /**
   * The compressed payload of one data frame, or null to send the frame as it is.
   *
   * @param first true for a message's first frame (not a continuation): it gets RSV1
   * @param fin true for a message's last frame
   */
  synchronized byte[] compress(byte[] payload, boolean first, boolean fin) {
    if (first) {
      compressing = !closed && !(fin && payload.length < threshold);
    }
    if (!compressing) {
      return null;
    }
    if (deflater == null) {
      deflater = contextTakeover ? new Deflater(pool.level(), true) : pool.takeDeflater();
    }
    deflater.setInput(payload);
    byte[] out = new byte[payload.length + payload.length / 64 + 64];
    int n = 0;
    while (true) {
      n += deflater.deflate(out, n, out.length - n, Deflater.SYNC_FLUSH);
      if (n < out.length) {
        break; // SYNC_FLUSH with room to spare: everything is out
      }
      out = Arrays.copyOf(out, out.length * 2);
    }
    if (fin) {
      // RFC 7692 7.2.1: the last four bytes of a flushed message (00 00 ff ff) are not sent.
      if (n >= 4 && out[n - 4] == 0 && out[n - 3] == 0 && out[n - 2] == (byte) 0xff && out[n - 1] == (byte) 0xff) {
        n -= 4;
      }
      if (n == 0) {
        out[n++] = 0; // 7.2.3.6: an empty message is a single 0x00 (the tail completes the block)
      }
      if (!contextTakeover) {
        pool.giveBack(deflater);
        deflater = null;
      }
    }
    return Arrays.copyOf(out, n);
  }

  /** Ends the deflater; later messages go uncompressed. Idempotent. */
  synchronized void close() {
    closed = true;
    compressing = false;
    if (deflater != null) {
      deflater.end(); // a borrowed one may be mid-message: not fit to go back
      deflater = null;
    }
  }
}

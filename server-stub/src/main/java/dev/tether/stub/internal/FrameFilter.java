package dev.tether.stub.internal;

import java.nio.ByteBuffer;

/**
 * Follows what a client sends on a proxied WebSocket connection, its HTTP upgrade request and then
 * RFC 6455 frames, and drops whole data messages when its {@link Verdict} says so, so that what is
 * forwarded stays a valid stream the server can go on reading. A data message is a text or binary
 * frame with its continuation frames, if fragmented; control frames (close, ping, pong) always
 * pass, also between the fragments of a dropped message. The filter only looks at frame headers:
 * payloads are passed or skipped without being read, so masking and extensions do not matter to it
 * (a server with per-message compression and context takeover cannot decompress what follows a
 * dropped message, as with any loss).
 *
 * <p>Bytes may come in chunks of any size; the few bytes of a frame header that end a chunk are
 * held until the header is complete. Not thread-safe: one per connection, on the proxy's loop.
 */
final class FrameFilter {
  /** Decides, once per data message when its first frame header is complete, whether to drop it. */
  @FunctionalInterface
  interface Verdict {
    boolean drop();
  }

  private static final byte[] END_OF_REQUEST = {'\r', '\n', '\r', '\n'};
  private static final int MAX_HEADER = 14;

  private final Verdict verdict;
  /** Whether the HTTP upgrade request is behind us. */
  private boolean upgraded;
  /** How many bytes of {@link #END_OF_REQUEST} the request's last bytes matched. */
  private int matched;
  private final byte[] header = new byte[MAX_HEADER];
  /** Bytes of the current frame's header read so far. */
  private int headerLength;
  /** Payload bytes of the current frame still to pass or skip; its header is complete while > 0. */
  private long payloadLeft;
  /** Whether the current frame is dropped. */
  private boolean dropFrame;
  /** Whether the fragmented data message under way is dropped: its continuations go too. */
  private boolean dropMessage;

  FrameFilter(Verdict verdict) {
    this.verdict = verdict;
  }

  /** What of {@code in} (consumed) to forward: every byte, in order, but those of dropped frames. */
  ByteBuffer filter(ByteBuffer in) {
    ByteBuffer out = ByteBuffer.allocate(in.remaining() + MAX_HEADER);
    while (in.hasRemaining()) {
      if (!upgraded) {
        byte b = in.get();
        out.put(b);
        matched = b == END_OF_REQUEST[matched] ? matched + 1 : b == '\r' ? 1 : 0;
        upgraded = matched == END_OF_REQUEST.length;
      } else if (payloadLeft > 0) {
        int n = (int) Math.min(payloadLeft, in.remaining());
        if (!dropFrame) {
          out.put(in.slice(in.position(), n));
        }
        in.position(in.position() + n);
        payloadLeft -= n;
      } else {
        header[headerLength++] = in.get();
        int size = headerSize();
        if (size > 0 && headerLength == size) {
          decide();
          if (!dropFrame) {
            out.put(header, 0, headerLength);
          }
          payloadLeft = payloadLength();
          headerLength = 0;
        }
      }
    }
    return out.flip();
  }

  /** The current header's full size once its second byte is in, else -1. */
  private int headerSize() {
    if (headerLength < 2) {
      return -1;
    }
    int len7 = header[1] & 0x7F;
    int extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    int mask = (header[1] & 0x80) != 0 ? 4 : 0;
    return 2 + extended + mask;
  }

  private long payloadLength() {
    int len7 = header[1] & 0x7F;
    if (len7 < 126) {
      return len7;
    }
    int bytes = len7 == 126 ? 2 : 8;
    long length = 0;
    for (int i = 0; i < bytes; i++) {
      length = (length << 8) | (header[2 + i] & 0xFF);
    }
    return length;
  }

  private void decide() {
    boolean fin = (header[0] & 0x80) != 0;
    int opcode = header[0] & 0x0F;
    if (opcode == 0x0) {
      dropFrame = dropMessage;
      if (fin) {
        dropMessage = false;
      }
    } else if (opcode == 0x1 || opcode == 0x2) {
      dropFrame = verdict.drop();
      dropMessage = dropFrame && !fin;
    } else {
      dropFrame = false;
    }
  }
}

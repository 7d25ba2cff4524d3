package dev.tether.client.internal;

import java.nio.ByteBuffer;

/**
 * The payload of heartbeat pings: a 4-byte marker and the ping's sequence number. A pong carrying it
 * answers the heartbeat and is not reported to the delegate; any other pong answers a user's
 * {@code sendPing}.
 */
final class Heartbeat {
  private static final int MARKER = 0x54485442; // "THTB"
  private static final int SIZE = 12;

  private Heartbeat() {}

  static ByteBuffer payload(long sequence) {
    return ByteBuffer.allocate(SIZE).putInt(MARKER).putLong(sequence).flip();
  }

  /** The sequence number in a heartbeat pong, or 0 if {@code payload} is not one. */
  static long sequence(ByteBuffer payload) {
    if (payload.remaining() != SIZE || payload.getInt(payload.position()) != MARKER) {
      return 0;
    }
    return payload.getLong(payload.position() + 4);
  }
}

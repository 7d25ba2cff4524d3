package dev.tether.api;

import java.security.SecureRandom;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Envelope ids: RFC 9562 UUIDv7 strings. The 48-bit millisecond timestamp makes ids from different
 * runs of a process distinct and roughly time-ordered; 74 random bits keep concurrent senders apart.
 * A counter in the random field keeps ids from one process strictly increasing even within a
 * millisecond.
 */
final class EnvelopeIds {
  /** Last (timestamp << 12 | counter) handed out; guards monotonicity within a millisecond. */
  private static final AtomicLong LAST = new AtomicLong();
  /** Per-process random bits, from a strong source once, so two processes never share a stream. */
  private static final long PROCESS_RANDOM = new SecureRandom().nextLong();

  private EnvelopeIds() {}

  static String next() {
    long now = System.currentTimeMillis() << 12;
    long prev;
    long stamp;
    do {
      prev = LAST.get();
      stamp = Math.max(prev + 1, now);
    } while (!LAST.compareAndSet(prev, stamp));
    long millis = stamp >>> 12;
    long counter = stamp & 0xFFF;
    long msb = (millis << 16) | 0x7000L | counter;
    long random = PROCESS_RANDOM ^ ThreadLocalRandom.current().nextLong();
    long lsb = (random & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb).toString();
  }
}

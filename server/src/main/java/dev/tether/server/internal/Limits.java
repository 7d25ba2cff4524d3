package dev.tether.server.internal;

import java.util.Locale;
import java.util.Set;

/**
 * What a stub server accepts from its clients.
 *
 * @param maxMessageSize the largest text (in UTF-8 bytes) or binary message a connection may send;
 *     a larger one closes the connection with 1009
 * @param messagesPerSecond frames a connection may send per second, with bursts of as many; 0 for
 *     no limit
 * @param allowedOrigins the {@code Origin} header values a handshake may carry, lower case; null for
 *     any. A handshake without the header is always admitted.
 */
public record Limits(int maxMessageSize, int messagesPerSecond, Set<String> allowedOrigins) {
  /** 1 MiB, no rate limit, any origin. */
  public static final Limits DEFAULTS = new Limits(1 << 20, 0, null);

  public Limits {
    if (maxMessageSize < 1) {
      throw new IllegalArgumentException("maxMessageSize < 1: " + maxMessageSize);
    }
    if (messagesPerSecond < 0) {
      throw new IllegalArgumentException("messagesPerSecond < 0: " + messagesPerSecond);
    }
    allowedOrigins = allowedOrigins == null ? null : Set.copyOf(allowedOrigins);
  }

  /** Whether a handshake with this {@code Origin} header (null if it has none) may go on. */
  boolean admitsOrigin(String origin) {
    return origin == null || allowedOrigins == null
        || allowedOrigins.contains(origin.toLowerCase(Locale.ROOT));
  }
}

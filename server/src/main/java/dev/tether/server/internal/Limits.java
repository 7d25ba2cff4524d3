package dev.tether.server.internal;

import java.util.Objects;

/**
 * What a server accepts from its clients.
 *
 * @param maxMessageSize the largest text (in UTF-8 bytes) or binary message a connection may send;
 *     a larger one closes the connection with 1009
 * @param messagesPerSecond frames a connection may send per second, with bursts of as many; 0 for
 *     no limit
 * @param origins which {@code Origin} headers a handshake may carry
 */
public record Limits(int maxMessageSize, int messagesPerSecond, Origins origins) {
  public Limits {
    Objects.requireNonNull(origins, "origins == null");
    if (maxMessageSize < 1) {
      throw new IllegalArgumentException("maxMessageSize < 1: " + maxMessageSize);
    }
    if (messagesPerSecond < 0) {
      throw new IllegalArgumentException("messagesPerSecond < 0: " + messagesPerSecond);
    }
  }
}

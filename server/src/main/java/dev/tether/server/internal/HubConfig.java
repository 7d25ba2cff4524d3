package dev.tether.server.internal;

import dev.tether.server.Authenticator;
import dev.tether.server.RoomStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Everything a {@link Hub} is built from; validated by the public builders.
 *
 * @param store where rooms live
 * @param historyPerRoom chats of history kept per room, at least 1
 * @param historyBytesPerRoom bytes of history kept per room, at least 1 (the newest chat is always kept)
 * @param authenticator who a handshake belongs to; null to trust the {@code user} query parameter
 * @param limits message size, rate and origin limits
 * @param maxQueuedMessages the member queue's bound in frames
 * @param maxQueuedBytes the member queue's bound in bytes
 * @param maxConnections open connections allowed; more handshakes are refused with 503
 * @param handshakeTimeout how long a standalone listener gives a handshake; zero for no limit
 * @param closeTimeout how long a connection the server closes may take to go before it is aborted
 * @param tap sees frames and handshakes, for test tooling; {@link Tap#NONE} otherwise
 * @param clock stamps accepted chats
 * @param nanoTime measures time for rate limits
 * @param compression whether permessage-deflate is negotiated when a client offers it
 */
public record HubConfig(
    RoomStore store,
    int historyPerRoom,
    long historyBytesPerRoom,
    Authenticator authenticator,
    Limits limits,
    int maxQueuedMessages,
    long maxQueuedBytes,
    int maxConnections,
    Duration handshakeTimeout,
    Duration closeTimeout,
    Tap tap,
    Clock clock,
    LongSupplier nanoTime,
    boolean compression) {
  public HubConfig {
    Objects.requireNonNull(store, "store == null");
    Objects.requireNonNull(limits, "limits == null");
    Objects.requireNonNull(handshakeTimeout, "handshakeTimeout == null");
    Objects.requireNonNull(closeTimeout, "closeTimeout == null");
    Objects.requireNonNull(tap, "tap == null");
    Objects.requireNonNull(clock, "clock == null");
    Objects.requireNonNull(nanoTime, "nanoTime == null");
    if (historyPerRoom < 1) {
      throw new IllegalArgumentException("historyPerRoom < 1: " + historyPerRoom);
    }
    if (historyBytesPerRoom < 1) {
      throw new IllegalArgumentException("historyBytesPerRoom < 1: " + historyBytesPerRoom);
    }
  }
}

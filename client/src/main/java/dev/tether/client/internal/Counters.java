package dev.tether.client.internal;

import dev.tether.client.ClientStats;
import java.time.Duration;

/** The numbers behind {@code stats()}. Guarded by the socket's lock; the parts that count share it. */
final class Counters {
  long connectionsOpened;
  long resends;
  long duplicatesDropped;
  long acks;
  /** The latest round trip, heartbeat ping to pong or envelope to ack; -1 before the first. */
  long lastRttNanos = -1;

  ClientStats snapshot(int outboxDepth) {
    return new ClientStats(Math.max(0, connectionsOpened - 1), resends, duplicatesDropped, acks, outboxDepth,
        lastRttNanos < 0 ? null : Duration.ofNanos(lastRttNanos));
  }
}

package dev.tether.client;

import java.time.Duration;

/**
 * A snapshot of a client's counters, from {@link TetherClient#stats()}. Counts are since the client
 * was built. An immutable snapshot: it does not change as the client goes on.
 *
 * @param reconnects connections opened after the first one
 * @param resends envelopes written again on a new connection because the old one ended before their ack
 * @param duplicatesDropped incoming chats not passed to the delegate because they were already delivered
 * @param acks envelopes acknowledged by the server
 * @param outboxDepth messages waiting in the outbox now (queued, or written and not yet acknowledged)
 * @param lastRtt the latest round trip measured (heartbeat ping to pong, or envelope to ack); null
 *     before the first
 */
public record ClientStats(
    long reconnects, long resends, long duplicatesDropped, long acks, int outboxDepth, Duration lastRtt) {}

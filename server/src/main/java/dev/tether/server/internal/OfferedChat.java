package dev.tether.server.internal;

import dev.tether.server.internal.Outbound.Frame;

/**
 * A chat the room offered a member that could not take it yet (it was joining or replaying), held
 * until it can; its frame's bytes are reserved in the connection's member queue. Immutable.
 *
 * @param seq the chat's seq in {@code epoch}
 * @param epoch the stream it belongs to
 * @param frame its frame, as fanned out
 */
record OfferedChat(long seq, String epoch, Frame frame) {}

package dev.tether.server.internal;

import dev.tether.api.Envelope;
import java.util.ArrayDeque;

/**
 * The join, resume and leave requests of one room on one connection that came while the
 * connection's membership of the room was <em>leaving</em>: its leave is queued behind a request
 * still being worked on (a replay, say), so the membership cannot end yet. What comes after the
 * leave is for a new membership; it waits here, each request with the answer slot it took when it
 * arrived, and is performed in order once the leave is answered (see {@link Memberships}).
 *
 * <p>Guarded by the peer's {@linkplain Peer#requestsLock() requests lock}, except {@link #member},
 * which only the connection's thread touches.
 */
final class RoomRequests {
  /** A request that waits, and where its answer goes. */
  record Waiting(Envelope request, Outbound.Slot slot) {}

  final ArrayDeque<Waiting> waiting = new ArrayDeque<>(2);
  /** The membership whose leave is not answered yet; null once it is. */
  Subscription leaving;
  /** A thread is performing the waiting requests. */
  boolean draining;
  /**
   * Whether the connection is a member of the room once everything it sent is performed, for its
   * chats: a chat sent after a join is the member's, whether or not the join has been performed.
   */
  boolean member;

  void add(Envelope request, Outbound.Slot slot) {
    waiting.addLast(new Waiting(request, slot));
    member = request.type() != Envelope.Type.LEAVE;
  }
}

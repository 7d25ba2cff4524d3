package dev.tether.server.internal;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.server.RoomStore;

/**
 * Joins, resumes and leaves: makes and ends each connection's {@link Subscription}s, and keeps the
 * per-room queue of requests that wait behind a <em>leaving</em> membership. A leave that has to
 * wait (its membership is still answering a replay, say) leaves the membership in place until it
 * is answered; what the connection sends for the room meanwhile is for a new membership, so it
 * waits in the peer's {@link RoomRequests}, each request with the answer slot it took when it
 * arrived, and {@link #left} performs it in order once the leave is answered.
 *
 * <p>Threads: {@link #request} runs on the connection's thread, one frame at a time; {@link #left}
 * runs on whichever thread answered the leave (a store's, or a send thread polling a replay),
 * without locks; {@link #drop} and {@link #endAll} on tooling's and the container's threads. The
 * peer's {@linkplain Peer#requestsLock() requests lock} guards its {@link RoomRequests} and the
 * compound changes of its memberships; it is taken before a subscription's monitor, never after,
 * and the store is never called with it held. No state of its own.
 */
final class Memberships {
  private final Hub hub;
  private final Rooms rooms;
  private final RoomStore store;

  Memberships(Hub hub, Rooms rooms, RoomStore store) {
    this.hub = hub;
    this.rooms = rooms;
    this.store = store;
  }

  /**
   * A join, resume or leave from the connection's thread. While the connection's membership of the
   * room is leaving, it waits (with its answer's slot) until the leave is answered; see {@link #left}.
   */
  void request(Peer peer, Envelope request) {
    synchronized (peer.requestsLock()) {
      RoomRequests waiting = peer.requests(request.room());
      if (waiting != null) {
        waiting.add(request, peer.outbound().slot());
        return;
      }
    }
    perform(peer, request, null);
  }

  /**
   * A leaving membership answered its leave and ended (called without locks): the requests that
   * came for the room after the leave are performed now, in order, until one of them leaves
   * again and waits.
   */
  void left(Subscription sub) {
    Peer peer = sub.peer();
    RoomRequests waiting;
    synchronized (peer.requestsLock()) {
      peer.unsubscribe(sub);
      waiting = peer.requests(sub.room());
      if (waiting == null || waiting.leaving != sub) {
        return;
      }
      waiting.leaving = null;
      if (waiting.draining) {
        return; // the thread performing them goes on
      }
      waiting.draining = true;
    }
    while (true) {
      RoomRequests.Waiting next;
      synchronized (peer.requestsLock()) {
        if (waiting.leaving != null) {
          waiting.draining = false; // a leave waits again; its end goes on from here
          return;
        }
        next = waiting.waiting.pollFirst();
        if (next == null) {
          peer.releaseRequests(sub.room());
          return;
        }
      }
      perform(peer, next.request(), next.slot());
    }
  }

  /**
   * Ends {@code peer}'s membership of {@code room} without a word to it (for tooling); false if it
   * has none.
   */
  boolean drop(Peer peer, String room) {
    Subscription sub = peer.subscription(room);
    if (sub == null) {
      return false;
    }
    rooms.unregister(sub);
    synchronized (peer.requestsLock()) {
      peer.unsubscribe(sub);
    }
    sub.end();
    return true;
  }

  /** The connection closed: every membership of it ends. */
  void endAll(Peer peer) {
    for (Subscription sub : peer.subscriptions()) {
      rooms.unregister(sub);
      sub.end();
    }
  }

  /** Performs a join, resume or leave; {@code slot}: where its answer goes, or null to take a place now. */
  private void perform(Peer peer, Envelope request, Outbound.Slot slot) {
    switch (request.type()) {
      case JOIN -> join(peer, request, slot);
      case RESUME -> resume(peer, request, slot);
      case LEAVE -> leave(peer, request, slot);
      case CHAT -> throw new IllegalArgumentException("not a request: " + request);
    }
  }

  private void join(Peer peer, Envelope join, Outbound.Slot slot) {
    Subscription sub = peer.subscription(join.room());
    if (sub != null) {
      sub.join(join.id(), slot);
      return;
    }
    sub = subscribe(peer, join.room());
    if (sub != null) {
      sub.startJoin(join.id(), slot);
    }
  }

  private void resume(Peer peer, Envelope resume, Outbound.Slot slot) {
    Subscription sub = peer.subscription(resume.room());
    if (sub != null) {
      sub.resume(resume.id(), resume.seq(), resume.epoch(), slot);
      return;
    }
    sub = subscribe(peer, resume.room());
    if (sub != null) {
      sub.startResume(resume.id(), resume.seq(), resume.epoch(), slot);
    }
  }

  /** A new membership, registered with its room; null if the connection closed meanwhile. */
  private Subscription subscribe(Peer peer, String room) {
    Subscription sub = new Subscription(peer, room, hub);
    peer.subscribe(sub);
    rooms.register(sub);
    if (!hub.isOpen(peer)) {
      // The connection closed while we were joining: don't leave a dead member behind.
      rooms.unregister(sub);
      sub.end();
      return null;
    }
    return sub;
  }

  private void leave(Peer peer, Envelope leave, Outbound.Slot slot) {
    Subscription sub = peer.subscription(leave.room());
    if (sub != null) {
      rooms.unregister(sub);
      synchronized (peer.requestsLock()) {
        if (sub.leave(leave.id(), slot)) {
          peer.unsubscribe(sub);
        } else {
          // Leaving: what comes for the room from now on waits until the leave is answered.
          peer.holdRequests(leave.room(), sub);
        }
      }
      return;
    }
    PendingAnswer answer = slot == null ? new PendingAnswer(peer) : new PendingAnswer(peer, slot);
    store.state(leave.room()).whenComplete((state, error) -> {
      if (error != null) {
        hub.closings().storeFailed(peer, "read " + leave.room(), error);
      } else {
        answer.answer(state.map(st -> new Ack(leave.id(), st.lastSeq(), st.epoch()))
            .orElseGet(() -> new Ack(leave.id(), 0)));
      }
    });
    answer.returned();
  }
}

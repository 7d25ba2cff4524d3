package dev.tether.server.internal;

import dev.tether.api.Ack;
import dev.tether.api.Wire;
import dev.tether.server.RoomStore;
import dev.tether.server.internal.Outbound.Frame;
import dev.tether.server.internal.Outbound.Slot;
import java.util.ArrayDeque;
import java.util.concurrent.CompletionStage;

/**
 * One connection's membership of one room, as a small state machine that decides which of the
 * room's chats this member gets, and when. It is what keeps "every chat once, in seq order, nothing
 * overtaking a replay" without holding a lock across store reads:
 * <pre>
 *   OPENING ──(store says the room is at seq L of epoch E)──▶ LIVE(E, position L)
 *   LIVE ──resume──▶ REPLAYING ──(history read up to the live chats)──▶ LIVE
 *   any ──leave / connection closed──▶ ENDED
 * </pre>
 * The member is registered with its room before the store is asked anything, and every chat the
 * room fans out is {@linkplain #offer offered} to it, by seq; while OPENING or REPLAYING the offered
 * chats are held back (they count against the connection's member queue), and a chat at or below
 * the member's position is dropped as already had. So a chat committed before a store read is in
 * that read, and one committed after it is offered after registration; either way it arrives once.
 *
 * <p><b>Epochs.</b> The position belongs to an epoch, the room's stream (see {@link RoomStore}). A
 * chat of another epoch with seq 1 starts a new stream (the store lost the room's state while this
 * member stayed): the position becomes 0 of that epoch and the chat is delivered, carrying its
 * epoch, which tells the client. A chat of another epoch with a higher seq cannot be placed: the
 * connection is closed (1011), and the client's resume names its epoch and gets
 * {@code epoch_changed} and the whole new stream. Nothing is dropped silently.
 *
 * <p><b>Answers.</b> Requests of the same room on one connection (join, resume, leave) are answered
 * in the order they came: one waits until the one before it is done. A leave that waits makes the
 * membership <em>leaving</em>: it gets no more live chats, and what the connection sends for the
 * room after the leave waits in the peer's {@link RoomRequests} until the leave is answered, then
 * goes to a new membership (see {@link Memberships#left}). An answer given at once goes
 * to the end of the connection's queue; one that waits took a {@link Slot} when its frame arrived,
 * so that the connection's answers keep their receipt order. A waiting join or leave is answered,
 * and a waiting resume started, under the same lock hold that ends the request before it: no chat
 * of the room slips between them, so an ack's seq always matches the chats queued before it.
 *
 * <p><b>Protocol v2: the sender's ack stands for its copy</b> while the member is LIVE; its
 * {@link OwnChats} keep that ack in the copy's place in the room's order.
 *
 * <p>The parts: the member's place in the stream is a {@link StreamPosition}; a resume is a
 * {@link Replay}; the v2 own-chat slots are {@link OwnChats}. This class keeps the states, the
 * requests' order and the chats held while OPENING.
 *
 * <p>Threads and locking: requests come from the connection's thread (or, for requests that
 * waited behind a leave, from whichever thread answered it); {@link #offer} from the store's
 * threads in seq order, with the room's lock held (and, for a store that answers inline, the
 * store's): it only queues. This object's monitor guards the state, and that of its position, its
 * replay and its own chats. The store is never called with this lock held, nor the hub's
 * {@link Memberships} (whose requests lock is taken before this one, never after).
 */
final class Subscription {
  private enum State { OPENING, REPLAYING, LIVE, ENDED }

  private sealed interface Request permits Join, Resume, Leave {}

  private record Join(String id, Slot slot) implements Request {}

  private record Resume(String id, long after, String epoch, Slot slot) implements Request {}

  private record Leave(String id, Slot slot) implements Request {}

  private final Peer peer;
  private final String room;
  private final Hub hub;

  /** Guarded by this. */
  private State state = State.OPENING;
  /** Guarded by this; LIVE: the epoch and seq of the newest chat queued to the member. */
  private final StreamPosition position = new StreamPosition();
  /** Guarded by this; chats offered while OPENING, counted in the member queue. */
  private final ArrayDeque<OfferedChat> held = new ArrayDeque<>(0);
  /** Guarded by this; where the opening join's answer goes while OPENING. */
  private Slot opening;
  /** Guarded by this; the replay in progress while REPLAYING. */
  private Replay replay;
  /** Guarded by this; requests waiting for the current one. */
  private final ArrayDeque<Request> waiting = new ArrayDeque<>(0);
  /** Guarded by this; a request is being worked on (OPENING or REPLAYING, or between steps). */
  private boolean busy;
  /** Guarded by this; the first store read has been issued: chats no longer wait for it. */
  private boolean openIssued;
  /** Guarded by this; chats of this connection waiting for the first store read to be issued. */
  private final ArrayDeque<Runnable> afterOpen = new ArrayDeque<>(0);
  /** The hub's room this membership was added to; set once, before the first request. */
  private volatile Room home;
  /** Guarded by this; protocol v2: the answer slots of this connection's chats of the room. */
  private final OwnChats own;

  Subscription(Peer peer, String room, Hub hub) {
    this.peer = peer;
    this.room = room;
    this.hub = hub;
    this.own = new OwnChats(peer.outbound(), position);
  }

  String room() {
    return room;
  }

  Peer peer() {
    return peer;
  }

  Room home() {
    return home;
  }

  void home(Room room) {
    this.home = room;
  }

  /**
   * Runs {@code append} (a chat of this connection to this room) once the membership's first store
   * read has been issued, so that the store sees the read first and the member gets its own chat;
   * at once if it has been. With a store that answers reads inline that is always the case by the
   * time a chat arrives; with a shared store the first read waits until the room is followed.
   */
  void afterOpen(Runnable append) {
    synchronized (this) {
      if (!openIssued) {
        afterOpen.addLast(append);
        return;
      }
    }
    append.run();
  }

  /**
   * Reads the room's state for this membership's join or resume (see {@link Rooms#open}); the
   * chats that waited for the read to be issued go once it is. Call without the lock.
   */
  CompletionStage<RoomStore.RoomState> readRoom() {
    return hub.rooms().open(this, this::openIssued);
  }

  /** The first store read was issued: the chats that waited for it go, in order. */
  private void openIssued() {
    while (true) {
      Runnable next;
      synchronized (this) {
        next = afterOpen.pollFirst();
        if (next == null) {
          openIssued = true;
          return;
        }
      }
      next.run();
    }
  }

  /**
   * The first request of a new subscription: join. Call after registering with the room.
   * {@code slot}: where the answer goes, taken when the join arrived; null to take one now.
   */
  void startJoin(String id, Slot slot) {
    Slot place;
    synchronized (this) {
      busy = true;
      place = slot != null ? slot : peer.outbound().slot();
      opening = place;
    }
    readRoom().whenComplete((roomState, error) -> {
      if (error != null) {
        hub.closings().storeFailed(peer, "open " + room, error);
        return;
      }
      opened(id, place, roomState);
    });
  }

  /** The first request of a new subscription: resume. Call after registering with the room. */
  void startResume(String id, long after, String resumeEpoch, Slot slot) {
    Replay r;
    synchronized (this) {
      busy = true;
      r = startReplayLocked(id, after, resumeEpoch, slot != null ? slot : peer.outbound().slot());
    }
    r.begin();
  }

  /** A further join of a room this connection already is a member of. */
  void join(String id, Slot slot) {
    synchronized (this) {
      if (state == State.ENDED) {
        return;
      }
      if (busy) {
        waiting.addLast(new Join(id, slot != null ? slot : peer.outbound().slot()));
        return;
      }
      answerNow(slot, ack(id));
    }
  }

  /** A further resume of a room this connection already is a member of. */
  void resume(String id, long after, String resumeEpoch, Slot slot) {
    Replay r;
    synchronized (this) {
      if (state == State.ENDED) {
        return;
      }
      Slot place = slot != null ? slot : peer.outbound().slot();
      if (busy) {
        waiting.addLast(new Resume(id, after, resumeEpoch, place));
        return;
      }
      busy = true;
      r = startReplayLocked(id, after, resumeEpoch, place);
    }
    r.begin();
  }

  /**
   * Leave: the connection is no longer a member; acked once requests before it are answered.
   * Returns true if the membership ended now; false if the leave waits behind another request
   * (the membership is <em>leaving</em>), in which case {@link Memberships#left} is told once it ends.
   */
  boolean leave(String id, Slot slot) {
    synchronized (this) {
      if (state == State.ENDED) {
        return true;
      }
      if (busy) {
        waiting.addLast(new Leave(id, slot != null ? slot : peer.outbound().slot()));
        return false;
      }
      answerNow(slot, ack(id));
      endLocked();
      return true;
    }
  }

  /** An answer given at once: at the end of the connection's queue, or into the slot taken for it. */
  private void answerNow(Slot slot, Ack ack) {
    if (slot == null) {
      peer.reply(ack);
    } else {
      answer(slot, ack);
    }
  }

  /** The connection closed: nothing more is sent. */
  synchronized void end() {
    endLocked();
  }

  /**
   * Protocol v2: the store call for a chat this connection sent returned before the store answered;
   * the answer's place in the connection's queue. While the member is LIVE, chats the room offers
   * until the answer comes go into it, ahead of the ack.
   */
  synchronized Slot ownSlot() {
    return own.take(state == State.LIVE);
  }

  /**
   * Protocol v2: queues the answer to a chat this connection sent, into {@code slot} (from
   * {@link #ownSlot}), or at the end of the queue if null (the store answered before its call
   * returned). Either {@code plain} (a duplicate's ack) or {@code full}, the ack carrying a chat
   * accepted now, which is sent if every chat of the room before it that this member gets is
   * queued ahead of it (then the chat's copy is not sent to this member), else in its plain form
   * (id and seq: an ack the copy follows).
   */
  synchronized void answerOwn(Slot slot, Wire plain, Ack full) {
    own.answer(slot, plain, full, state == State.LIVE);
  }

  /** The answer to a join or leave now: the member's position and its epoch. */
  private Ack ack(String id) {
    return new Ack(id, position.seq(), position.epoch());
  }

  /**
   * The current request is done (the member is LIVE): answers the waiting joins and leaves, and
   * starts a waiting resume, all under the lock held since the request ended. Returns what to do
   * once the lock is released: {@linkplain Replay#begin begin} the replay, or tell the hub that a
   * waiting leave ended the membership; null for nothing.
   */
  private Runnable advanceLocked() {
    while (true) {
      Request request = state == State.ENDED ? null : waiting.pollFirst();
      if (request == null) {
        busy = false;
        return null;
      }
      if (request instanceof Join join) {
        answer(join.slot(), ack(join.id()));
      } else if (request instanceof Leave leave) {
        answer(leave.slot(), ack(leave.id()));
        endLocked();
        return () -> hub.memberships().left(this);
      } else if (request instanceof Resume resume) {
        return startReplayLocked(resume.id(), resume.after(), resume.epoch(), resume.slot())::begin;
      }
    }
  }

  private void answer(Slot slot, Ack ack) {
    peer.outbound().add(slot, Frame.text(Hub.encode(ack), true));
    peer.outbound().finish(slot);
  }

  private void opened(String id, Slot slot, RoomStore.RoomState roomState) {
    boolean hole = false;
    Runnable next = null;
    synchronized (this) {
      if (state == State.ENDED) {
        return;
      }
      opening = null;
      position.moveTo(roomState.epoch(), roomState.lastSeq());
      state = State.LIVE;
      Outbound out = peer.outbound();
      out.add(slot, Frame.text(Hub.encode(ack(id)), true));
      for (OfferedChat h; (h = held.pollFirst()) != null; ) {
        StreamPosition.Admit admit = position.admit(h.seq(), h.epoch());
        if (admit == StreamPosition.Admit.DELIVER) {
          out.addReserved(slot, h.frame());
        } else {
          out.release(h.frame().bytes());
          if (admit == StreamPosition.Admit.HOLE) {
            hole = true;
            break;
          }
        }
      }
      out.finish(slot);
      if (!hole) {
        next = advanceLocked();
      }
    }
    if (hole) {
      hub.closings().fanOutHole(peer, room);
    } else if (next != null) {
      next.run();
    }
  }

  /**
   * A chat the room fans out. Called in seq order for the room, with the room's lock held.
   */
  void offer(long seq, String chatEpoch, String frame, long bytes) {
    boolean hole = false;
    synchronized (this) {
      switch (state) {
        case ENDED -> {
          return;
        }
        case LIVE -> {
          StreamPosition.Admit admit = position.admit(seq, chatEpoch);
          if (admit == StreamPosition.Admit.DELIVER) {
            own.deliver(frame, bytes);
          }
          hole = admit == StreamPosition.Admit.HOLE;
        }
        case OPENING -> {
          Frame f = Frame.text(frame, bytes);
          if (peer.outbound().reserve(f.bytes())) {
            held.addLast(new OfferedChat(seq, chatEpoch, f));
          }
        }
        case REPLAYING -> replay.offerLocked(seq, chatEpoch, frame, bytes);
      }
    }
    if (hole) {
      hub.closings().fanOutHole(peer, room);
    }
  }

  /** Whether {@code r} is this membership's replay in progress; requires the lock. */
  boolean replaysLocked(Replay r) {
    return replay == r;
  }

  /**
   * The replay sent its ack and every chat it held: the member is LIVE at the position the replay
   * moved it to. Requires the lock; returns what to do once it is released (see
   * {@link #advanceLocked}).
   */
  Runnable replayedLocked() {
    replay = null;
    state = State.LIVE;
    return advanceLocked();
  }

  private Replay startReplayLocked(String id, long after, String resumeEpoch, Slot slot) {
    state = State.REPLAYING;
    own.clear(); // their acks will be plain: the copies come with the replay
    replay = new Replay(this, position, hub, id, after, resumeEpoch, slot);
    peer.outbound().feed(slot, replay);
    return replay;
  }

  private void endLocked() {
    state = State.ENDED;
    own.clear();
    Outbound out = peer.outbound();
    for (OfferedChat h; (h = held.pollFirst()) != null; ) {
      out.release(h.frame().bytes());
    }
    if (opening != null) {
      out.finish(opening);
      opening = null;
    }
    if (replay != null) {
      replay.releaseLocked();
      replay = null;
    }
    // Nothing behind an unanswered request may wait for it forever.
    for (Request r; (r = waiting.pollFirst()) != null; ) {
      out.finish(r instanceof Join j ? j.slot() : r instanceof Leave l ? l.slot() : ((Resume) r).slot());
    }
    busy = false;
  }
}

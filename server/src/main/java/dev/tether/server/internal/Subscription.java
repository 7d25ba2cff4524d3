package dev.tether.server.internal;

import dev.tether.api.Ack;
import dev.tether.api.ErrorReply;
import dev.tether.api.Wire;
import dev.tether.server.RoomStore;
import dev.tether.server.internal.Outbound.Frame;
import dev.tether.server.internal.Outbound.Slot;
import java.util.ArrayDeque;

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
 * <p><b>Protocol v2: the sender's ack stands for its copy.</b> On a v2 connection the ack of a
 * chat the connection sent carries what the server stamped on it, and the connection gets no copy
 * of the chat: the client delivers its chat from the ack. So the ack must take the copy's place in
 * the room's order: every chat of the room before it that this member gets must come before it.
 * The ack goes where the connection's answers go (at the end of the queue if the store answered at
 * once, else into the slot taken when the store call returned), and chats the room offers while an
 * own chat's slot waits go into that slot, ahead of the ack. Where that cannot hold (the member is
 * joining or replaying, or an earlier own chat still waits) the ack is the plain one and the copy
 * is sent, as in v1.
 *
 * <p>Locking: this object's monitor guards the state. {@link #offer} is called with the room's lock
 * held (and, for a store that answers inline, the store's); it only queues. The store is never
 * called with this lock held.
 */
final class Subscription {
  /** History chats read per store call during a replay, at most. */
  static final int PAGE = 100;

  /**
   * Bytes of history frames read per store call during a replay, at most (but one chat at least):
   * half the member queue's bytes, so that a replay never holds much more than its connection may
   * have queued. These frames are not counted in the member queue.
   */
  static long pageBytes(HubConfig config) {
    return Math.max(1, config.maxQueuedBytes() / 2);
  }

  private enum State { OPENING, REPLAYING, LIVE, ENDED }

  /** What to do with an offered chat, given the member's epoch and position. */
  private enum Admit { DROP, DELIVER, HOLE }

  private sealed interface Request permits Join, Resume, Leave {}

  private record Join(String id, Slot slot) implements Request {}

  private record Resume(String id, long after, String epoch, Slot slot) implements Request {}

  private record Leave(String id, Slot slot) implements Request {}

  /** A chat offered while the member could not take it yet; counted in the member queue. */
  private record Held(long seq, String epoch, Frame frame) {}

  private final Peer peer;
  private final String room;
  private final Hub hub;

  /** Guarded by this. */
  private State state = State.OPENING;
  /** Guarded by this; LIVE: the epoch of {@link #position}. */
  private String epoch;
  /** Guarded by this; LIVE: the seq of the newest chat queued to the member. */
  private long position;
  /** Guarded by this; chats offered while OPENING. */
  private final ArrayDeque<Held> held = new ArrayDeque<>(0);
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
  /**
   * Guarded by this; protocol v2, while LIVE: the answer slots of this connection's chats of the
   * room that the store has not answered yet, oldest first. Chats offered meanwhile go into the
   * first, ahead of its ack (see {@link #answerOwn}).
   */
  private final ArrayDeque<Slot> ownSlots = new ArrayDeque<>(0);
  /** Guarded by this; protocol v2: the seq and epoch of the own chat whose ack stood for it (0: none). */
  private long standingSeq;
  private String standingEpoch;

  Subscription(Peer peer, String room, Hub hub) {
    this.peer = peer;
    this.room = room;
    this.hub = hub;
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
    hub.rooms().open(this, this::openIssued).whenComplete((roomState, error) -> {
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
    Slot slot = peer.outbound().slot();
    if (state == State.LIVE) {
      ownSlots.addLast(slot);
    }
    return slot;
  }

  /**
   * Protocol v2: queues the answer to a chat this connection sent, into {@code slot} (from
   * {@link #ownSlot}), or at the end of the queue if null (the store answered before its call
   * returned). {@code full}, the ack carrying the chat, if the chat was accepted now and every chat
   * of the room before it that this member gets is queued ahead of it: then the chat's copy is not
   * sent to this member. Otherwise {@code plain} (a duplicate's ack, or an ack the copy follows).
   */
  synchronized void answerOwn(Slot slot, Wire plain, Ack full) {
    boolean first = slot == null ? ownSlots.isEmpty() : ownSlots.peekFirst() == slot;
    if (slot != null) {
      ownSlots.remove(slot);
    }
    boolean stands = full != null && state == State.LIVE && first;
    if (stands) {
      standingSeq = full.seq();
      standingEpoch = full.epoch();
    }
    Frame frame = Frame.text(Hub.encode(stands ? full : plain), true);
    if (slot == null) {
      peer.outbound().enqueue(frame);
    } else {
      peer.outbound().add(slot, frame);
      peer.outbound().finish(slot);
    }
  }

  /** The answer to a join or leave now: the member's position and its epoch. */
  private Ack ack(String id) {
    return new Ack(id, position, epoch);
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
      epoch = roomState.epoch();
      position = roomState.lastSeq();
      state = State.LIVE;
      Outbound out = peer.outbound();
      out.add(slot, Frame.text(Hub.encode(ack(id)), true));
      for (Held h; (h = held.pollFirst()) != null; ) {
        Admit admit = admitLocked(h.seq(), h.epoch());
        if (admit == Admit.DELIVER) {
          out.addReserved(slot, h.frame());
        } else {
          out.release(h.frame().bytes());
          if (admit == Admit.HOLE) {
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
   * Where an offered chat of {@code chatEpoch} and {@code seq} stands against the member's epoch
   * and position, moving them on for a chat to deliver. Requires the lock and a known epoch.
   */
  private Admit admitLocked(long seq, String chatEpoch) {
    if (!chatEpoch.equals(epoch)) {
      if (seq != 1) {
        return Admit.HOLE;
      }
      // The store started the room anew while this member stayed: a new stream, from its start.
      epoch = chatEpoch;
      position = 0;
    }
    if (seq <= position) {
      return Admit.DROP;
    }
    if (seq == position + 1) {
      position = seq;
      return Admit.DELIVER;
    }
    return Admit.HOLE;
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
          Admit admit = admitLocked(seq, chatEpoch);
          if (admit == Admit.DELIVER) {
            if (seq == standingSeq && chatEpoch.equals(standingEpoch)) {
              standingSeq = 0; // v2: the sender's ack stood for this copy
              standingEpoch = null;
            } else if (!ownSlots.isEmpty()) {
              peer.outbound().add(ownSlots.peekFirst(), Frame.text(frame, bytes));
            } else {
              peer.outbound().enqueue(Frame.text(frame, bytes));
            }
          }
          hole = admit == Admit.HOLE;
        }
        case OPENING -> {
          Frame f = Frame.text(frame, bytes);
          if (peer.outbound().reserve(f.bytes())) {
            held.addLast(new Held(seq, chatEpoch, f));
          }
        }
        case REPLAYING -> replay.offerLocked(seq, chatEpoch, frame, bytes);
      }
    }
    if (hole) {
      hub.closings().fanOutHole(peer, room);
    }
  }

  private Replay startReplayLocked(String id, long after, String resumeEpoch, Slot slot) {
    state = State.REPLAYING;
    ownSlots.clear(); // their acks will be plain: the copies come with the replay
    replay = new Replay(id, after, resumeEpoch, slot);
    peer.outbound().feed(slot, replay);
    return replay;
  }

  private void endLocked() {
    state = State.ENDED;
    ownSlots.clear();
    Outbound out = peer.outbound();
    for (Held h; (h = held.pollFirst()) != null; ) {
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

  /**
   * One resume: reads the history page by page as the connection takes it, then the chats offered
   * meanwhile, then the ack; the source of its answer's slot in the connection's {@link Outbound}.
   * Guarded by the subscription's monitor.
   */
  private final class Replay implements Outbound.Source {
    private final String id;
    /** The seq the client resumes after, in the client's epoch. */
    private final long after;
    /** The epoch the client's {@code after} belongs to; null for a client without epochs. */
    private final String resumeEpoch;
    private final Slot slot;
    /** The stream replayed: the room's epoch when the replay read it. */
    private String streamEpoch;
    /** What is replayed comes after this seq of {@link #streamEpoch}: {@code after}, or 0 for a new stream. */
    private long from;
    /** The newest seq accounted for: put into {@link #frames}, reported as a gap, or {@link #from}. */
    private long cursor;
    private boolean firstPage = true;
    /** True from the start: nothing is read before {@link #begin} knows the room's epoch. */
    private boolean fetching = true;
    private boolean finished;
    /** Epoch and gap errors, history chats and finally the ack, in order; not counted in the member queue. */
    private final ArrayDeque<Frame> frames = new ArrayDeque<>();
    /** Chats offered during the replay, counted in the member queue. */
    private final ArrayDeque<Held> live = new ArrayDeque<>(0);

    Replay(String id, long after, String resumeEpoch, Slot slot) {
      this.id = id;
      this.after = after;
      this.resumeEpoch = resumeEpoch;
      this.slot = slot;
    }

    /** Creates the room if needed, then reads the first page. Call without the lock. */
    void begin() {
      hub.rooms().open(Subscription.this, Subscription.this::openIssued).whenComplete((roomState, error) -> {
        if (error != null) {
          hub.closings().storeFailed(peer, "open " + room, error);
          return;
        }
        synchronized (Subscription.this) {
          if (replay != this) {
            return;
          }
          replayLocked(roomState.epoch());
        }
        fetch();
      });
    }

    /** Replays the stream {@code e}: from the client's seq if it is the client's stream, else from 0. */
    private void replayLocked(String e) {
      streamEpoch = e;
      from = resumeEpoch != null && !resumeEpoch.equals(e) ? 0 : after;
      cursor = from;
    }

    private void fetch() {
      long next;
      synchronized (Subscription.this) {
        if (replay != this) {
          return;
        }
        next = cursor;
      }
      hub.store().history(room, next, PAGE, pageBytes(hub.config())).whenComplete((page, error) -> {
        if (error != null) {
          hub.closings().storeFailed(peer, "read history of " + room, error);
          return;
        }
        onPage(page);
      });
    }

    private void onPage(RoomStore.History page) {
      boolean again = false;
      boolean reset = false;
      synchronized (Subscription.this) {
        if (replay != this) {
          return;
        }
        String pageEpoch = page.epoch() != null ? page.epoch() : streamEpoch;
        if (!pageEpoch.equals(streamEpoch)) {
          if (firstPage) {
            // The room started anew between the open and this read: replay that stream instead.
            replayLocked(pageEpoch);
            again = true;
          } else {
            reset = true;
          }
        } else {
          fetching = false;
          takePageLocked(page);
        }
      }
      if (reset) {
        // The stream changed under a replay half sent: the client resumes again and learns of it.
        hub.closings().fanOutHole(peer, room);
      } else if (again) {
        fetch();
      } else {
        peer.outbound().wake();
      }
    }

    private void takePageLocked(RoomStore.History page) {
      if (firstPage) {
        firstPage = false;
        if (resumeEpoch != null && !resumeEpoch.equals(streamEpoch)) {
          frames.addLast(Frame.text(Hub.encode(ErrorReply.epochChanged(id, room, resumeEpoch, streamEpoch)), false));
        }
        // Not "first > from + 1": from may be Long.MAX_VALUE.
        if (page.firstSeq() > 0 && from < page.firstSeq() - 1) {
          frames.addLast(gap(from + 1, page.firstSeq() - 1));
          cursor = page.firstSeq() - 1;
        }
      }
      for (RoomStore.StoredChat chat : page.chats()) {
        if (chat.seq() <= cursor) {
          continue;
        }
        if (chat.seq() > cursor + 1) {
          // Trimmed between two pages: the history moved on while the member read it.
          frames.addLast(gap(cursor + 1, chat.seq() - 1));
        }
        frames.addLast(Frame.text(chat.frame(), false));
        cursor = chat.seq();
      }
      Held firstLive = live.peekFirst();
      boolean caughtUp = firstLive != null && firstLive.epoch().equals(streamEpoch)
          && cursor >= firstLive.seq() - 1;
      // The page ends where the history did when it was read, or it was cut short (by count or
      // bytes) and the next page follows.
      if (caughtUp || page.chats().isEmpty() || cursor >= page.lastSeq()) {
        long ackSeq = caughtUp ? cursor : page.lastSeq();
        epoch = streamEpoch;
        position = ackSeq;
        finished = true;
        frames.addLast(Frame.text(Hub.encode(new Ack(id, ackSeq, streamEpoch)), false));
        hub.countResume();
      }
    }

    private Frame gap(long first, long last) {
      hub.countGap();
      return Frame.text(Hub.encode(ErrorReply.historyGap(id, room, first, last)), false);
    }

    /** A live chat during the replay; called with the subscription's lock held. */
    void offerLocked(long seq, String chatEpoch, String frame, long bytes) {
      if (finished && frames.isEmpty() && live.isEmpty() && chatEpoch.equals(epoch) && seq <= position) {
        return;
      }
      Frame f = Frame.text(frame, bytes);
      if (peer.outbound().reserve(f.bytes())) {
        live.addLast(new Held(seq, chatEpoch, f));
      }
    }

    @Override
    public Frame poll() {
      Frame frame;
      boolean fetchNow = false;
      boolean hole = false;
      Runnable next = null;
      synchronized (Subscription.this) {
        if (replay != this) {
          return null;
        }
        frame = frames.pollFirst();
        if (frame == null && finished) {
          for (Held h; (h = live.pollFirst()) != null; ) {
            Admit admit = admitLocked(h.seq(), h.epoch());
            if (admit == Admit.DELIVER) {
              frame = h.frame();
              break;
            }
            peer.outbound().release(h.frame().bytes());
            if (admit == Admit.HOLE) {
              hole = true;
              break;
            }
          }
          if (frame == null && !hole) {
            replay = null;
            state = State.LIVE;
            peer.outbound().finish(slot);
            next = advanceLocked();
          }
        } else if (frame == null && !fetching) {
          fetching = true;
          fetchNow = true;
        }
      }
      if (hole) {
        hub.closings().fanOutHole(peer, room);
      } else if (fetchNow) {
        fetch();
      } else if (next != null) {
        next.run();
      }
      return frame;
    }

    @Override
    public boolean hasMore() {
      synchronized (Subscription.this) {
        return replay == this && (!frames.isEmpty() || finished);
      }
    }

    void releaseLocked() {
      for (Held h; (h = live.pollFirst()) != null; ) {
        peer.outbound().release(h.frame().bytes());
      }
      frames.clear();
      peer.outbound().finish(slot);
    }
  }
}

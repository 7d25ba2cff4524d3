package dev.tether.server.internal;

import dev.tether.api.Ack;
import dev.tether.api.ErrorReply;
import dev.tether.server.RoomStore;
import dev.tether.server.internal.Outbound.Frame;
import java.util.ArrayDeque;

/**
 * One connection's membership of one room, as a small state machine that decides which of the
 * room's chats this member gets, and when. It is what keeps "every chat once, in seq order, nothing
 * overtaking a replay" without holding a lock across store reads:
 * <pre>
 *   OPENING ──(store says the room is at seq L)──▶ LIVE(position L)
 *   LIVE ──resume──▶ REPLAYING ──(history read up to the live chats)──▶ LIVE
 *   any ──leave / connection closed──▶ ENDED
 * </pre>
 * The member is registered with its room before the store is asked anything, and every chat the
 * room fans out is {@linkplain #offer offered} to it, by seq; while OPENING or REPLAYING the offered
 * chats are held back (they count against the connection's member queue), and a chat at or below
 * the member's position is dropped as already had. So a chat committed before a store read is in
 * that read, and one committed after it is offered after registration; either way it arrives once.
 *
 * <p>Requests of the same room on one connection (join, resume, leave) are answered in the order
 * they came: one waits until the one before it is done.
 *
 * <p>Locking: this object's monitor guards the state. {@link #offer} is called with the room's lock
 * held (and, for a store that answers inline, the store's); it only queues. The store is never
 * called with this lock held.
 */
final class Subscription {
  /** History chats read per store call during a replay. */
  static final int PAGE = 100;

  private enum State { OPENING, REPLAYING, LIVE, ENDED }

  private sealed interface Request permits Join, Resume, Leave {}

  private record Join(String id) implements Request {}

  private record Resume(String id, long after) implements Request {}

  private record Leave(String id) implements Request {}

  /** A chat offered while the member could not take it yet; counted in the member queue. */
  private record Held(long seq, Frame frame) {}

  private final Peer peer;
  private final String room;
  private final Hub hub;

  /** Guarded by this. */
  private State state = State.OPENING;
  /** Guarded by this; LIVE: the seq of the newest chat queued to the member. */
  private long position;
  /** Guarded by this; chats offered while OPENING. */
  private final ArrayDeque<Held> held = new ArrayDeque<>(0);
  /** Guarded by this; the replay in progress while REPLAYING. */
  private Replay replay;
  /** Guarded by this; requests waiting for the current one. */
  private final ArrayDeque<Request> waiting = new ArrayDeque<>(0);
  /** Guarded by this; a request is being worked on (OPENING or REPLAYING, or between steps). */
  private boolean busy;

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

  /** The first request of a new subscription: join. Call after registering with the room. */
  void startJoin(String id) {
    synchronized (this) {
      busy = true;
    }
    open(id);
  }

  /** The first request of a new subscription: resume. Call after registering with the room. */
  void startResume(String id, long after) {
    Replay r;
    synchronized (this) {
      busy = true;
      r = startReplayLocked(id, after);
    }
    r.begin();
  }

  /** A further join of a room this connection already is a member of. */
  void join(String id) {
    request(new Join(id));
  }

  /** A further resume of a room this connection already is a member of. */
  void resume(String id, long after) {
    request(new Resume(id, after));
  }

  /** Leave: the connection is no longer a member; acked once requests before it are answered. */
  void leave(String id) {
    request(new Leave(id));
  }

  /** The connection closed: nothing more is sent. */
  synchronized void end() {
    endLocked();
  }

  private void request(Request request) {
    synchronized (this) {
      if (state == State.ENDED) {
        return;
      }
      if (busy) {
        waiting.addLast(request);
        return;
      }
      busy = true;
    }
    run(request);
  }

  /** Works on {@code request}; requires {@code busy} and no lock. */
  private void run(Request request) {
    if (request instanceof Join join) {
      synchronized (this) {
        if (state == State.LIVE) {
          peer.reply(new Ack(join.id(), position));
        }
      }
      next();
    } else if (request instanceof Resume resume) {
      Replay r;
      synchronized (this) {
        if (state != State.LIVE) {
          r = null;
        } else {
          r = startReplayLocked(resume.id(), resume.after());
        }
      }
      if (r == null) {
        next();
      } else {
        r.begin();
      }
    } else if (request instanceof Leave leave) {
      synchronized (this) {
        if (state == State.LIVE) {
          peer.reply(new Ack(leave.id(), position));
        }
        endLocked();
      }
    }
  }

  /** The current request is done: go on with the next, if any. */
  private void next() {
    Request request;
    synchronized (this) {
      request = state == State.ENDED ? null : waiting.pollFirst();
      if (request == null) {
        busy = false;
        return;
      }
    }
    run(request);
  }

  private void open(String id) {
    hub.store().open(room).whenComplete((roomState, error) -> {
      if (error != null) {
        hub.storeFailed(peer, "open " + room, error);
        return;
      }
      opened(id, roomState.lastSeq());
    });
  }

  private void opened(String id, long lastSeq) {
    boolean hole = false;
    synchronized (this) {
      if (state == State.ENDED) {
        return;
      }
      position = lastSeq;
      state = State.LIVE;
      peer.reply(new Ack(id, lastSeq));
      for (Held h; (h = held.pollFirst()) != null; ) {
        if (h.seq() <= position) {
          peer.outbound().release(h.frame().bytes());
        } else if (h.seq() == position + 1) {
          position = h.seq();
          peer.outbound().enqueueReserved(h.frame());
        } else {
          hole = true;
          break;
        }
      }
    }
    if (hole) {
      hub.fanOutHole(peer, room);
      return;
    }
    next();
  }

  /**
   * A chat the room fans out. Called in seq order for the room, with the room's lock held.
   */
  void offer(long seq, String frame) {
    boolean hole = false;
    synchronized (this) {
      switch (state) {
        case ENDED -> {
          return;
        }
        case LIVE -> {
          if (seq <= position) {
            return;
          }
          if (seq == position + 1) {
            position = seq;
            peer.outbound().enqueue(Frame.text(frame, true));
            return;
          }
          hole = true;
        }
        case OPENING -> {
          Frame f = Frame.text(frame, true);
          if (peer.outbound().reserve(f.bytes())) {
            held.addLast(new Held(seq, f));
          }
        }
        case REPLAYING -> replay.offerLocked(seq, frame);
      }
    }
    if (hole) {
      hub.fanOutHole(peer, room);
    }
  }

  private Replay startReplayLocked(String id, long after) {
    state = State.REPLAYING;
    replay = new Replay(id, after);
    return replay;
  }

  private void endLocked() {
    state = State.ENDED;
    for (Held h; (h = held.pollFirst()) != null; ) {
      peer.outbound().release(h.frame().bytes());
    }
    if (replay != null) {
      replay.releaseLocked();
      replay = null;
    }
    waiting.clear();
    busy = false;
  }

  /**
   * One resume: reads the history page by page as the connection takes it, then the chats offered
   * meanwhile, then the ack; a source of its connection's {@link Outbound}. Guarded by the
   * subscription's monitor.
   */
  private final class Replay implements Outbound.Source {
    private final String id;
    private final long after;
    /** The newest seq accounted for: put into {@link #frames}, reported as a gap, or {@code after}. */
    private long cursor;
    private boolean firstPage = true;
    private boolean fetching;
    private boolean finished;
    /** Gap errors, history chats and finally the ack, in order; not counted in the member queue. */
    private final ArrayDeque<Frame> frames = new ArrayDeque<>();
    /** Chats offered during the replay, counted in the member queue. */
    private final ArrayDeque<Held> live = new ArrayDeque<>(0);

    Replay(String id, long after) {
      this.id = id;
      this.after = after;
      this.cursor = after;
    }

    /** Creates the room if needed, then reads the first page. Call without the lock. */
    void begin() {
      synchronized (Subscription.this) {
        fetching = true;
      }
      hub.store().open(room).whenComplete((roomState, error) -> {
        if (error != null) {
          hub.storeFailed(peer, "open " + room, error);
          return;
        }
        fetch();
      });
    }

    private void fetch() {
      long from;
      synchronized (Subscription.this) {
        if (replay != this) {
          return;
        }
        from = cursor;
      }
      hub.store().history(room, from, PAGE).whenComplete((page, error) -> {
        if (error != null) {
          hub.storeFailed(peer, "read history of " + room, error);
          return;
        }
        onPage(page);
      });
    }

    private void onPage(RoomStore.History page) {
      synchronized (Subscription.this) {
        if (replay != this) {
          return;
        }
        fetching = false;
        if (firstPage) {
          firstPage = false;
          // Not "first > after + 1": after may be Long.MAX_VALUE.
          if (page.firstSeq() > 0 && after < page.firstSeq() - 1) {
            frames.addLast(gap(after + 1, page.firstSeq() - 1));
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
        boolean caughtUp = firstLive != null && cursor >= firstLive.seq() - 1;
        if (caughtUp || page.chats().size() < PAGE) {
          long ackSeq = caughtUp ? cursor : page.lastSeq();
          position = ackSeq;
          finished = true;
          frames.addLast(Frame.text(Hub.encode(new Ack(id, ackSeq)), false));
          hub.countResume();
        }
      }
      peer.outbound().addSource(this);
    }

    private Frame gap(long first, long last) {
      hub.countGap();
      return Frame.text(Hub.encode(ErrorReply.historyGap(id, room, first, last)), false);
    }

    /** A live chat during the replay; called with the subscription's lock held. */
    void offerLocked(long seq, String frame) {
      Frame f = Frame.text(frame, true);
      if (finished && frames.isEmpty() && live.isEmpty() && seq <= position) {
        return;
      }
      if (peer.outbound().reserve(f.bytes())) {
        live.addLast(new Held(seq, f));
      }
    }

    @Override
    public Frame poll() {
      Frame frame = null;
      boolean fetchNow = false;
      boolean done = false;
      boolean hole = false;
      synchronized (Subscription.this) {
        if (replay != this) {
          return null;
        }
        frame = frames.pollFirst();
        if (frame == null && finished) {
          for (Held h; (h = live.pollFirst()) != null; ) {
            if (h.seq() <= position) {
              peer.outbound().release(h.frame().bytes());
              continue;
            }
            if (h.seq() == position + 1) {
              position = h.seq();
              frame = h.frame();
            } else {
              hole = true;
            }
            break;
          }
          if (frame == null && !hole) {
            replay = null;
            state = State.LIVE;
            done = true;
          }
        } else if (frame == null && !fetching) {
          fetching = true;
          fetchNow = true;
        }
      }
      if (hole) {
        hub.fanOutHole(peer, room);
      } else if (fetchNow) {
        fetch();
      } else if (done) {
        next();
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
    }
  }
}

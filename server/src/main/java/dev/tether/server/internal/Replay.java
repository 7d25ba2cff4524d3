package dev.tether.server.internal;

import dev.tether.api.Ack;
import dev.tether.api.ErrorReply;
import dev.tether.server.RoomStore;
import dev.tether.server.internal.Outbound.Frame;
import dev.tether.server.internal.Outbound.Slot;
import java.util.ArrayDeque;

/**
 * One resume of a {@link Subscription}: reads the room's history page by page as the connection
 * takes it, then the chats the room offered meanwhile, then the ack; the source of its answer's
 * slot in the connection's {@link Outbound}. The resume names a seq and, from clients that know
 * epochs, the epoch it belongs to:
 * <ul>
 *   <li>another epoch than the room's: {@code epoch_changed} first, then the current stream from
 *       its start;
 *   <li>seqs the history no longer holds (trimmed, before the first page or between two pages):
 *       a {@code history_gap} error naming exactly those, in their place;
 *   <li>the stream replaced while the first page was read: the new stream is replayed instead;
 *       replaced after a page was sent: the connection is closed (1011), and the client's next
 *       resume learns of it.
 * </ul>
 * The replay ends, and the member is live again at the ack's seq, once the history is read up to
 * the live chats it held (or to where the history ended when it was read).
 *
 * <p>Threads: {@link #begin} runs on the thread that started the resume, without locks; the store
 * answers on its threads; {@link #poll} and {@link #hasMore} run on the connection's send thread;
 * {@link #offerLocked} on the store's, with the room's lock held. All state here is guarded by the
 * owning subscription's monitor (as is its {@link StreamPosition}, which the replay moves); a
 * replay that is no longer the subscription's current one does nothing. The store is never called
 * with that monitor held.
 */
final class Replay implements Outbound.Source {
  /** History chats read per store call, at most. */
  static final int PAGE = 100;

  /**
   * Bytes of history frames read per store call, at most (but one chat at least): half the member
   * queue's bytes, so that a replay never holds much more than its connection may have queued.
   * These frames are not counted in the member queue.
   */
  static long pageBytes(HubConfig config) {
    return Math.max(1, config.maxQueuedBytes() / 2);
  }

  private final Subscription sub;
  private final StreamPosition position;
  private final Hub hub;
  private final Peer peer;
  private final String room;
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
  private final ArrayDeque<OfferedChat> live = new ArrayDeque<>(0);

  /** A replay of {@code sub}, which moves {@code position} (the subscription's) when it ends. */
  Replay(Subscription sub, StreamPosition position, Hub hub, String id, long after, String resumeEpoch, Slot slot) {
    this.sub = sub;
    this.position = position;
    this.hub = hub;
    this.peer = sub.peer();
    this.room = sub.room();
    this.id = id;
    this.after = after;
    this.resumeEpoch = resumeEpoch;
    this.slot = slot;
  }

  /** Creates the room if needed, then reads the first page. Call without the lock. */
  void begin() {
    sub.readRoom().whenComplete((roomState, error) -> {
      if (error != null) {
        hub.closings().storeFailed(peer, "open " + room, error);
        return;
      }
      synchronized (sub) {
        if (!sub.replaysLocked(this)) {
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
    synchronized (sub) {
      if (!sub.replaysLocked(this)) {
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
    synchronized (sub) {
      if (!sub.replaysLocked(this)) {
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
    OfferedChat firstLive = live.peekFirst();
    boolean caughtUp = firstLive != null && firstLive.epoch().equals(streamEpoch)
        && cursor >= firstLive.seq() - 1;
    // The page ends where the history did when it was read, or it was cut short (by count or
    // bytes) and the next page follows.
    if (caughtUp || page.chats().isEmpty() || cursor >= page.lastSeq()) {
      long ackSeq = caughtUp ? cursor : page.lastSeq();
      position.moveTo(streamEpoch, ackSeq);
      finished = true;
      frames.addLast(Frame.text(Hub.encode(new Ack(id, ackSeq, streamEpoch)), false));
      hub.countResume();
    }
  }

  private Frame gap(long first, long last) {
    hub.countGap();
    return Frame.text(Hub.encode(ErrorReply.historyGap(id, room, first, last)), false);
  }

  /** A live chat during the replay; called with the subscription's lock held (and the room's). */
  void offerLocked(long seq, String chatEpoch, String frame, long bytes) {
    if (finished && frames.isEmpty() && live.isEmpty() && position.has(seq, chatEpoch)) {
      return;
    }
    Frame f = Frame.text(frame, bytes);
    if (peer.outbound().reserve(f.bytes())) {
      live.addLast(new OfferedChat(seq, chatEpoch, f));
    }
  }

  @Override
  public Frame poll() {
    Frame frame;
    boolean fetchNow = false;
    boolean hole = false;
    Runnable next = null;
    synchronized (sub) {
      if (!sub.replaysLocked(this)) {
        return null;
      }
      frame = frames.pollFirst();
      if (frame == null && finished) {
        for (OfferedChat h; (h = live.pollFirst()) != null; ) {
          StreamPosition.Admit admit = position.admit(h.seq(), h.epoch());
          if (admit == StreamPosition.Admit.DELIVER) {
            frame = h.frame();
            break;
          }
          peer.outbound().release(h.frame().bytes());
          if (admit == StreamPosition.Admit.HOLE) {
            hole = true;
            break;
          }
        }
        if (frame == null && !hole) {
          peer.outbound().finish(slot);
          next = sub.replayedLocked();
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
    synchronized (sub) {
      return sub.replaysLocked(this) && (!frames.isEmpty() || finished);
    }
  }

  /** The subscription ended: what this replay held is given back. Under its lock. */
  void releaseLocked() {
    for (OfferedChat h; (h = live.pollFirst()) != null; ) {
      peer.outbound().release(h.frame().bytes());
    }
    frames.clear();
    peer.outbound().finish(slot);
  }
}

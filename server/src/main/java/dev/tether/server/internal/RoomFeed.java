package dev.tether.server.internal;

import dev.tether.server.RoomStore;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One room a {@link RedisFeeds} follows: turns what pub/sub brings (and loses) into the room's
 * chats, reported once each, in seq order, with no gap the history can fill. A state machine:
 * <pre>
 *   SUBSCRIBING ──subscribed──▶ SYNCING ──state read──▶ LIVE ──closed──▶ CLOSED
 *                                                        │ ▲
 *      gap, unknown epoch, resubscribed, lost messages ──┘ └── history read and merged
 * </pre>
 * What the feed knows is the stream ({@link #epoch}) and the newest seq it reported in it
 * ({@link #delivered}). The state read that makes it LIVE comes after the subscription is
 * confirmed, so every chat stored after that read is published to this node; pub/sub messages
 * that race the read are buffered and merged. A message that is not the next one (a gap: pub/sub
 * lost messages during a reconnect, or the feed's buffer overflowed), or that names an epoch the
 * feed does not know, is not trusted: the feed reads the history from what it delivered and
 * follows what Redis holds, which is the newest truth (messages that arrived before that read
 * was issued and name another epoch are stale, and dropped). Every new subscription confirmation
 * of a LIVE feed (Lettuce resubscribed after a reconnect, or the probe replaced the connection)
 * starts such a read too, so a lost last message is found at once.
 *
 * <p>Chats the history no longer holds cannot be filled: the feed reports the next one it has, and
 * members see the jump (their server closes them with 1011; their clients resume and are told of
 * the gap). A new epoch is reported from its first held chat. Nothing is dropped silently.
 *
 * <p>Thread-safety: this object's monitor guards the state; pub/sub events, read completions and
 * retries come on Lettuce's threads. Chats are reported to the {@link Port} under the monitor,
 * which is what keeps one room's chats one at a time and in order; reads are issued after it is
 * released.
 */
final class RoomFeed {
  private static final Logger log = LoggerFactory.getLogger(RoomFeed.class);
  /** History chats read per catch-up read. */
  static final int PAGE = 500;
  /** Messages buffered while a read is in flight; past it they are dropped and read from the history. */
  static final int MAX_PENDING = 16_384;

  /** What a feed needs from its store. */
  interface Port {
    /**
     * The room's state and up to {@code limit} held chats with a seq above {@code after}, or only
     * the state if {@code after} is negative.
     */
    CompletionStage<RoomStore.History> read(String room, long after, int limit);

    /** Reports a chat of the room; called under the feed's monitor, in order. */
    void deliver(String room, long seq, String epoch, String frame);

    /** Runs {@code retry} a little later (after a failed read). */
    void retryLater(Runnable retry);
  }

  /** What this node has seen of a room's stream: chat scripts refuse to go below it (a rollback). */
  record Floor(String epoch, long seq) {
    static final Floor NONE = new Floor("", 0);
  }

  private enum State { SUBSCRIBING, SYNCING, LIVE, CLOSED }

  private record Pending(long seq, String epoch, String frame, long arrival) {}

  private final String room;
  private final String channel;
  private final Port port;

  /** Guarded by the owning {@link RedisFeeds}' monitor: follows not yet matched by unfollows. */
  int follows;

  /** Guarded by this. */
  private State state = State.SUBSCRIBING;
  /** Guarded by this; the stream reported, null while none is known (the room had no stream). */
  private String epoch;
  /** Guarded by this; the newest seq reported in {@link #epoch}. */
  private long delivered;
  /** Guarded by this; messages not reported yet, in arrival order. */
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  /** Guarded by this; messages that arrived, ever. */
  private long arrivals;
  /** Guarded by this; messages were dropped from a full {@link #pending}: read them from the history. */
  private boolean overflowed;
  /** Guarded by this; a read is in flight. */
  private boolean reading;
  /** Guarded by this; read again once the read in flight is done. */
  private boolean readAgain;
  /** Guarded by this; {@link #arrivals} when the read in flight was issued. */
  private long readIssuedAt;
  /** Guarded by this; completes once LIVE; replaced by {@link #renewReady} after a failure. */
  private CompletableFuture<Void> ready = new CompletableFuture<>();
  /** Written under this, read by chat scripts' callers. */
  private volatile Floor floor = Floor.NONE;

  RoomFeed(String room, String channel, Port port) {
    this.room = room;
    this.channel = channel;
    this.port = port;
  }

  String room() {
    return room;
  }

  String channel() {
    return channel;
  }

  Floor floor() {
    return floor;
  }

  synchronized CompletableFuture<Void> ready() {
    return ready;
  }

  /** Whether the subscription is not confirmed yet (so it may have to be asked for again). */
  synchronized boolean subscribing() {
    return state == State.SUBSCRIBING;
  }

  /** After a failed start, a new follow tries again: a fresh stage to wait on; true if it was renewed. */
  synchronized boolean renewReady() {
    if (!ready.isCompletedExceptionally()) {
      return false;
    }
    ready = new CompletableFuture<>();
    return true;
  }

  /** The subscription of the room's channel is confirmed (the first time, or again after a reconnect). */
  void subscribed() {
    boolean read;
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      if (state == State.SUBSCRIBING) {
        state = State.SYNCING;
      }
      read = startReadLocked();
    }
    if (read) {
      read();
    }
  }

  /** The subscription could not be asked for (Redis unreachable): followers waiting now fail. */
  void subscribeFailed(Throwable error) {
    CompletableFuture<Void> failed;
    synchronized (this) {
      if (state != State.SUBSCRIBING) {
        return;
      }
      failed = ready;
    }
    failed.completeExceptionally(error);
  }

  /** A pub/sub message of the room's channel. */
  void message(long seq, String messageEpoch, String frame) {
    boolean read;
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      arrivals++;
      if (pending.size() >= MAX_PENDING) {
        overflowed = true;
      } else {
        pending.addLast(new Pending(seq, messageEpoch, frame, arrivals));
      }
      if (state != State.LIVE) {
        return;
      }
      read = drainLocked();
    }
    if (read) {
      read();
    }
  }

  /** Nothing more is reported; waiting followers fail. */
  void close() {
    CompletableFuture<Void> waiting;
    synchronized (this) {
      state = State.CLOSED;
      pending.clear();
      waiting = ready;
    }
    waiting.completeExceptionally(new IllegalStateException("room '" + room + "' is no longer followed"));
  }

  /** Reports what can be reported; true if a read must be issued (and it is now marked in flight). */
  private boolean drainLocked() {
    if (reading) {
      return false;
    }
    for (Pending p; (p = pending.peekFirst()) != null; ) {
      if (epoch != null && p.epoch().equals(epoch)) {
        if (p.seq() <= delivered) {
          pending.pollFirst();
          continue;
        }
        if (p.seq() == delivered + 1) {
          pending.pollFirst();
          deliverLocked(p.seq(), p.frame());
          continue;
        }
      }
      // A gap, another stream, or no stream known yet: what Redis holds decides.
      return startReadLocked();
    }
    if (overflowed) {
      overflowed = false;
      return startReadLocked();
    }
    return false;
  }

  private boolean startReadLocked() {
    if (reading) {
      readAgain = true;
      return false;
    }
    reading = true;
    readIssuedAt = arrivals;
    return true;
  }

  /** Issues the read marked in flight. Call without the monitor. */
  private void read() {
    boolean sync;
    long after;
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      sync = state == State.SYNCING;
      after = sync ? -1 : epoch == null ? 0 : delivered;
    }
    CompletionStage<RoomStore.History> stage;
    try {
      stage = port.read(room, after, PAGE);
    } catch (RuntimeException e) {
      readFailed(e);
      return;
    }
    stage.whenComplete((page, error) -> {
      if (error != null) {
        readFailed(error);
      } else {
        readDone(page, sync, after);
      }
    });
  }

  private void readDone(RoomStore.History page, boolean sync, long after) {
    CompletableFuture<Void> nowReady = null;
    boolean again;
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      reading = false;
      if (sync) {
        epoch = page.epoch();
        delivered = page.lastSeq();
        state = State.LIVE;
        nowReady = ready;
        floor = epoch == null ? Floor.NONE : new Floor(epoch, delivered);
      } else if (page.epoch() == null) {
        if (epoch != null) {
          log.warn("room '{}': its stream is gone from Redis (after seq {} of epoch {}); going on with the next one",
              room, delivered, epoch);
        }
        epoch = null;
        delivered = 0;
        floor = Floor.NONE;
      } else if (!page.epoch().equals(epoch)) {
        if (epoch != null) {
          log.warn("room '{}': Redis holds a new stream (epoch {}, after seq {} of epoch {}); going on with it",
              room, page.epoch(), delivered, epoch);
        }
        epoch = page.epoch();
        delivered = 0;
        floor = new Floor(epoch, 0);
        if (after == 0) {
          takeLocked(page);
        } else {
          readAgain = true; // that page was read from a seq of the old stream
        }
      } else {
        takeLocked(page);
      }
      long issuedAt = readIssuedAt;
      String e = epoch;
      long d = delivered;
      pending.removeIf(p -> p.epoch().equals(e) ? p.seq() <= d : p.arrival() <= issuedAt);
      if (readAgain) {
        readAgain = false;
        again = startReadLocked();
      } else {
        again = drainLocked();
      }
    }
    if (nowReady != null) {
      nowReady.complete(null);
    }
    if (again) {
      read();
    }
  }

  /** Reports a page's chats above {@link #delivered}. */
  private void takeLocked(RoomStore.History page) {
    for (RoomStore.StoredChat chat : page.chats()) {
      if (chat.seq() <= delivered) {
        continue;
      }
      if (chat.seq() > delivered + 1) {
        log.warn("room '{}': seqs {}..{} of epoch {} are no longer in Redis's history; its members here miss them",
            room, delivered + 1, chat.seq() - 1, epoch);
      }
      deliverLocked(chat.seq(), chat.frame());
    }
    if (page.chats().size() >= PAGE) {
      readAgain = true;
    } else if (delivered < page.lastSeq()) {
      log.warn("room '{}': seqs {}..{} of epoch {} are no longer in Redis's history; its members here miss them",
          room, delivered + 1, page.lastSeq(), epoch);
      delivered = page.lastSeq();
      floor = new Floor(epoch, delivered);
    }
  }

  private void deliverLocked(long seq, String frame) {
    delivered = seq;
    floor = new Floor(epoch, seq);
    try {
      port.deliver(room, seq, epoch, frame);
    } catch (RuntimeException e) {
      log.error("room '{}': fan-out of seq {} failed", room, seq, e);
    }
  }

  private void readFailed(Throwable error) {
    CompletableFuture<Void> failed;
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      reading = false;
      failed = state == State.SYNCING ? ready : null;
    }
    log.debug("room '{}': reading its state from Redis failed; trying again", room, error);
    if (failed != null) {
      failed.completeExceptionally(error);
    }
    port.retryLater(() -> {
      boolean read;
      synchronized (this) {
        read = state != State.CLOSED && startReadLocked();
      }
      if (read) {
        read();
      }
    });
  }

  @Override
  public synchronized String toString() {
    return "RoomFeed{" + room + ", " + state + ", epoch " + epoch + ", seq " + delivered + ", " + pending.size()
        + " pending}";
  }
}

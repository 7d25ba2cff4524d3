package dev.tether.server;

import dev.tether.api.WireRules;
import dev.tether.server.internal.MemoryRoomStore;
import dev.tether.server.internal.SqliteRoomStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where a {@link TetherServer} keeps the state of its rooms: for each room an <em>epoch</em>, the
 * gap-free seq counter, the bounded history, and the dedup memory of accepted chats. This is the
 * half of the protocol that must survive a server: with a durable store, a server process that dies
 * and starts again on the same store loses nothing a client was acked for.
 *
 * <p>Two stores come with Tether: {@link #inMemory()} (the state lives and dies with the process)
 * and {@link #sqlite(Path)} (the state is committed to a file before anything is acked). The
 * interface is also the SPI for other stores, for example one shared by several servers.
 *
 * <h2>The state of a room</h2>
 * A room's stream of chats has an {@linkplain RoomState#epoch() epoch}: an opaque, non-empty,
 * random string (at least 64 bits) picked when the stream starts and kept for as long as its seqs
 * continue, across processes for durable stores. A store that loses a room's state starts a new
 * stream with a new epoch, so that clients can tell "seq 5 of the old stream" from "seq 5 of the
 * new one". Seqs start at 1 and have no gaps. The history holds the newest chats of each room,
 * at most {@link Draft#historyLimit()} of them and at most {@link Draft#historyBytes()} bytes of
 * frames (UTF-8; the newest chat is kept whatever its size); the dedup memory maps (user, id) of
 * accepted chats to what they were given, bounded by count and age (each store documents its
 * bounds).
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #append} is one atomic operation: the dedup check, the seq, the history entry and
 *       the dedup record happen together or not at all. Its callback is called only once all of it
 *       is durable (for a durable store: committed). For any one room, the callbacks of new chats
 *       come one at a time, in seq order; a duplicate's callback comes after its original was
 *       made durable. The server fans chats out from these callbacks, which is how members see a
 *       room in seq order.
 *   <li>Reads ({@link #open}, {@link #state}, {@link #accepted}, {@link #history}) see at least
 *       everything whose append callback has already been called. {@link #accepted} also sees
 *       every append that <em>returned</em> before it was called, even one whose callback has not
 *       come yet: it answers once that append is decided (this is how a chat resent from a
 *       connection that is not a member is acked, not refused, while its original is still being
 *       stored).
 *   <li>A store may refuse work it cannot take now (a full queue) by failing it at once with a
 *       {@link java.util.concurrent.RejectedExecutionException}; nothing of it was done.
 *   <li>No method blocks on I/O: work that waits on a disk or network runs on the store's own
 *       threads, and results arrive through the callback or the returned stage. Callbacks and
 *       stage completions may run on the store's threads or, for a store that never waits, on
 *       the caller's thread, even before the method returns.
 *   <li>All methods are thread-safe. After {@link #close()} operations fail with an
 *       {@link IllegalStateException}.
 *   <li><b>Failing.</b> A store that cannot take an {@link #append} or answer an {@link #accepted}
 *       lookup now (its database is down, a circuit breaker is open) should say so before the
 *       method returns: call {@link AppendCallback#failed} or return a failed stage without having
 *       done anything. The server then answers the chat with {@code unavailable} and a retry hint,
 *       keeps the connection, and waits for the chat again (PROTOCOL.md, "Store failures"). A
 *       failure reported after the method returned closes the sender's connection with 1011
 *       instead, since chats the connection sent after it may already be in the store. A store
 *       that lost a room's state must start it on a new epoch: members and resumes then learn of
 *       it from the epoch.
 * </ul>
 *
 * <p>A store shared by several servers (Redis, say) must also let each server learn of chats the
 * others appended, in seq order per room; that hook is not part of this interface yet.
 */
public interface RoomStore extends AutoCloseable {

  /**
   * A store in this process's memory: fast, and gone with the process (a restarted server starts
   * every room on a new epoch). Dedup memory: the newest 100,000 accepted chats, at most 24 hours
   * old. History: each room's as its drafts bound it, and all rooms together at most a quarter of
   * the maximum heap ({@code -Xmx}), the oldest chats of the whole store going first, so that no
   * number of rooms can fill the heap with history.
   */
  static RoomStore inMemory() {
    return new MemoryRoomStore();
  }

  /**
   * A store in the SQLite database {@code file} (created if missing; add {@code org.xerial:sqlite-jdbc}
   * to your dependencies). A chat is acked only once its seq, history entry and dedup record are
   * committed; commits use WAL with {@code synchronous=NORMAL}, which survives the process being
   * killed at any moment (an OS crash or power loss may lose the last commits). Appends from all
   * connections are grouped into shared transactions by one writer thread, so durability costs
   * one commit per batch, not per chat. Dedup memory: the newest 1,000,000 accepted chats, at most
   * 7 days old.
   *
   * <p>One server per file: the store holds an exclusive lock on {@code FILE.lock} while it is
   * open. At most 16,384 operations, and 64 MiB of drafts by their {@link Draft#size()}, wait for
   * the writer (a stalled disk); beyond that an append fails at once with a
   * {@link java.util.concurrent.RejectedExecutionException} instead of queueing without bound. If
   * the writer thread dies (an {@link Error}), everything queued fails, and so does every later
   * operation. An operation that fails (a renderer that throws) fails alone; the others of its
   * transaction commit.
   *
   * @throws IllegalStateException if the file cannot be opened as a Tether room store: another
   *     server (or store) has it open, it is read-only, or it is not a SQLite database; or if the
   *     SQLite driver ({@code org.xerial:sqlite-jdbc}, which tether-server does not bring) is not on
   *     the class path
   */
  static RoomStore sqlite(Path file) {
    Objects.requireNonNull(file, "file == null");
    return SqliteRoomStore.open(file);
  }

  /**
   * The room's current state, creating the room (with a new epoch and seq 0) if it does not exist.
   * Used for {@code join} and {@code resume}.
   */
  CompletionStage<RoomState> open(String room);

  /** The room's current state, or empty if the store has no such room; never creates one. */
  CompletionStage<Optional<RoomState>> state(String room);

  /**
   * Accepts a chat, once: if {@code (draft.user(), draft.id())} was accepted before, answers with
   * what it was given then ({@link Appended#duplicate()} true) and changes nothing; otherwise gives
   * it the room's next seq (creating the room if needed), stores {@link Draft#frame} of it as the
   * newest history entry (dropping the oldest beyond {@link Draft#historyLimit()} and
   * {@link Draft#historyBytes()}), records it for
   * dedup, and answers with the new chat. See the class comment for when and in which order
   * {@code callback} is called; it is called exactly once.
   */
  void append(Draft draft, AppendCallback callback);

  /**
   * What the chat {@code id} of {@code user} was given when it was accepted, or empty if the dedup
   * memory has no such chat (never accepted, or forgotten). An {@link #append} of it that returned
   * before this call is waited for, not missed.
   */
  CompletionStage<Optional<Appended>> accepted(String user, String id);

  /**
   * Up to {@code limit} of the room's held chats with a seq above {@code after}, oldest first,
   * with the room's state at the time of the read. An unknown room reads as empty, epoch null.
   */
  CompletionStage<History> history(String room, long after, int limit);

  /**
   * As {@link #history(String, long, int)}, and the page also ends before the chats' frames
   * together pass {@code maxBytes} (their UTF-8 length), though it holds at least one chat if any
   * is held above {@code after}. A resume reads its replay this way, so that what it holds at once
   * is bounded by bytes as well as by count. The default reads {@code limit} chats and drops those
   * past the bound; a store should override it so as not to read them at all.
   *
   * @throws IllegalArgumentException if {@code maxBytes} is less than 1
   */
  default CompletionStage<History> history(String room, long after, int limit, long maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes < 1: " + maxBytes);
    }
    return history(room, after, limit).thenApply(page -> {
      List<StoredChat> chats = page.chats();
      long bytes = 0;
      int keep = 0;
      while (keep < chats.size()) {
        bytes += WireRules.utf8Length(chats.get(keep).frame());
        if (keep > 0 && bytes > maxBytes) {
          break;
        }
        keep++;
      }
      return keep == chats.size() ? page
          : new History(page.epoch(), page.firstSeq(), page.lastSeq(), chats.subList(0, keep));
    });
  }

  /** Releases the store's threads and files. Idempotent. */
  @Override
  void close();

  /**
   * A room's stream: its epoch and the seq of its newest chat (0 before the first).
   *
   * @param epoch opaque, non-empty, picked when the stream started
   * @param lastSeq the newest seq, 0 if none
   */
  record RoomState(String epoch, long lastSeq) {
    /** Checks the fields. */
    public RoomState {
      Objects.requireNonNull(epoch, "epoch == null");
      if (lastSeq < 0) {
        throw new IllegalArgumentException("lastSeq < 0: " + lastSeq);
      }
    }
  }

  /**
   * The answer to an append or a dedup lookup.
   *
   * @param epoch the epoch of the stream the chat belongs to
   * @param seq the seq it was given
   * @param ts when it was first accepted, epoch milliseconds
   * @param duplicate whether it had been accepted before (then nothing changed)
   * @param frame the chat as fanned out, for a new chat; null for a duplicate
   */
  record Appended(String epoch, long seq, long ts, boolean duplicate, String frame) {
    /** Checks the fields. */
    public Appended {
      Objects.requireNonNull(epoch, "epoch == null");
      if (seq < 1) {
        throw new IllegalArgumentException("seq < 1: " + seq);
      }
      if (duplicate == (frame != null)) {
        throw new IllegalArgumentException(duplicate ? "duplicate with a frame" : "new chat without a frame");
      }
    }
  }

  /**
   * A page of a room's history.
   *
   * @param epoch the room's epoch, null for a room the store does not have
   * @param firstSeq the seq of the oldest chat held, 0 if none is held
   * @param lastSeq the room's newest seq, 0 if none
   * @param chats held chats above the requested seq, oldest first, consecutive seqs
   */
  record History(String epoch, long firstSeq, long lastSeq, List<StoredChat> chats) {
    /** Copies {@code chats}. */
    public History {
      chats = List.copyOf(chats);
    }
  }

  /**
   * One chat of a room's history.
   *
   * @param seq its seq
   * @param frame the text frame it was fanned out as
   */
  record StoredChat(long seq, String frame) {
    /** Checks the fields. */
    public StoredChat {
      Objects.requireNonNull(frame, "frame == null");
    }
  }

  /** Receives the outcome of one {@link #append}, exactly once. */
  interface AppendCallback {
    /** The chat is accepted (or was before); everything about it is durable. */
    void appended(Appended result);

    /** Nothing was accepted; the store could not do it. */
    void failed(Throwable error);
  }

  /**
   * A chat to append, as the server received it: who sent it, its id, when, how much of the room's
   * history to keep, and how to render it once the store has given it a seq. Immutable.
   */
  final class Draft {
    /**
     * The history bytes per room of a draft made with the constructor that does not name them:
     * 64 MiB, {@code TetherServer}'s default.
     */
    public static final long DEFAULT_HISTORY_BYTES = 64L << 20;

    private final String room;
    private final String user;
    private final String id;
    private final long ts;
    private final int historyLimit;
    private final long historyBytes;
    private final long size;
    private final FrameRenderer renderer;

    /**
     * A draft whose room keeps at most {@value #DEFAULT_HISTORY_BYTES} bytes of history and whose
     * size is not known (0).
     *
     * @param room the room
     * @param user the sender
     * @param id the sender's id for it
     * @param ts acceptance time, epoch milliseconds
     * @param historyLimit how many of the room's newest chats the history keeps, at least 1
     * @param renderer renders the chat as fanned out, given its seq and epoch
     */
    public Draft(String room, String user, String id, long ts, int historyLimit, FrameRenderer renderer) {
      this(room, user, id, ts, historyLimit, DEFAULT_HISTORY_BYTES, 0, renderer);
    }

    /**
     * @param room the room
     * @param user the sender
     * @param id the sender's id for it
     * @param ts acceptance time, epoch milliseconds
     * @param historyLimit how many of the room's newest chats the history keeps, at least 1
     * @param historyBytes how many bytes of frames (UTF-8) the room's history keeps, at least 1;
     *     the newest chat is kept whatever its size
     * @param size about how many bytes the chat holds until it is stored (its text's length), for
     *     stores that bound what they have queued; 0 if not known
     * @param renderer renders the chat as fanned out, given its seq and epoch
     */
    public Draft(String room, String user, String id, long ts, int historyLimit, long historyBytes, long size,
        FrameRenderer renderer) {
      this.room = Objects.requireNonNull(room, "room == null");
      this.user = Objects.requireNonNull(user, "user == null");
      this.id = Objects.requireNonNull(id, "id == null");
      this.renderer = Objects.requireNonNull(renderer, "renderer == null");
      if (historyLimit < 1) {
        throw new IllegalArgumentException("historyLimit < 1: " + historyLimit);
      }
      if (historyBytes < 1) {
        throw new IllegalArgumentException("historyBytes < 1: " + historyBytes);
      }
      if (size < 0) {
        throw new IllegalArgumentException("size < 0: " + size);
      }
      this.ts = ts;
      this.historyLimit = historyLimit;
      this.historyBytes = historyBytes;
      this.size = size;
    }

    /** The room the chat is for. */
    public String room() {
      return room;
    }

    /** The user who sent it. */
    public String user() {
      return user;
    }

    /** Its envelope id, the dedup key with {@link #user()}. */
    public String id() {
      return id;
    }

    /** When the server accepted it, epoch milliseconds. */
    public long ts() {
      return ts;
    }

    /** How many of the room's newest chats its history keeps. */
    public int historyLimit() {
      return historyLimit;
    }

    /**
     * How many bytes of frames (their UTF-8 length) the room's history keeps: the oldest chats go
     * first, and the newest is kept even if it alone is larger.
     */
    public long historyBytes() {
      return historyBytes;
    }

    /** About how many bytes this chat holds until it is stored; 0 if not known. */
    public long size() {
      return size;
    }

    /** The chat's text frame as stored and fanned out, once it has {@code seq} in {@code epoch}. */
    public String frame(long seq, String epoch) {
      return renderer.render(seq, epoch);
    }

    @Override
    public String toString() {
      return "Draft{" + room + ", " + user + ", " + id + "}";
    }
  }

  /**
   * Renders a chat's frame once its seq and epoch are known. A store may call it more than once
   * (a store that retries a transaction does), on its own threads: it must be a pure function of
   * its arguments, and quick. If it throws, that append fails and nothing of it is stored.
   */
  @FunctionalInterface
  interface FrameRenderer {
    /** The chat's text frame with its {@code seq} and {@code epoch} filled in. */
    String render(long seq, String epoch);
  }
}

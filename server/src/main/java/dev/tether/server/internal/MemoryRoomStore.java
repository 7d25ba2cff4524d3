package dev.tether.server.internal;

import dev.tether.api.WireRules;
import dev.tether.server.RoomStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * {@link RoomStore#inMemory()}: rooms in a concurrent map, each guarded by its own lock, the
 * history in a ring per room, dedup in a {@link DedupMemory}. Every operation completes at once,
 * on the caller's thread; an append's callback runs under its room's lock, which is how callbacks
 * of one room come in seq order.
 *
 * <p>History is bounded per room by each draft's count and bytes, and for the whole store by a
 * {@link HistoryBudget} ({@link #defaultHistoryBudget()}: a quarter of the maximum heap by
 * default), so that no number of rooms holds more.
 *
 * <p>{@link #reset()} forgets everything at once, as a crash of the process would, for test
 * tooling: the rooms, the dedup memory and the history budget live in one {@link Generation} that
 * a reset replaces.
 */
public final class MemoryRoomStore implements RoomStore {
  /** Accepted chats remembered for dedup. */
  public static final int DEDUP_CAPACITY = 100_000;
  /** How long an accepted chat is remembered for dedup at most. */
  public static final Duration DEDUP_MAX_AGE = Duration.ofHours(24);

  private final int dedupCapacity;
  private final long dedupMaxAgeMillis;
  private final LongSupplier millis;
  private final long historyBudgetBytes;
  /** Everything the store holds; replaced whole by {@link #reset()}. */
  private volatile Generation generation;
  private volatile boolean closed;

  public MemoryRoomStore() {
    this(DEDUP_CAPACITY, DEDUP_MAX_AGE, System::currentTimeMillis, defaultHistoryBudget());
  }

  /** A store with these dedup bounds and clock, for tests. */
  public MemoryRoomStore(int dedupCapacity, Duration dedupMaxAge, LongSupplier millis) {
    this(dedupCapacity, dedupMaxAge, millis, defaultHistoryBudget());
  }

  /** A store with these dedup bounds, clock and bytes of history for all rooms together. */
  public MemoryRoomStore(int dedupCapacity, Duration dedupMaxAge, LongSupplier millis, long historyBudgetBytes) {
    this.dedupCapacity = dedupCapacity;
    this.dedupMaxAgeMillis = dedupMaxAge.toMillis();
    this.millis = millis;
    this.historyBudgetBytes = historyBudgetBytes;
    this.generation = newGeneration();
  }

  private Generation newGeneration() {
    return new Generation(new ConcurrentHashMap<>(), new DedupMemory(dedupCapacity, dedupMaxAgeMillis, millis),
        new HistoryBudget(historyBudgetBytes));
  }

  /** The rooms, dedup memory and history budget since the last reset. */
  private record Generation(ConcurrentHashMap<String, RoomData> rooms, DedupMemory dedup, HistoryBudget budget) {}

  /**
   * Forgets every room (epoch, seq, history) and the dedup memory, as a crash would: rooms used
   * after this start on new epochs at seq 0. An operation running at the same moment completes in
   * the old state (and is forgotten with it) or in the new one, never half in each.
   */
  public void reset() {
    Generation old = generation;
    generation = newGeneration();
    for (RoomData data : old.rooms().values()) {
      synchronized (data) {
        data.dead = true;
      }
    }
  }

  /** The bytes of history all rooms may hold together by default: a quarter of the maximum heap. */
  public static long defaultHistoryBudget() {
    return Math.max(1, Runtime.getRuntime().maxMemory() / 4);
  }

  /** Bytes of frames the history of all rooms holds now. */
  public long historyBytes() {
    return generation.budget().bytes();
  }

  /** One room; guarded by its own monitor. */
  private static final class RoomData {
    final String epoch = Epochs.next();
    /** True once a reset forgot this room: operations that find it take the current one instead. */
    boolean dead;
    long lastSeq;
    /** The held chats, oldest first: consecutive seqs ending at lastSeq, released ones first. */
    HeldChat[] ring = new HeldChat[16];
    int head;
    int size;
    /** Bytes of the chats in the ring. */
    long bytes;

    /** Adds the newest chat without trimming, so that {@link #undoAdd} can take it back. */
    void add(HeldChat chat) {
      dropReleased();
      if (size == ring.length) {
        HeldChat[] bigger = new HeldChat[ring.length * 2];
        for (int i = 0; i < size; i++) {
          bigger[i] = at(i);
        }
        ring = bigger;
        head = 0;
      }
      ring[(head + size) % ring.length] = chat;
      size++;
      bytes += chat.bytes;
    }

    void undoAdd() {
      int last = (head + size - 1) % ring.length;
      bytes -= ring[last].bytes;
      ring[last] = null;
      size--;
    }

    /**
     * Drops the oldest chats beyond {@code limit} chats or {@code maxBytes} (keeping the newest),
     * then tells {@code budget} of {@code added} (the chat just added) and of those this call released.
     */
    void trim(int limit, long maxBytes, HeldChat added, HistoryBudget budget) {
      long freedBytes = 0;
      int freed = 0;
      while (size > limit || (bytes > maxBytes && size > 1)) {
        HeldChat oldest = removeOldest();
        if (oldest.release()) {
          freedBytes += oldest.bytes;
          freed++;
        }
      }
      shrink();
      budget.added(added, freedBytes, freed);
    }

    /** Forgets the chats the store's budget released (always the oldest). */
    void dropReleased() {
      while (size > 0 && at(0).frame() == null) {
        removeOldest();
      }
      shrink();
    }

    /** A ring that holds far fewer chats than it has room for gives the room back. */
    private void shrink() {
      if (ring.length > 16 && size < ring.length / 4) {
        HeldChat[] smaller = new HeldChat[ring.length / 2];
        for (int i = 0; i < size; i++) {
          smaller[i] = at(i);
        }
        ring = smaller;
        head = 0;
      }
    }

    private HeldChat removeOldest() {
      HeldChat oldest = ring[head];
      ring[head] = null;
      head = (head + 1) % ring.length;
      size--;
      bytes -= oldest.bytes;
      return oldest;
    }

    HeldChat at(int i) {
      return ring[(head + i) % ring.length];
    }
  }

  @Override
  public CompletionStage<RoomState> open(String room) {
    if (closed) {
      return closedStage();
    }
    while (true) {
      Generation g = generation;
      RoomData data = g.rooms().computeIfAbsent(room, name -> new RoomData());
      synchronized (data) {
        if (!data.dead && g == generation) {
          return CompletableFuture.completedFuture(new RoomState(data.epoch, data.lastSeq));
        }
      }
    }
  }

  @Override
  public CompletionStage<Optional<RoomState>> state(String room) {
    if (closed) {
      return closedStage();
    }
    while (true) {
      Generation g = generation;
      RoomData data = g.rooms().get(room);
      if (data == null) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
      synchronized (data) {
        if (!data.dead && g == generation) {
          return CompletableFuture.completedFuture(Optional.of(new RoomState(data.epoch, data.lastSeq)));
        }
      }
    }
  }

  @Override
  public void append(Draft draft, AppendCallback callback) {
    if (closed) {
      callback.failed(new IllegalStateException("store closed"));
      return;
    }
    while (!append(generation, draft, callback)) {
      // A reset forgot the room meanwhile: append to the new one.
    }
  }

  /** Appends in {@code g}; false, having done nothing, if a reset made {@code g} the past. */
  private boolean append(Generation g, Draft draft, AppendCallback callback) {
    DedupMemory dedup = g.dedup();
    DedupMemory.Key key = new DedupMemory.Key(draft.user(), draft.id());
    Appended known = dedup.get(key);
    if (known != null) {
      // A duplicate changes nothing, not even which rooms exist.
      callback.appended(known);
      return true;
    }
    RoomData data = g.rooms().computeIfAbsent(draft.room(), name -> new RoomData());
    synchronized (data) {
      if (data.dead || g != generation) {
        return false;
      }
      // No second look-up here: a twin accepted since the one above is found by the claim below,
      // which undoes this append and answers with the twin's result.
      long seq = data.lastSeq + 1;
      String frame;
      try {
        frame = draft.frame(seq, data.epoch);
      } catch (RuntimeException e) {
        callback.failed(e);
        return true;
      }
      // Stored first, claimed for dedup last: whoever finds the claim finds the chat stored.
      HeldChat held = new HeldChat(seq, frame, WireRules.utf8Length(frame));
      data.add(held);
      data.lastSeq = seq;
      Appended raced = dedup.claim(key, data.epoch, seq, draft.ts());
      if (raced != null) {
        // The same (user, id) was just accepted (in this room or another): a duplicate after all.
        data.undoAdd();
        data.lastSeq = seq - 1;
        callback.appended(raced);
        return true;
      }
      data.trim(draft.historyLimit(), draft.historyBytes(), held, g.budget());
      callback.appended(new Appended(data.epoch, seq, draft.ts(), false, frame));
      return true;
    }
  }

  @Override
  public CompletionStage<Optional<Appended>> accepted(String user, String id) {
    if (closed) {
      return closedStage();
    }
    return CompletableFuture.completedFuture(
        Optional.ofNullable(generation.dedup().get(new DedupMemory.Key(user, id))));
  }

  @Override
  public CompletionStage<History> history(String room, long after, int limit) {
    return history(room, after, limit, Long.MAX_VALUE);
  }

  @Override
  public CompletionStage<History> history(String room, long after, int limit, long maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes < 1: " + maxBytes);
    }
    if (closed) {
      return closedStage();
    }
    while (true) {
      Generation g = generation;
      History history = history(g, g.rooms().get(room), after, limit, maxBytes);
      if (history != null) {
        return CompletableFuture.completedFuture(history);
      }
    }
  }

  /** The page of {@code data}'s history, or null if a reset forgot it meanwhile. */
  private History history(Generation g, RoomData data, long after, int limit, long maxBytes) {
    if (data == null) {
      return new History(null, 0, 0, List.of());
    }
    synchronized (data) {
      if (data.dead || g != generation) {
        return null;
      }
      while (true) {
        data.dropReleased();
        long first = data.size == 0 ? 0 : data.at(0).seq;
        List<StoredChat> chats = new ArrayList<>();
        boolean raced = false;
        if (data.size > 0 && after < data.lastSeq) {
          // Held seqs are consecutive, so the wanted ones start at a computable index.
          long skip = Math.max(0, after - first + 1);
          long bytes = 0;
          for (long i = skip; i < data.size && chats.size() < limit; i++) {
            HeldChat held = data.at((int) i);
            String frame = held.frame();
            if (frame == null) {
              raced = true; // the budget released the oldest meanwhile: read again
              break;
            }
            bytes += held.bytes;
            if (!chats.isEmpty() && bytes > maxBytes) {
              break;
            }
            chats.add(new StoredChat(held.seq, frame));
          }
        }
        if (!raced) {
          return new History(data.epoch, first, data.lastSeq, chats);
        }
      }
    }
  }

  private static <T> CompletionStage<T> closedStage() {
    return CompletableFuture.failedFuture(new IllegalStateException("store closed"));
  }

  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "RoomStore.inMemory(" + generation.rooms().size() + " rooms)";
  }
}

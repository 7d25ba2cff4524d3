package dev.tether.server;

import dev.tether.api.WireRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;
import java.util.function.Supplier;

/**
 * A real store with gates a test controls. Its history reads can be held, so that a test can stop
 * a replay between two pages, as a slow disk would: while {@linkplain #hold held}, a read matching the predicate waits
 * and is performed (on the real store) only when the test {@linkplain #release releases} it, on
 * the test's thread. Counts the reads it holds and the {@link #accepted} lookups it is asked, so
 * that a test knows when the server has handled a frame that leads to one, and records the size
 * of every page of history it hands out. Its appends can be made to fail after they returned, as
 * those of a store whose disk went away ({@link #failAppendsLater}). Thread-safe.
 */
final class GatedStore implements RoomStore {
  private final RoomStore delegate;
  private final AtomicInteger lookups = new AtomicInteger();
  private final List<Long> pages = new CopyOnWriteArrayList<>();
  private volatile boolean failAppends;
  /** Guarded by this; the append that fails when the next comes. */
  private AppendCallback failing;
  /** Guarded by this; null while not holding. */
  private LongPredicate hold;
  /** Guarded by this. */
  private final List<Runnable> held = new ArrayList<>();

  GatedStore(RoomStore delegate) {
    this.delegate = delegate;
  }

  /** From now on, history reads after a seq {@code after} matches wait for {@link #release}. */
  synchronized void hold(LongPredicate after) {
    this.hold = after;
  }

  /** How many reads are waiting. */
  synchronized int heldReads() {
    return held.size();
  }

  /** How many {@link #accepted} lookups the server has made. */
  int lookups() {
    return lookups.get();
  }

  /** Stops holding and performs the waiting reads, in the order they came, on this thread. */
  void release() {
    List<Runnable> now;
    synchronized (this) {
      hold = null;
      now = List.copyOf(held);
      held.clear();
    }
    now.forEach(Runnable::run);
  }

  /** The bytes of every page of history the server was given, in the order they were read. */
  List<Long> pageBytes() {
    return List.copyOf(pages);
  }

  @Override
  public CompletionStage<History> history(String room, long after, int limit) {
    return read(after, () -> delegate.history(room, after, limit));
  }

  @Override
  public CompletionStage<History> history(String room, long after, int limit, long maxBytes) {
    return read(after, () -> delegate.history(room, after, limit, maxBytes));
  }

  private CompletionStage<History> read(long after, Supplier<CompletionStage<History>> read) {
    CompletableFuture<History> result = new CompletableFuture<>();
    Runnable perform = () -> read.get().whenComplete((h, e) -> {
      if (e != null) {
        result.completeExceptionally(e);
      } else {
        pages.add(h.chats().stream().mapToLong(c -> WireRules.utf8Length(c.frame())).sum());
        result.complete(h);
      }
    });
    synchronized (this) {
      if (hold != null && hold.test(after)) {
        held.add(perform);
        return result;
      }
    }
    perform.run();
    return result;
  }

  @Override
  public CompletionStage<Optional<Appended>> accepted(String user, String id) {
    CompletionStage<Optional<Appended>> stage = delegate.accepted(user, id);
    lookups.incrementAndGet();
    return stage;
  }

  @Override
  public CompletionStage<RoomState> open(String room) {
    return delegate.open(room);
  }

  @Override
  public CompletionStage<Optional<RoomState>> state(String room) {
    return delegate.state(room);
  }

  /**
   * From now on appends are not stored, and each fails once the next append comes: certainly
   * after its own call returned, as the failure of a store whose disk went away.
   */
  void failAppendsLater() {
    failAppends = true;
  }

  @Override
  public void append(Draft draft, AppendCallback callback) {
    if (failAppends) {
      AppendCallback earlier;
      synchronized (this) {
        earlier = failing;
        failing = callback;
      }
      if (earlier != null) {
        earlier.failed(new java.io.IOException("disk gone"));
      }
      return;
    }
    delegate.append(draft, callback);
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return "GatedStore(" + delegate + ")";
  }
}

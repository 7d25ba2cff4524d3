package dev.tether.server.internal;

import dev.tether.server.RoomStore;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@link RedisRoomStore}'s appends of drafts whose frame only their own renderer can make (not the
 * server's {@link ChatFrame}, whose frame the chat script fills in itself): the frame is rendered
 * here for the seq and epoch the room will give next, and the chat script stores it only if the
 * room still is there ({@code cas}), else answers with the seq to render for and it is tried
 * again. Appends of one room go one at a time, so they only conflict with other servers'.
 *
 * <p>Renderers run on one daemon thread, {@code tether-redis-N-render}, started on first use (a
 * server never needs it), never on the caller's thread or Lettuce's. A lookup of a chat whose
 * append is still here waits for it ({@link #whenDecided}).
 *
 * <p>Thread-safe: this object's monitor guards the rooms' queues.
 */
final class RedisRenderedAppends {
  /** Tries per append before giving up: other servers took the seq this many times in a row. */
  static final int MAX_TRIES = 100;

  /** Runs the chat script for {@code frame}, rendered for {@code seq} of {@code epoch} (0: just ask). */
  interface Script {
    CompletableFuture<List<Object>> cas(RoomStore.Draft draft, String frame, String epoch, long seq, String previous);
  }

  /** What the store does with a final reply. */
  interface Outcome {
    void ok(RoomStore.Draft draft, List<Object> reply, String frame, RoomStore.AppendCallback callback);

    void dup(List<Object> reply, RoomStore.AppendCallback callback);

    void failed(Throwable error, RoomStore.AppendCallback callback);
  }

  private final Script script;
  private final Outcome outcome;
  private final String threadName;
  /** Guarded by this. */
  private ExecutorService renderer;
  /** Guarded by this: per room, the appends waiting, the first in flight. */
  private final Map<String, ArrayDeque<Op>> queues = new HashMap<>();
  /** Guarded by this: per room, the seq and epoch the last reply said come next. */
  private final Map<String, Next> nextOf = new HashMap<>();
  /** Appends not decided yet, by user and id. */
  private final ConcurrentHashMap<String, CompletableFuture<Void>> undecided = new ConcurrentHashMap<>();
  /** Guarded by this. */
  private boolean closed;

  private record Next(String epoch, long seq) {}

  private final class Op {
    final RoomStore.Draft draft;
    final String previous;
    final RoomStore.AppendCallback callback;
    final CompletableFuture<Void> decided = new CompletableFuture<>();
    /** Set once the outcome was reported: a reply after {@link #close()} reports nothing. */
    final AtomicBoolean reported = new AtomicBoolean();
    /** Only touched by whoever works on the op now (one step at a time). */
    int tries;

    Op(RoomStore.Draft draft, String previous, RoomStore.AppendCallback callback) {
      this.draft = draft;
      this.previous = previous;
      this.callback = callback;
    }
  }

  RedisRenderedAppends(Script script, Outcome outcome, String threadName) {
    this.script = script;
    this.outcome = outcome;
    this.threadName = threadName;
  }

  void append(RoomStore.Draft draft, String previous, RoomStore.AppendCallback callback) {
    Op op = new Op(draft, previous, callback);
    undecided.put(key(draft.user(), draft.id()), op.decided);
    boolean first;
    boolean refused;
    synchronized (this) {
      refused = closed;
      ArrayDeque<Op> q = refused ? null : queues.computeIfAbsent(draft.room(), r -> new ArrayDeque<>());
      if (q != null) {
        q.addLast(op);
      }
      first = q != null && q.size() == 1;
    }
    if (refused) {
      finish(op, () -> outcome.failed(new IllegalStateException("store closed"), callback));
    } else if (first) {
      start(op);
    }
  }

  /** A stage that completes once no append of {@code user}'s chat {@code id} is undecided here. */
  CompletionStage<Void> whenDecided(String user, String id) {
    CompletableFuture<Void> f = undecided.get(key(user, id));
    return f == null ? CompletableFuture.completedFuture(null) : f;
  }

  private static String key(String user, String id) {
    return user + '\u0000' + id;
  }

  private void start(Op op) {
    Next guess;
    synchronized (this) {
      guess = nextOf.get(op.draft.room());
    }
    if (guess == null) {
      send(op, "", "", 0); // ask which seq comes next
    } else {
      render(op, guess.epoch(), guess.seq());
    }
  }

  private void render(Op op, String epoch, long seq) {
    try {
      renderer().execute(() -> {
        String frame;
        try {
          frame = op.draft.frame(seq, epoch);
        } catch (RuntimeException e) {
          finish(op, () -> outcome.failed(e, op.callback));
          return;
        }
        send(op, frame, epoch, seq);
      });
    } catch (RejectedExecutionException e) {
      finish(op, () -> outcome.failed(new IllegalStateException("store closed"), op.callback));
    }
  }

  private void send(Op op, String frame, String epoch, long seq) {
    if (++op.tries > MAX_TRIES) {
      finish(op, () -> outcome.failed(new IllegalStateException("room '" + op.draft.room()
          + "': other servers took the next seq " + MAX_TRIES + " times in a row"), op.callback));
      return;
    }
    CompletableFuture<List<Object>> reply;
    try {
      reply = script.cas(op.draft, frame, epoch, seq, op.previous);
    } catch (RuntimeException e) {
      finish(op, () -> outcome.failed(e, op.callback));
      return;
    }
    reply.whenComplete((r, error) -> {
      if (error != null) {
        forget(op.draft.room());
        finish(op, () -> outcome.failed(error, op.callback));
        return;
      }
      String kind = (String) r.get(0);
      switch (kind) {
        case "next" -> render(op, (String) r.get(1), RedisRoomStore.number(r.get(2)));
        case "ok" -> {
          remember(op.draft.room(), (String) r.get(2), RedisRoomStore.number(r.get(1)) + 1);
          finish(op, () -> outcome.ok(op.draft, r, frame, op.callback));
        }
        case "dup" -> finish(op, () -> outcome.dup(r, op.callback));
        default -> finish(op, () -> outcome.failed(new IllegalStateException("chat " + op.draft.id() + " of "
            + op.draft.user() + " came after one of theirs that Redis did not store"), op.callback));
      }
    });
  }

  private synchronized void remember(String room, String epoch, long next) {
    nextOf.put(room, new Next(epoch, next));
  }

  private synchronized void forget(String room) {
    nextOf.remove(room);
  }

  /** Reports {@code op}'s outcome, then starts the next append of its room. */
  private void finish(Op op, Runnable report) {
    if (!op.reported.compareAndSet(false, true)) {
      return;
    }
    try {
      report.run();
    } finally {
      undecided.remove(key(op.draft.user(), op.draft.id()), op.decided);
      op.decided.complete(null);
      Op next = null;
      synchronized (this) {
        ArrayDeque<Op> q = queues.get(op.draft.room());
        if (q != null && q.peekFirst() == op) {
          q.pollFirst();
          if (q.isEmpty()) {
            queues.remove(op.draft.room());
            nextOf.remove(op.draft.room());
          } else {
            next = q.peekFirst();
          }
        }
      }
      if (next != null) {
        start(next);
      }
    }
  }

  private synchronized ExecutorService renderer() {
    if (closed) {
      throw new RejectedExecutionException("closed");
    }
    if (renderer == null) {
      renderer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, threadName);
        t.setDaemon(true);
        return t;
      });
    }
    return renderer;
  }

  /** Ends the render thread; appends still here fail. */
  void close() {
    List<Op> left;
    ExecutorService r;
    synchronized (this) {
      closed = true;
      left = queues.values().stream().flatMap(ArrayDeque::stream).toList();
      queues.clear();
      r = renderer;
    }
    if (r != null) {
      r.shutdownNow();
    }
    for (Op op : left) {
      if (op.reported.compareAndSet(false, true)) {
        undecided.remove(key(op.draft.user(), op.draft.id()), op.decided);
        op.decided.complete(null);
        outcome.failed(new IllegalStateException("store closed"), op.callback);
      }
    }
  }
}

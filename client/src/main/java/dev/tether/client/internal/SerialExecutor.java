package dev.tether.client.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in the order they were enqueued, on a shared executor: a client's
 * delegate callbacks (or store calls, or pings) never overlap and never need a thread of their own.
 *
 * <p>Enqueueing and starting are split so that a caller can enqueue while holding its lock (which
 * fixes the order) and start the drain after releasing it (so that even a direct executor never runs
 * a callback under the lock). A thread may instead {@link #claim} the drain and run it itself
 * ({@link #runClaimed}); either way one drain runs at a time. A task that throws is logged and the
 * next one runs.
 *
 * <p>Batches: one drain runs everything enqueued before it finds the queue empty (up to
 * {@value #BATCH} tasks), so a burst enqueued while a drain is submitted or running costs one
 * hand-off to the executor, not one per task ({@link #drains()}, {@link #tasksRun()}). A task may
 * also be a plain item for the executor's {@code items} consumer (a callback's argument, queued as
 * it is instead of wrapped in a lambda per item).
 *
 * <p>Cost: an idle socket has several of these (callbacks, completions, pings), so one that never
 * got a task is a single small object: its queue is created by the first {@link #enqueue}, and it
 * is its own drain task ({@link #run()}, for the executor only).
 */
final class SerialExecutor implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);
  /** Tasks run per turn before yielding the pool thread to other clients. */
  private static final int BATCH = 256;
  private static final VarHandle QUEUE;
  private static final VarHandle DRAINING;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      QUEUE = lookup.findVarHandle(SerialExecutor.class, "queue", ConcurrentLinkedQueue.class);
      DRAINING = lookup.findVarHandle(SerialExecutor.class, "draining", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Executor executor;
  /** What the tasks are, for logs. */
  private final String what;
  /** Runs the queue's items that are not Runnables; null if there are none. */
  private final Consumer<Object> items;
  /**
   * Runnables, and items for {@link #items}. Null until the first task is enqueued, then never
   * replaced (set once, by CAS).
   */
  private volatile ConcurrentLinkedQueue<Object> queue;
  /** True while a drain is submitted or running; at most one at a time. Changed by CAS. */
  @SuppressWarnings("unused") // through DRAINING
  private volatile boolean draining;
  /** The thread draining the queue now, or null. */
  private volatile Thread runner;
  /**
   * Drains run, and tasks they ran: written by the drain (one at a time) before it releases
   * {@link #draining}, so a reader that sees the drain ended sees them; read by tests.
   */
  private long drains;
  private long tasksRun;

  /** @param what what the tasks are, for logs ("delegate callback") */
  SerialExecutor(Executor executor, String what) {
    this(executor, what, null);
  }

  /**
   * @param what what the tasks are, for logs ("delegate callback")
   * @param items runs each item enqueued with {@link #enqueueItem}, on the draining thread
   */
  SerialExecutor(Executor executor, String what, Consumer<Object> items) {
    this.executor = executor;
    this.what = what;
    this.items = items;
  }

  /** Adds a task; it runs after every task enqueued before it, once {@link #start()} is called. */
  void enqueue(Runnable task) {
    queue().add(task);
  }

  /**
   * Adds an item for the {@code items} consumer, as {@link #enqueue} adds a task; {@code item}
   * must not be a {@code Runnable}.
   */
  void enqueueItem(Object item) {
    assert items != null && !(item instanceof Runnable);
    queue().add(item);
  }

  private ConcurrentLinkedQueue<Object> queue() {
    ConcurrentLinkedQueue<Object> q = queue;
    if (q == null) {
      ConcurrentLinkedQueue<Object> fresh = new ConcurrentLinkedQueue<>();
      @SuppressWarnings("unchecked") // the field's type
      ConcurrentLinkedQueue<Object> won = (ConcurrentLinkedQueue<Object>) QUEUE.compareAndExchange(this, null, fresh);
      q = won == null ? fresh : won;
    }
    return q;
  }

  /**
   * How many drains have run (each a hand-off to the executor, or a claimed run). For tests: exact
   * once the executor is idle (seen through {@link #awaitIdle}).
   */
  long drains() {
    return drains;
  }

  /** How many tasks and items the drains have run. */
  long tasksRun() {
    return tasksRun;
  }

  /** Makes sure enqueued tasks will run. Call it without holding locks. */
  void start() {
    ConcurrentLinkedQueue<Object> q = queue;
    if (q != null && !q.isEmpty() && DRAINING.compareAndSet(this, false, true)) {
      try {
        executor.execute(this);
      } catch (RejectedExecutionException e) {
        draining = false;
        log.error("executor rejected {} tasks; {} are waiting", what, q.size(), e);
      }
    }
  }

  /** True if no queue was ever needed: nothing was enqueued yet. For tests. */
  boolean neverUsed() {
    return queue == null;
  }

  /**
   * Claims the next drain for the calling thread: true if no drain was running, and then the caller
   * must call {@link #runClaimed()} (in a finally block); false if one is running, which runs what
   * the caller enqueues too. While claimed, {@link #start()} from other threads does nothing, so a
   * thread that is about to run the tasks it enqueues is not overtaken by a hand-off to the executor.
   */
  boolean claim() {
    return DRAINING.compareAndSet(this, false, true);
  }

  /**
   * Runs the enqueued tasks on the calling thread, in order, and ends the claim; after
   * {@value #BATCH} tasks the rest go to the executor. Call without holding locks, on a thread that
   * may run the tasks (not a timer's), only after {@link #claim()} returned true.
   */
  void runClaimed() {
    drain();
  }

  /**
   * Waits until every task enqueued before this call has run, or {@code timeout} passed; returns
   * false on timeout. Must not be called from a task of this executor.
   */
  boolean awaitIdle(java.time.Duration timeout) throws InterruptedException {
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    enqueue(done::countDown);
    start();
    return done.await(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  /** True if the current thread is running one of this executor's tasks. */
  boolean isRunningTask() {
    return runner == Thread.currentThread();
  }

  /** The drain, run by the executor after {@link #start()}; not for callers. */
  @Override
  public void run() {
    drain();
  }

  private void drain() {
    runner = Thread.currentThread();
    ConcurrentLinkedQueue<Object> q = queue;
    int ran = 0;
    try {
      for (; q != null && ran < BATCH; ran++) {
        Object task = q.poll();
        if (task == null) {
          break;
        }
        try {
          if (task instanceof Runnable r) {
            r.run();
          } else {
            items.accept(task);
          }
        } catch (Throwable t) {
          log.warn("{} threw; continuing", what, t);
        }
      }
    } finally {
      drains++; // one drain at a time: no lost update
      tasksRun += ran;
      runner = null;
      draining = false;
    }
    start();
  }
}

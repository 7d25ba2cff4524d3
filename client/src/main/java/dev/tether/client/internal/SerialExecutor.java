package dev.tether.client.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
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
  /** Null until the first task is enqueued, then never replaced (set once, by CAS). */
  private volatile ConcurrentLinkedQueue<Runnable> queue;
  /** True while a drain is submitted or running; at most one at a time. Changed by CAS. */
  @SuppressWarnings("unused") // through DRAINING
  private volatile boolean draining;
  /** The thread draining the queue now, or null. */
  private volatile Thread runner;

  /** @param what what the tasks are, for logs ("delegate callback") */
  SerialExecutor(Executor executor, String what) {
    this.executor = executor;
    this.what = what;
  }

  /** Adds a task; it runs after every task enqueued before it, once {@link #start()} is called. */
  void enqueue(Runnable task) {
    ConcurrentLinkedQueue<Runnable> q = queue;
    if (q == null) {
      ConcurrentLinkedQueue<Runnable> fresh = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<?> won = (ConcurrentLinkedQueue<?>) QUEUE.compareAndExchange(this, null, fresh);
      q = won == null ? fresh : queue;
    }
    q.add(task);
  }

  /** Makes sure enqueued tasks will run. Call it without holding locks. */
  void start() {
    ConcurrentLinkedQueue<Runnable> q = queue;
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
    ConcurrentLinkedQueue<Runnable> q = queue;
    try {
      for (int i = 0; q != null && i < BATCH; i++) {
        Runnable task = q.poll();
        if (task == null) {
          break;
        }
        try {
          task.run();
        } catch (Throwable t) {
          log.warn("{} threw; continuing", what, t);
        }
      }
    } finally {
      runner = null;
      draining = false;
    }
    start();
  }
}

package dev.tether.client.internal;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The toolkit's shared thread pools. Every thread is a daemon named {@code tether-...}; none belongs
 * to one connection, so 10,000 clients share the same few threads.
 *
 * <ul>
 *   <li>{@code tether-scheduler}: one thread for heartbeats, reconnect waits and timeouts. Tasks only
 *       decide: they take a client's lock briefly and never write to the network (pings, close
 *       frames and aborts are handed to {@code tether-io}), so a peer that stops reading cannot
 *       freeze the timers of any client. The user code they call ({@code reconnectOn}, a network
 *       monitor's {@code isAvailable}) must return quickly.
 *   <li>{@code tether-callback-N}: runs delegate callbacks, each client's one at a time through a
 *       {@link SerialExecutor}. Idle threads end after 30 s.
 *   <li>{@code tether-io-N}: container calls that may block: {@code connectToServer} (the
 *       handshake), pings (Jetty's {@code sendPing} waits until the frame is written), close frames
 *       and aborts, and outbox store calls other than {@code add}. Bounded; idle threads end after
 *       10 s.
 * </ul>
 */
public final class TetherThreads {
  private static final ScheduledThreadPoolExecutor SCHEDULER = scheduler("tether-scheduler");
  private static final ThreadPoolExecutor CALLBACKS =
      pool("tether-callback-", Math.max(2, Runtime.getRuntime().availableProcessors()), 30);
  private static final ThreadPoolExecutor IO = pool("tether-io-", 32, 10);
  private static final Scheduler REAL = new RealScheduler();

  private TetherThreads() {}

  /** The shared scheduler on real time. */
  public static Scheduler scheduler() {
    return REAL;
  }

  /** The shared pool that runs delegate callbacks. */
  public static Executor callbacks() {
    return CALLBACKS;
  }

  /** The shared pool for blocking container calls. */
  public static Executor io() {
    return IO;
  }

  private static ScheduledThreadPoolExecutor scheduler(String name) {
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, factory(name, false));
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return executor;
  }

  private static ThreadPoolExecutor pool(String prefix, int threads, int keepAliveSeconds) {
    ThreadPoolExecutor executor = new ThreadPoolExecutor(
        threads, threads, keepAliveSeconds, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        factory(prefix, true));
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }

  private static ThreadFactory factory(String name, boolean numbered) {
    AtomicInteger next = new AtomicInteger(1);
    return runnable -> {
      Thread t = new Thread(runnable, numbered ? name + next.getAndIncrement() : name);
      t.setDaemon(true);
      return t;
    };
  }

  private static final class RealScheduler implements Scheduler {
    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
      ScheduledFuture<?> future =
          SCHEDULER.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
      return () -> future.cancel(false);
    }

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }
  }
}

package dev.tether.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Carries out a {@link FaultPlan}: on its own thread ({@code soak-faults}) it waits for each
 * fault's time, injects it (or prints why it is skipped), and schedules its end on a small pool
 * ({@code soak-heal}). {@link #stopAndHeal()} stops injecting and ends every fault still on at
 * once, so that the run can drain with the server up, every link healed and every client process
 * running. A fault or heal that throws (a process that will not start) is kept as {@link #fatal()}
 * and ends the run.
 */
final class FaultScheduler {
  /** Something the scheduler did, {@code atMillis} after the run started. */
  record Event(long atMillis, String kind, String what, boolean skipped, boolean heal) {}

  private final List<FaultPlan.Planned> plan;
  private final FaultKind.Targets targets;
  private final long t0;
  private final PrintStream out;
  private final EventLog log;
  private final Thread thread;
  /** A thread per node and two more: a node's start may wait for Redis, whose start must not wait behind it. */
  private final ScheduledExecutorService healer;
  private final ConcurrentLinkedQueue<Heal> pending = new ConcurrentLinkedQueue<>();
  /** New events, taken by the sampler. */
  final ConcurrentLinkedQueue<Event> fresh = new ConcurrentLinkedQueue<>();
  /** Guarded by itself. */
  private final List<Event> all = new ArrayList<>();
  private volatile boolean stopped;
  private volatile Throwable fatal;

  /** An end of a fault, run once: by its timer or by {@link #stopAndHeal}, whichever comes first. */
  private final class Heal {
    private final FaultPlan.Planned fault;
    private final Runnable action;
    /** Guarded by this. */
    private boolean done;

    Heal(FaultPlan.Planned fault, Runnable action) {
      this.fault = fault;
      this.action = action;
    }

    synchronized void run() {
      if (done) {
        return;
      }
      try {
        action.run();
        record(new Event(now(), fault.kind().name(), "ended: " + fault.describe(), false, true));
      } catch (RuntimeException e) {
        fail("ending " + fault.describe(), e);
      } finally {
        // Only now: stopAndHeal must not go on while an end (a server starting) is still running.
        done = true;
        pending.remove(this);
      }
    }
  }

  FaultScheduler(List<FaultPlan.Planned> plan, FaultKind.Targets targets, long t0Nanos, PrintStream out,
      EventLog log) {
    this.plan = plan;
    this.targets = targets;
    this.t0 = t0Nanos;
    this.out = out;
    this.log = log;
    this.healer = Executors.newScheduledThreadPool(targets.servers().size() + 2, r -> {
      Thread t = new Thread(r, "soak-heal");
      t.setDaemon(true);
      return t;
    });
    this.thread = new Thread(this::run, "soak-faults");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private long now() {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private void run() {
    for (FaultPlan.Planned f : plan) {
      long wait;
      while (!stopped && (wait = f.atMillis() - now()) > 0) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(Math.min(wait, 200)));
      }
      if (stopped || fatal != null) {
        return;
      }
      if (f.kind().unavailable() != null) {
        record(new Event(now(), f.kind().name(), "skipped " + f.kind().name() + ": " + f.kind().unavailable(),
            true, false));
        continue;
      }
      try {
        Runnable end = f.kind().inject(targets, f.target(), f.parameter());
        record(new Event(now(), f.kind().name(), f.describe(), false, false));
        if (end != null) {
          Heal heal = new Heal(f, end);
          pending.add(heal);
          long delay = Math.max(0, f.atMillis() + f.durationMillis() - now());
          healer.schedule(heal::run, delay, TimeUnit.MILLISECONDS);
        }
      } catch (RuntimeException e) {
        fail(f.describe(), e);
        return;
      }
    }
  }

  private void record(Event e) {
    synchronized (all) {
      all.add(e);
    }
    fresh.add(e);
    String line = String.format(Locale.ROOT, "[%7.1f s] %s", e.atMillis() / 1000.0, e.what());
    // The event logs carry wall-clock times, this one time since the start; a VM's two clocks drift.
    log.line(line + " (at " + SoakChecker.time(EventLog.nowMicros()) + " UTC)");
    if (!e.heal()) {
      out.println(line);
    }
  }

  private void fail(String what, Throwable e) {
    if (fatal == null) {
      fatal = e;
    }
    out.println("soak: fault failed: " + what + ": " + e);
    log.line("FATAL " + what + ": " + SoakClient.oneLine(e));
  }

  /** What went wrong injecting or ending a fault, or null. */
  Throwable fatal() {
    return fatal;
  }

  /**
   * Stops injecting, ends every fault still on (restarting what is down: Redis first, which the
   * nodes wait for), and returns after.
   */
  void stopAndHeal() throws InterruptedException {
    stopped = true;
    thread.join();
    for (Heal h : List.copyOf(pending)) {
      if (h.fault.kind().scope() == FaultKind.Scope.REDIS) {
        h.run();
      }
    }
    for (Heal h; (h = pending.peek()) != null; ) {
      h.run();
    }
    healer.shutdownNow();
    healer.awaitTermination(30, TimeUnit.SECONDS);
  }

  /** Everything done so far, in order. */
  List<Event> events() {
    synchronized (all) {
      return List.copyOf(all);
    }
  }

  /** Per kind (in catalogue order): {injected, skipped}. */
  Map<String, int[]> counts(List<FaultKind> kinds) {
    Map<String, int[]> counts = new LinkedHashMap<>();
    kinds.forEach(k -> counts.put(k.name(), new int[2]));
    for (Event e : events()) {
      if (!e.heal()) {
        counts.computeIfAbsent(e.kind(), k -> new int[2])[e.skipped() ? 1 : 0]++;
      }
    }
    return counts;
  }
}

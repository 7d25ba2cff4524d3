package dev.tether.client.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/** Fake time: tasks run only when a test advances the clock, on the test's thread. Thread-safe. */
public final class FakeScheduler implements Scheduler {
  private record Task(long due, long order, Runnable runnable) {}

  private final PriorityQueue<Task> tasks = new PriorityQueue<>(
      (a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.order, b.order));
  private long now;
  private long order;

  @Override
  public synchronized Cancellable schedule(Runnable runnable, Duration delay) {
    Task task = new Task(now + Math.max(0, delay.toNanos()), order++, runnable);
    tasks.add(task);
    return () -> {
      synchronized (this) {
        tasks.remove(task);
      }
    };
  }

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  /** Moves time forward by {@code d}, running every task that falls due, in time order. */
  public void advance(Duration d) {
    long target;
    synchronized (this) {
      target = now + d.toNanos();
    }
    while (true) {
      Task next;
      synchronized (this) {
        next = tasks.peek();
        if (next == null || next.due > target) {
          now = target;
          return;
        }
        tasks.poll();
        now = next.due;
      }
      next.runnable.run();
    }
  }

  /** Delays from now of the tasks waiting, soonest first. */
  public synchronized List<Duration> pending() {
    List<Duration> out = new ArrayList<>();
    tasks.stream().sorted((a, b) -> Long.compare(a.due, b.due))
        .forEach(t -> out.add(Duration.ofNanos(t.due - now)));
    return out;
  }
}

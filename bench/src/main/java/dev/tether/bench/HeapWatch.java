package dev.tether.bench;

import java.lang.management.ManagementFactory;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * This JVM's heap used right after a full collection, measured every {@code period} seconds by
 * asking for one ({@code System.gc()}: a full, stop-the-world collection with the default
 * collectors, which costs a pause of tens of milliseconds on a small heap every period), and its
 * live threads. The value after a full collection is what is still reachable, so it is the figure
 * that shows a leak; the heap used between collections is a sawtooth that shows allocation.
 * One daemon thread, {@code soak-heap}.
 */
final class HeapWatch implements AutoCloseable {
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "soak-heap");
    t.setDaemon(true);
    return t;
  });
  /** -1 until the first measurement. */
  private volatile long heapAfterGc = -1;

  private HeapWatch() {}

  static HeapWatch start(long periodSeconds) {
    HeapWatch w = new HeapWatch();
    w.timer.scheduleWithFixedDelay(w::measure, 0, periodSeconds, TimeUnit.SECONDS);
    return w;
  }

  private void measure() {
    System.gc();
    heapAfterGc = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Heap used after the latest full collection, in bytes; -1 before the first. */
  long heapAfterGc() {
    return heapAfterGc;
  }

  /** Heap used now, garbage included, in bytes. */
  static long heapUsed() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  static int threads() {
    return ManagementFactory.getThreadMXBean().getThreadCount();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}

package dev.tether.bench;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time and bytes allocated by this JVM so far, for per-message figures: read once before and
 * once after a measured run, divide the difference by the messages of the run.
 *
 * <p>CPU is the process's CPU time ({@code com.sun.management.OperatingSystemMXBean
 * .getProcessCpuTime}: every thread, JIT and GC included). Allocation is the sum over threads of
 * {@code com.sun.management.ThreadMXBean.getThreadAllocatedBytes} (HotSpot's per-thread TLAB
 * counters; JDK 17 has no process-wide total). A thread's bytes stay counted after it ends: each
 * reading remembers every thread's last figure, and a thread gone since the previous reading keeps
 * that last figure. What a thread allocated between the previous reading and its end is missed; the
 * pools of the clients and servers measured here keep their threads, and {@link #threadsEnded}
 * says how many ended. Thread-safe (readings are serialized).
 */
final class ProcessMeter {
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private final com.sun.management.ThreadMXBean threads =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  /** Guarded by this: thread id to its allocated bytes at the previous reading. */
  private Map<Long, Long> lastSeen = new HashMap<>();
  /** Guarded by this: bytes of threads that have ended, as last seen. */
  private long ended;
  /** Guarded by this. */
  private long threadsEnded;

  ProcessMeter() {
    if (!threads.isThreadAllocatedMemorySupported()) {
      throw new IllegalStateException("this JVM cannot count allocated bytes per thread");
    }
    threads.setThreadAllocatedMemoryEnabled(true);
  }

  /** One reading: process CPU time and bytes allocated, both since the JVM started. */
  record Reading(long cpuNanos, long allocatedBytes) {
    Reading minus(Reading earlier) {
      return new Reading(cpuNanos - earlier.cpuNanos, allocatedBytes - earlier.allocatedBytes);
    }
  }

  synchronized Reading read() {
    long[] ids = threads.getAllThreadIds();
    long[] bytes = threads.getThreadAllocatedBytes(ids);
    Map<Long, Long> now = new HashMap<>(ids.length * 2);
    long live = 0;
    for (int i = 0; i < ids.length; i++) {
      if (bytes[i] >= 0) { // -1: the thread ended between the two calls
        now.put(ids[i], bytes[i]);
        live += bytes[i];
      }
    }
    for (Map.Entry<Long, Long> e : lastSeen.entrySet()) {
      if (!now.containsKey(e.getKey())) {
        ended += e.getValue();
        threadsEnded++;
      }
    }
    lastSeen = now;
    return new Reading(os.getProcessCpuTime(), ended + live);
  }

  /** Threads that ended between readings so far (their last bytes were missed). */
  synchronized long threadsEnded() {
    return threadsEnded;
  }
}

package dev.tether.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Open-file limits for the workloads that hold thousands of sockets. A child JVM is started
 * through {@code sh -c 'ulimit -n N; exec java ...'} ({@link #raised}). That sets the soft and the
 * hard limit to N; going above the current hard limit needs CAP_SYS_RESOURCE (root, outside most
 * containers), and without it the shell falls back to the hard limit it has. The workload then
 * checks what it got ({@link #require}) and says how to raise it. (HotSpot itself raises the soft
 * limit to the hard one at start on Linux.)
 */
final class FdLimit {
  private FdLimit() {}

  /** {@code command} started through a shell that first sets the open-file limit to {@code n}. */
  static List<String> raised(int n, List<String> command) {
    List<String> c = new ArrayList<>(List.of("sh", "-c",
        "ulimit -n " + n + " 2>/dev/null || ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; exec \"$@\"", "sh"));
    c.addAll(command);
    return c;
  }

  /** Prints this JVM's open-file limit: a probe for tests of {@link #raised}. */
  public static void main(String[] args) {
    System.out.println(current());
  }

  /** This JVM's open-file limit, or -1 if the platform does not say. */
  static long current() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix
        ? unix.getMaxFileDescriptorCount() : -1;
  }

  /**
   * Fails unless this JVM may open {@code needed} files.
   *
   * @throws IllegalStateException naming the limit and how to raise it
   */
  static void require(long needed, String what) {
    long limit = current();
    if (limit >= 0 && limit < needed) {
      throw new IllegalStateException(what + " needs " + needed + " open files, the limit is " + limit
          + ": raise the hard limit (ulimit -Hn; the bench asks for " + Bench.FD_LIMIT + " and gets it where permitted)");
    }
  }
}

package dev.tether.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Whether threads and heap stayed flat: the run's samples (drain excluded) are cut in thirds and
 * the last third is compared with the first. Threads: the last third's maximum may exceed the
 * first third's by at most {@code maxThreadGrowth}. Heap after a full GC: the last third's median
 * may exceed the first third's by at most {@code max(maxHeapGrowthMiB, maxHeapGrowthPercent)}.
 * The server's figures are those of whichever incarnation was up (a restart starts it afresh), so
 * its heap check covers one incarnation's growth at most; the client JVM lives the whole run.
 * Also reports each heap's least-squares slope, in MiB per hour.
 */
final class SoakBounds {
  /** One check: what was measured, against which bound. */
  record Check(String name, String measured, String bound, boolean passed) {}

  private SoakBounds() {}

  static List<Check> check(List<SoakSampler.Sample> all, double runSeconds, int maxThreadGrowth,
      double maxHeapGrowthMiB, double maxHeapGrowthPercent) {
    List<SoakSampler.Sample> run = all.stream().filter(s -> s.t() <= runSeconds).toList();
    List<Check> checks = new ArrayList<>();
    if (run.size() < 9) {
      checks.add(new Check("samples", run.size() + " samples", "at least 9", false));
      return checks;
    }
    int third = run.size() / 3;
    List<SoakSampler.Sample> first = run.subList(0, third);
    List<SoakSampler.Sample> last = run.subList(run.size() - third, run.size());
    checks.add(threads("client JVM threads", first, last, SoakSampler.Sample::clientThreads, maxThreadGrowth));
    checks.add(threads("server JVM threads", first, last, SoakSampler.Sample::serverThreads, maxThreadGrowth));
    checks.add(heap("client JVM heap after GC", first, last, SoakSampler.Sample::clientHeapMiB, maxHeapGrowthMiB,
        maxHeapGrowthPercent));
    checks.add(heap("server JVM heap after GC", first, last, SoakSampler.Sample::serverHeapMiB, maxHeapGrowthMiB,
        maxHeapGrowthPercent));
    return checks;
  }

  private static Check threads(String name, List<SoakSampler.Sample> first, List<SoakSampler.Sample> last,
      ToDoubleFunction<SoakSampler.Sample> f, int growth) {
    double a = max(first, f);
    double b = max(last, f);
    return new Check(name, String.format(Locale.ROOT, "max %.0f in the first third, %.0f in the last", a, b),
        "last ≤ first + " + growth, !Double.isNaN(a) && !Double.isNaN(b) && b <= a + growth);
  }

  private static Check heap(String name, List<SoakSampler.Sample> first, List<SoakSampler.Sample> last,
      ToDoubleFunction<SoakSampler.Sample> f, double mib, double percent) {
    double a = median(first, f);
    double b = median(last, f);
    double allowed = Math.max(mib, a * percent / 100);
    return new Check(name, String.format(Locale.ROOT, "median %.1f MiB in the first third, %.1f in the last", a, b),
        String.format(Locale.ROOT, "last ≤ first + max(%.0f MiB, %.0f%%) = %.1f MiB", mib, percent, a + allowed),
        !Double.isNaN(a) && !Double.isNaN(b) && b <= a + allowed);
  }

  /** Least-squares slope of {@code f} over the run's samples, per hour; NaN if too few. */
  static double slopePerHour(List<SoakSampler.Sample> samples, double runSeconds, ToDoubleFunction<SoakSampler.Sample> f) {
    double n = 0;
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    for (SoakSampler.Sample s : samples) {
      double y = f.applyAsDouble(s);
      if (s.t() > runSeconds || Double.isNaN(y) || y < 0) {
        continue;
      }
      n++;
      sx += s.t();
      sy += y;
      sxx += s.t() * s.t();
      sxy += s.t() * y;
    }
    double d = n * sxx - sx * sx;
    return n < 3 || d == 0 ? Double.NaN : (n * sxy - sx * sy) / d * 3600;
  }

  private static double max(List<SoakSampler.Sample> xs, ToDoubleFunction<SoakSampler.Sample> f) {
    return xs.stream().mapToDouble(f).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
  }

  static double median(List<SoakSampler.Sample> xs, ToDoubleFunction<SoakSampler.Sample> f) {
    double[] v = xs.stream().mapToDouble(f).filter(x -> !Double.isNaN(x) && x >= 0).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}

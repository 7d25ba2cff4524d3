package dev.tether.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Once a second ({@code soak-sampler} thread): what the soak's processes look like, as one
 * {@link Sample}, appended to the run's CSV (flushed, so a run that dies keeps its rows) and kept
 * for the charts. Also flushes the in-process clients' event logs.
 */
final class SoakSampler implements AutoCloseable {
  /** The header of CSVs written before the cluster columns. */
  static final String HEADER_V1 = "t_s,load1,client_heap_after_gc_mib,client_heap_used_mib,server_heap_after_gc_mib,"
      + "client_threads,server_threads,child_threads,server_connections,proxied_connections,outbox_depth,"
      + "sent_per_s,delivered_per_s,latency_p50_ms,latency_p99_ms,latency_max_ms,reconnects,faults_total,"
      + "server_up,children_up,faults,phase";
  static final String HEADER = HEADER_V1 + ",nodes_up,redis_up";

  /**
   * One second of the run. Server figures are NaN while it is down; with {@code --cluster}, heap and
   * threads are the largest of the nodes up, connections the sum over them (NaN while none is up),
   * and {@code serverUp} means every node is up; latencies are NaN in a second
   * without deliveries; {@code faults} names the faults injected in this second, joined by '+';
   * {@code phase} is {@code run} while faults are injected, then {@code drain}. {@code nodesUp}
   * counts the server processes up; {@code redisUp} is 1 or 0, -1 without a cluster (and in CSVs
   * written before these columns).
   */
  record Sample(double t, double load1, double clientHeapMiB, double clientHeapUsedMiB, double serverHeapMiB,
      int clientThreads, double serverThreads, long childThreads, double serverConnections, int proxiedConnections,
      long outbox, long sentPerS, long deliveredPerS, double p50Ms, double p99Ms, double maxMs, long reconnects,
      long faultsTotal, boolean serverUp, int childrenUp, String faults, String phase, int nodesUp, int redisUp) {

    /** A sample of a soak on one server. */
    Sample(double t, double load1, double clientHeapMiB, double clientHeapUsedMiB, double serverHeapMiB,
        int clientThreads, double serverThreads, long childThreads, double serverConnections, int proxiedConnections,
        long outbox, long sentPerS, long deliveredPerS, double p50Ms, double p99Ms, double maxMs, long reconnects,
        long faultsTotal, boolean serverUp, int childrenUp, String faults, String phase) {
      this(t, load1, clientHeapMiB, clientHeapUsedMiB, serverHeapMiB, clientThreads, serverThreads, childThreads,
          serverConnections, proxiedConnections, outbox, sentPerS, deliveredPerS, p50Ms, p99Ms, maxMs, reconnects,
          faultsTotal, serverUp, childrenUp, faults, phase, serverUp ? 1 : 0, -1);
    }

    String csv() {
      return String.join(",", f(t, "%.1f"), f(load1, "%.2f"), f(clientHeapMiB, "%.1f"), f(clientHeapUsedMiB, "%.1f"),
          f(serverHeapMiB, "%.1f"), Integer.toString(clientThreads), f(serverThreads, "%.0f"),
          Long.toString(childThreads), f(serverConnections, "%.0f"), Integer.toString(proxiedConnections),
          Long.toString(outbox), Long.toString(sentPerS), Long.toString(deliveredPerS), f(p50Ms, "%.2f"),
          f(p99Ms, "%.2f"), f(maxMs, "%.2f"), Long.toString(reconnects), Long.toString(faultsTotal),
          serverUp ? "1" : "0", Integer.toString(childrenUp), faults, phase, Integer.toString(nodesUp),
          redisUp < 0 ? "" : Integer.toString(redisUp));
    }

    static Sample parse(String line) {
      String[] f = line.split(",", -1);
      return new Sample(d(f[0]), d(f[1]), d(f[2]), d(f[3]), d(f[4]), (int) d(f[5]), d(f[6]), (long) d(f[7]),
          d(f[8]), (int) d(f[9]), (long) d(f[10]), (long) d(f[11]), (long) d(f[12]), d(f[13]), d(f[14]), d(f[15]),
          (long) d(f[16]), (long) d(f[17]), f[18].equals("1"), (int) d(f[19]), f[20], f[21],
          f.length > 22 ? (int) d(f[22]) : (f[18].equals("1") ? 1 : 0), f.length > 23 && !f[23].isEmpty() ? (int) d(f[23]) : -1);
    }

    private static String f(double v, String fmt) {
      return Double.isNaN(v) ? "" : String.format(Locale.ROOT, fmt, v);
    }

    private static double d(String s) {
      return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
    }
  }

  private final long t0;
  private final HeapWatch heap;
  private final List<SoakServerProcess> servers;
  /** Null without a cluster. */
  private final SoakRedis redis;
  private final List<SoakLink> links;
  private final List<SoakClient> local;
  private final List<EventLog> localLogs;
  private final List<ChildProcess> children;
  private final AtomicLong localDelivered;
  private final Recorder latency;
  private final FaultScheduler faults;
  private final BufferedWriter csv;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "soak-sampler");
    t.setDaemon(true);
    return t;
  });
  /** Guarded by itself. */
  private final List<Sample> samples = new ArrayList<>();
  /** Every latency of the run, in µs; only touched by the sampler thread until it is closed. */
  private final Histogram overall = new Histogram(3);
  private Histogram interval;
  private long lastSent;
  private long lastDelivered;
  private long faultsTotal;
  private volatile boolean draining;

  SoakSampler(long t0Nanos, HeapWatch heap, List<SoakServerProcess> servers, SoakRedis redis, List<SoakLink> links,
      List<SoakClient> local, List<EventLog> localLogs, List<ChildProcess> children, AtomicLong localDelivered,
      Recorder latency, FaultScheduler faults, Path csvFile) {
    this.t0 = t0Nanos;
    this.heap = heap;
    this.servers = servers;
    this.redis = redis;
    this.links = links;
    this.local = local;
    this.localLogs = localLogs;
    this.children = children;
    this.localDelivered = localDelivered;
    this.latency = latency;
    this.faults = faults;
    try {
      Files.createDirectories(csvFile.getParent());
      this.csv = Files.newBufferedWriter(csvFile, StandardCharsets.UTF_8);
      csv.write(HEADER);
      csv.newLine();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + csvFile, e);
    }
  }

  void start() {
    latency.getIntervalHistogram(); // drop what came before the run
    timer.scheduleAtFixedRate(this::sample, 1, 1, TimeUnit.SECONDS);
  }

  private void sample() {
    try {
      Sample sample = take();
      synchronized (samples) {
        samples.add(sample);
      }
    } catch (RuntimeException e) {
      System.err.println("soak: sampling failed: " + e);
    }
  }

  private Sample take() {
    localLogs.forEach(EventLog::flush);
    double t = (System.nanoTime() - t0) / 1e9;
    // The one server's figures; with a cluster, the heaviest node's heap and threads (a leak in any
    // node shows there) and the connections of every node up.
    double serverHeap = Double.NaN;
    double serverThreads = Double.NaN;
    double serverConnections = Double.NaN;
    int nodesUp = 0;
    for (SoakServerProcess p : servers) {
      SoakServerProcess.Stat s = p.latest();
      nodesUp += p.isUp() ? 1 : 0;
      if (s != null) {
        if (s.heapAfterGc() >= 0) {
          serverHeap = Double.isNaN(serverHeap) ? s.heapAfterGc() : Math.max(serverHeap, s.heapAfterGc());
        }
        serverThreads = Double.isNaN(serverThreads) ? s.threads() : Math.max(serverThreads, s.threads());
        serverConnections = (Double.isNaN(serverConnections) ? 0 : serverConnections) + s.connections();
      }
    }
    long sent = 0;
    long delivered = localDelivered.get();
    long outbox = 0;
    long reconnects = 0;
    long childThreads = 0;
    int childrenUp = 0;
    for (SoakClient c : local) {
      sent += c.sent();
      outbox += c.outboxSize();
      reconnects += c.reconnects();
    }
    for (ChildProcess c : children) {
      sent += c.sent();
      delivered += c.delivered();
      reconnects += c.reconnects();
      outbox += Math.max(0, c.outbox());
      childThreads += c.threads();
      childrenUp += c.isUp() ? 1 : 0;
    }
    interval = latency.getIntervalHistogram(interval);
    overall.add(interval);
    boolean any = interval.getTotalCount() > 0;
    Set<String> kinds = new LinkedHashSet<>();
    for (FaultScheduler.Event e; (e = faults.fresh.poll()) != null; ) {
      if (!e.heal() && !e.skipped()) {
        kinds.add(e.kind());
        faultsTotal++;
      }
    }
    int proxied = links.stream().mapToInt(SoakLink::connectionCount).sum();
    Sample sample = new Sample(t, load1(), heap.heapAfterGc() / 1048576.0, HeapWatch.heapUsed() / 1048576.0,
        serverHeap / 1048576.0, HeapWatch.threads(), serverThreads, childThreads, serverConnections, proxied,
        outbox, sent - lastSent, delivered - lastDelivered,
        any ? interval.getValueAtPercentile(50) / 1000.0 : Double.NaN,
        any ? interval.getValueAtPercentile(99) / 1000.0 : Double.NaN,
        any ? interval.getMaxValue() / 1000.0 : Double.NaN,
        reconnects, faultsTotal, nodesUp == servers.size(), childrenUp, String.join("+", kinds),
        draining ? "drain" : "run", nodesUp, redis == null ? -1 : redis.isUp() ? 1 : 0);
    lastSent = sent;
    lastDelivered = delivered;
    try {
      csv.write(sample.csv());
      csv.newLine();
      csv.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return sample;
  }

  static double load1() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException notLinux) {
      return Double.NaN;
    }
  }

  /** Marks the samples from now on as the drain's. */
  void draining() {
    draining = true;
  }

  /** The latest sample, or null before the first. */
  Sample last() {
    synchronized (samples) {
      return samples.isEmpty() ? null : samples.get(samples.size() - 1);
    }
  }

  /** Stops sampling; returns every sample, and keeps the latencies of the run in {@link #overall()}. */
  List<Sample> stop() throws InterruptedException {
    timer.shutdown();
    timer.awaitTermination(10, TimeUnit.SECONDS);
    try {
      csv.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    synchronized (samples) {
      return List.copyOf(samples);
    }
  }

  /** All end-to-end latencies of in-process receivers over the run, µs; read after {@link #stop()}. */
  Histogram overall() {
    return overall;
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}

package dev.tether.bench;

import dev.tether.client.OutboxStore;
import dev.tether.stub.FaultProxy;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.HdrHistogram.Recorder;

/**
 * The chaos soak: {@link SoakOptions#clients} Tether clients in {@link SoakOptions#rooms} rooms on
 * a {@link SoakServer} process (SQLite), each behind one of {@link SoakOptions#links}
 * {@link SoakLink}s ({@link FaultProxy}s), sending at a steady rate while a seeded
 * {@link FaultPlan} breaks things; then drains, checks every log with {@link SoakChecker}, checks
 * the resource bounds with {@link SoakBounds}, and writes the CSV, the chart and the report
 * ({@link SoakReport}).
 *
 * <p>With {@link SoakOptions#cluster}: a {@link SoakRedis} and {@link SoakOptions#nodes}
 * {@link SoakServer} processes on {@code RoomStore.redis}; each link has a proxy per node, and
 * every client is given every node's URI through its link, its home node first (client {@code i}
 * in room {@code r = i % rooms} starts on node {@code (i / rooms + r) % nodes}, so that each room
 * has members on every node), and fails over to the others in turn.
 *
 * <p>Clients: the first {@link SoakOptions#children} run in their own JVMs ({@link SoakChild}, on
 * SQLite outboxes, killed and restarted by the {@code client-kill} fault), the next
 * {@link SoakOptions#durable} in this JVM on SQLite outboxes, the rest in this JVM with the
 * client's own outbox. Client {@code i} is in room {@code i % rooms} and on link {@code i % links}.
 */
final class Soak {
  /** Seconds between the full GCs that measure heap after GC, in this JVM and the server's. */
  static final int GC_PERIOD_S = 10;

  private final SoakOptions o;
  private final PrintStream out = System.out;
  private final String stamp;
  private final Path work;

  private Soak(SoakOptions o) {
    this.o = o;
    this.stamp = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss'Z'").withZone(ZoneOffset.UTC).format(Instant.now());
    this.work = o.work.resolve(stamp);
  }

  /** Runs a soak; returns the exit code (0: passed). */
  static int run(SoakOptions o) throws Exception {
    return new Soak(o).run();
  }

  private int run() throws Exception {
    Files.createDirectories(work.resolve("server"));
    // The clients' log (reconnects, ack timeouts) goes to the work directory, not the console.
    System.setProperty("org.slf4j.simpleLogger.logFile", work.resolve("soak.log").toString());
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    List<FaultKind> kinds = o.kinds();
    long runMillis = (long) (o.minutes * 60_000);
    List<FaultPlan.Planned> plan = FaultPlan.plan(o.seed, o.quietStartSeconds * 1000L, runMillis,
        (long) (o.gapMin() * 1000), (long) (o.gapMax() * 1000), kinds, o.links, o.children, o.servers());
    out.printf("soak: seed %d (replay: %s)%n", o.seed, o.replayCommand());
    out.printf("soak: %d clients (%d in child processes, %d on SQLite outboxes here, %d in memory) in %d rooms, "
            + "%.1f chats/s each, %d links, %.1f min, %d faults planned, %s; work dir %s%n", o.clients, o.children,
        o.durable, o.clients - o.children - o.durable, o.rooms, o.rate, o.links, o.minutes, plan.size(),
        o.cluster ? o.nodes + " nodes on Redis" : "one server on SQLite", work);
    for (FaultKind k : kinds) {
      if (k.unavailable() != null) {
        out.printf("soak: %s %s%n", k.name(), k.unavailable());
      }
    }
    Files.write(work.resolve("plan.txt"), plan.stream().map(FaultPlan.Planned::toString).toList());

    SoakRedis redis = null;
    List<SoakServerProcess> servers = new ArrayList<>();
    List<SoakLink> links = new ArrayList<>();
    List<SoakClient> local = new ArrayList<>();
    List<EventLog> localLogs = new ArrayList<>();
    List<OutboxStore> stores = new ArrayList<>();
    List<ChildProcess> children = new ArrayList<>();
    List<SoakChecker.Participant> participants = new ArrayList<>();
    AtomicLong localDelivered = new AtomicLong();
    Recorder latency = new Recorder(3);
    ScheduledExecutorService senders = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "soak-send");
      t.setDaemon(true);
      return t;
    });
    HeapWatch heap = null;
    SoakSampler sampler = null;
    FaultScheduler faults = null;
    EventLog faultLog = EventLog.append(work.resolve("faults.log"), true);
    try {
      if (o.cluster) {
        SoakRedis r = redis = SoakRedis.start(work.resolve("redis"));
        out.printf("soak: Redis at %s: %s%n", r.uri(), r.version());
        for (int n = 0; n < o.nodes; n++) {
          servers.add(new SoakServerProcess("node" + n, ServerProcess.freePort(), r.uri(), r::isUp,
              work.resolve("server")));
        }
      } else {
        servers.add(new SoakServerProcess(ServerProcess.freePort(), work.resolve("server").resolve("rooms.db"),
            work.resolve("server")));
      }
      for (SoakServerProcess s : servers) {
        s.start();
      }
      List<URI> nodeUris = servers.stream().map(SoakServerProcess::uri).toList();
      for (int i = 0; i < o.links; i++) {
        links.add(SoakLink.start(nodeUris));
      }
      List<CompletableFuture<?>> joins = new ArrayList<>();
      for (int i = 0; i < o.clients; i++) {
        String room = "room" + (i % o.rooms);
        List<URI> uris = links.get(i % o.links).urisFrom((i / o.rooms + i % o.rooms) % servers.size());
        if (i < o.children) {
          String user = String.format(Locale.ROOT, "c%02d", i);
          Path dir = Files.createDirectories(work.resolve(user));
          children.add(new ChildProcess(user, room, uris, dir, o.rate));
          participants.add(new SoakChecker.Participant(user, room, dir.resolve("events.log"), true));
        } else {
          String user = String.format(Locale.ROOT, "%s%02d", i < o.children + o.durable ? "d" : "m", i);
          Path logFile = work.resolve(user + ".log");
          EventLog log = EventLog.append(logFile, false);
          OutboxStore store = i < o.children + o.durable ? OutboxStore.sqlite(work.resolve(user + ".db")) : null;
          if (store != null) {
            stores.add(store);
          }
          SoakClient c = new SoakClient(uris, user, room, log, store, latency, localDelivered, 0);
          c.open();
          joins.add(c.join());
          local.add(c);
          localLogs.add(log);
          participants.add(new SoakChecker.Participant(user, room, logFile, false));
        }
      }
      CompletableFuture.allOf(joins.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      for (ChildProcess c : children) {
        c.start();
      }
      out.printf("soak: all %d clients joined; running%n", o.clients);

      long t0 = System.nanoTime();
      heap = HeapWatch.start(GC_PERIOD_S);
      faults = new FaultScheduler(plan, new FaultKind.Targets(servers, redis, links, children), t0, out, faultLog);
      sampler = new SoakSampler(t0, heap, servers, redis, links, local, localLogs, children, localDelivered, latency,
          faults, o.results.resolve(stamp + ".csv"));
      sampler.start();
      List<ScheduledFuture<?>> sending = new ArrayList<>();
      long period = (long) (1e6 / o.rate);
      for (int i = 0; i < local.size(); i++) {
        long phase = period * i / Math.max(1, local.size());
        sending.add(senders.scheduleAtFixedRate(local.get(i)::sendNext, phase, period, TimeUnit.MICROSECONDS));
      }
      children.forEach(c -> c.command("go"));
      faults.start();

      long end = t0 + runMillis * 1_000_000;
      long lastProgress = System.nanoTime();
      while (System.nanoTime() < end && faults.fatal() == null) {
        Thread.sleep(200);
        if (System.nanoTime() - lastProgress > 60e9) {
          lastProgress = System.nanoTime();
          SoakSampler.Sample s = sampler.last();
          if (s != null) {
            out.printf(Locale.ROOT, "soak: %5.1f min: %d faults, outbox %d, %d reconnects, p99 %.0f ms, load %.2f%n",
                s.t() / 60, s.faultsTotal(), s.outbox(), s.reconnects(), s.p99Ms(), s.load1());
          }
        }
      }
      double runSeconds = (System.nanoTime() - t0) / 1e9;
      sampler.draining();
      out.println("soak: run over; healing every fault and draining");
      faults.stopAndHeal();
      sending.forEach(f -> f.cancel(false));
      senders.shutdown();
      senders.awaitTermination(30, TimeUnit.SECONDS);
      children.forEach(c -> c.command("stop"));
      Drain drain = drain(local, children, localDelivered);
      out.printf("soak: %s%n", drain);
      List<SoakSampler.Sample> samples = sampler.stop();
      closeAll(local, localLogs, stores, children);
      servers.forEach(SoakServerProcess::stop);
      if (redis != null) {
        redis.close(); // before its data directory goes with the work directory
      }

      out.println("soak: checking " + participants.size() + " logs");
      SoakChecker.Result result = new SoakChecker(participants).check();
      List<SoakBounds.Check> bounds = SoakBounds.check(samples, runSeconds, o.maxThreadGrowth, o.maxHeapGrowthMib,
          o.maxHeapGrowthPercent);
      SoakReport report = new SoakReport(o, stamp, plan, faults, kinds, samples, sampler.overall(), result, bounds,
          drain, runSeconds, servers, redis, children);
      report.write();
      boolean passed = report.passed();
      out.print(report.console());
      out.println(passed ? "soak: PASSED" : "soak: FAILED (logs kept in " + work + ")");
      if (passed && !o.keepLogs) {
        deleteTree(work);
      }
      return passed ? 0 : 1;
    } finally {
      senders.shutdownNow();
      if (faults != null && faults.fatal() != null) {
        out.println("soak: aborted: " + faults.fatal());
      }
      for (SoakClient c : local) {
        c.close();
      }
      for (ChildProcess c : children) {
        c.close();
      }
      for (SoakLink l : links) {
        l.close();
      }
      servers.forEach(SoakServerProcess::close);
      if (redis != null) {
        redis.close();
      }
      if (heap != null) {
        heap.close();
      }
      faultLog.close();
    }
  }

  /** How the drain ended. */
  record Drain(boolean drained, double seconds, long outboxLeft, long deliveredAfterRun) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%s in %.1f s (%d left in outboxes)",
          drained ? "drained" : "NOT drained", seconds, outboxLeft);
    }
  }

  /**
   * Waits until every outbox is empty and deliveries have stopped for 10 s (every child up and
   * reporting), at most {@link SoakOptions#drainSeconds}.
   */
  private Drain drain(List<SoakClient> local, List<ChildProcess> children, AtomicLong localDelivered)
      throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + (long) (o.drainSeconds * 1e9);
    long quietSince = start;
    long deliveredAtStart = delivered(children, localDelivered);
    long lastDelivered = deliveredAtStart;
    long outbox = -1;
    while (System.nanoTime() < deadline) {
      Thread.sleep(500);
      outbox = local.stream().mapToLong(SoakClient::outboxSize).sum();
      boolean childrenReporting = true;
      for (ChildProcess c : children) {
        childrenReporting &= c.outbox() >= 0;
        outbox += Math.max(0, c.outbox());
      }
      long delivered = delivered(children, localDelivered);
      if (delivered != lastDelivered) {
        lastDelivered = delivered;
        quietSince = System.nanoTime();
      }
      if (outbox == 0 && childrenReporting && System.nanoTime() - quietSince > 10e9) {
        return new Drain(true, (System.nanoTime() - start) / 1e9, 0, delivered - deliveredAtStart);
      }
    }
    return new Drain(false, (System.nanoTime() - start) / 1e9, outbox, lastDelivered - deliveredAtStart);
  }

  private static long delivered(List<ChildProcess> children, AtomicLong localDelivered) {
    return localDelivered.get() + children.stream().mapToLong(ChildProcess::delivered).sum();
  }

  private static void closeAll(List<SoakClient> local, List<EventLog> logs, List<OutboxStore> stores,
      List<ChildProcess> children) {
    for (EventLog log : logs) {
      log.line("Z " + EventLog.nowMicros());
    }
    for (SoakClient c : local) {
      c.close();
    }
    for (SoakClient c : local) {
      c.awaitSettled(10, TimeUnit.SECONDS); // a future failed by close() is logged before its log closes
    }
    for (ChildProcess c : children) {
      c.close();
    }
    for (OutboxStore s : stores) {
      s.close();
    }
    for (EventLog log : logs) {
      log.close();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

package dev.tether.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * The catalogue of {@link FaultKind}s, with the durations each draws: one for a soak on one server
 * ({@link #all()}), one for a {@code --cluster} soak ({@link #cluster()}). Kinds a soak cannot
 * inject are declared too, with the reason, so that a run says what it did not test.
 */
final class FaultKinds {
  private FaultKinds() {}

  static final String NEEDS_CLUSTER = "not available on one server: run the soak with --cluster (nodes on Redis)";

  /** Every kind of a soak on one server (SQLite), available or not, in the order reports list them. */
  static List<FaultKind> all() {
    return all(false);
  }

  /** Every kind of a {@code --cluster} soak (nodes on Redis), in the order reports list them. */
  static List<FaultKind> cluster() {
    return all(true);
  }

  static List<FaultKind> all(boolean cluster) {
    List<FaultKind> server = cluster
        ? List.of(
            new ServerFault("server-restart", FaultKind.Scope.NODE,
                "graceful restart of one node (SIGTERM: 1001 to its clients, which fail over), on Redis",
                (t, node) -> t.servers().get(node).stop(), (t, node) -> t.servers().get(node).start(), 0, 3000, 1),
            new ServerFault("server-kill", FaultKind.Scope.SERVER,
                "every node SIGKILLed at once and started again on Redis",
                (t, node) -> t.servers().forEach(SoakServerProcess::kill), FaultKinds::startAll, 0, 3000, 1),
            new ServerFault("state-reset", FaultKind.Scope.REDIS,
                "Redis SIGKILLed and started again with its data deleted: every room's state lost",
                (t, node) -> t.redis().killAndForget(), (t, node) -> t.redis().start(), 0, 2000, 1))
        : List.of(
            new ServerFault("server-restart", FaultKind.Scope.SERVER,
                "graceful restart of the server (SIGTERM: 1001 to every client), same SQLite file",
                (t, node) -> t.servers().get(0).stop(), (t, node) -> t.servers().get(0).start(), 0, 3000, 1),
            new ServerFault("server-kill", FaultKind.Scope.SERVER, "server SIGKILLed and started again on its SQLite file",
                (t, node) -> t.servers().get(0).kill(), (t, node) -> t.servers().get(0).start(), 0, 3000, 1),
            new ServerFault("state-reset", FaultKind.Scope.SERVER,
                "server SIGKILLed and started on a new SQLite file: every room's state lost",
                (t, node) -> t.servers().get(0).killAndForget(), (t, node) -> t.servers().get(0).start(), 0, 2000, 1));
    List<FaultKind> kinds = new ArrayList<>(server);
    kinds.addAll(List.of(
        new ConnectionDrop(),
        new LinkFault("blackhole", "nothing forwarded on the link, bytes held and connections kept; healed later",
            2000, 15000, SoakLink::blackhole, SoakLink::heal),
        new Latency(),
        new LinkFault("stop-reading", "the link stops reading both ways (zero TCP window); healed later",
            3000, 20000, SoakLink::stopReading, SoakLink::heal),
        new ClientKill(),
        new LossyLink()));
    if (cluster) {
      kinds.add(new ServerFault("node-kill", FaultKind.Scope.NODE,
          "one node SIGKILLed (its clients fail over to the others) and started again on Redis",
          (t, node) -> t.servers().get(node).kill(), (t, node) -> t.servers().get(node).start(), 1000, 8000, 2));
      kinds.add(new RedisRestart());
    } else {
      kinds.add(new Unavailable("node-kill", FaultKind.Scope.NODE, NEEDS_CLUSTER));
      kinds.add(new Unavailable("redis-restart", FaultKind.Scope.REDIS, NEEDS_CLUSTER));
    }
    return List.copyOf(kinds);
  }

  static String seconds(long millis) {
    return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
  }

  static long between(RandomGenerator random, long min, long max) {
    return min + random.nextLong(max - min + 1);
  }

  private static String link(int target) {
    return target < 0 ? "every link" : "link " + target;
  }

  /** Starts every node that is down, at once (each start may wait for its JVM, and for Redis). */
  private static void startAll(FaultKind.Targets targets, int target) {
    List<CompletableFuture<Void>> starts = targets.servers().stream()
        .map(s -> CompletableFuture.runAsync(s::start, r -> {
          Thread t = new Thread(r, "soak-start-" + s.name());
          t.setDaemon(true);
          t.start();
        })).toList();
    try {
      CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /** What a server-side fault does to its target (a node's index, or 0). */
  interface Action {
    void run(FaultKind.Targets targets, int target);
  }

  /**
   * Stops a server, the nodes, or Redis one way and starts it again after a downtime of
   * {@code minDowntime..maxDowntime} ms.
   */
  record ServerFault(String name, FaultKind.Scope scope, String what, Action stop, Action start, long minDowntime,
      long maxDowntime, int weight) implements FaultKind {
    @Override
    public long drawDuration(RandomGenerator random) {
      return between(random, minDowntime, maxDowntime);
    }

    @Override
    public Runnable inject(Targets targets, int target, long parameter) {
      stop.run(targets, target);
      return () -> start.run(targets, target);
    }

    @Override
    public String describe(int target, long durationMillis, long parameter) {
      return name + (scope == FaultKind.Scope.NODE ? " of node " + target : "") + ": " + what + ", down for "
          + seconds(durationMillis);
    }
  }

  /**
   * Redis stopped, by SIGTERM (it fsyncs and exits) or by SIGKILL (only what was fsynced before the
   * answer survives: with {@code appendfsync always}, every acknowledged write), drawn half and half,
   * and started again on its data after 0-5 s. The nodes ride it out: chats refused or failed
   * meanwhile are resent by their clients.
   */
  record RedisRestart() implements FaultKind {
    @Override
    public String name() {
      return "redis-restart";
    }

    @Override
    public FaultKind.Scope scope() {
      return FaultKind.Scope.REDIS;
    }

    @Override
    public long drawDuration(RandomGenerator random) {
      return between(random, 0, 5000);
    }

    /** 1: SIGKILL, 0: SIGTERM. */
    @Override
    public long drawParameter(RandomGenerator random) {
      return random.nextInt(2);
    }

    @Override
    public Runnable inject(Targets targets, int target, long parameter) {
      targets.redis().stop(parameter == 1);
      return targets.redis()::start;
    }

    @Override
    public String describe(int target, long durationMillis, long parameter) {
      return "redis-restart: Redis " + (parameter == 1 ? "SIGKILLed" : "stopped (SIGTERM)")
          + " and started again on its data (appendfsync always), down for " + seconds(durationMillis);
    }
  }

  /** Resets every TCP connection on one link, or on all of them; clients reconnect through it. */
  record ConnectionDrop() implements FaultKind {
    @Override
    public String name() {
      return "connection-drop";
    }

    @Override
    public FaultKind.Scope scope() {
      return FaultKind.Scope.LINK;
    }

    @Override
    public long drawDuration(RandomGenerator random) {
      return 0;
    }

    @Override
    public boolean drawAllLinks(RandomGenerator random) {
      return random.nextInt(4) == 0;
    }

    @Override
    public Runnable inject(Targets targets, int target, long parameter) {
      if (target < 0) {
        targets.links().forEach(SoakLink::cutAll);
      } else {
        targets.links().get(target).cutAll();
      }
      return null;
    }

    @Override
    public String describe(int target, long durationMillis, long parameter) {
      return "connection-drop: every connection on " + link(target) + " reset";
    }
  }

  /** A switch on one link, on for a while. */
  record LinkFault(String name, String what, long min, long max, Consumer<SoakLink> on,
      Consumer<SoakLink> off) implements FaultKind {
    @Override
    public FaultKind.Scope scope() {
      return FaultKind.Scope.LINK;
    }

    @Override
    public long drawDuration(RandomGenerator random) {
      return between(random, min, max);
    }

    @Override
    public Runnable inject(Targets targets, int target, long parameter) {
      SoakLink proxy = targets.links().get(target);
      on.accept(proxy);
      return () -> off.accept(proxy);
    }

    @Override
    public String describe(int target, long durationMillis, long parameter) {
      return name + " on " + link(target) + " for " + seconds(durationMillis) + " (" + what + ")";
    }
  }

  /** Every chunk forwarded on one link delayed by 100-1500 ms, for 5-20 s. */
  record Latency() implements FaultKind {
    @Override
    public String name() {
      return "latency";
    }

    @Override
    public FaultKind.Scope scope() {
      return FaultKind.Scope.LINK;
    }

    @Override
    public long drawDuration(RandomGenerator random) {
      return between(random, 5000, 20000);
    }

    @Override
    public long drawParameter(RandomGenerator random) {
      return between(random, 100, 1500);
    }

    @Override
    public Runnable inject(Targets targets, int target, long parameter) {
      SoakLink proxy = targets.links().get(target);
      proxy.latency(Duration.ofMillis(parameter));
      return () -> proxy.latency(Duration.ZERO);
    }

    @Override
    public String describe(int target, long durationMillis, long parameter) {
      return "latency " + parameter + " ms on " + link(target) + " for " + seconds(durationMillis);
    }
  }

  /**
   * One link loses 1-10 % of the messages clients send on it (whole WebSocket messages, drawn per
   * connection; the connections live on and nothing the server sends is lost), for 3-15 s. The
   * parameter packs the loss in per mille (low 16 bits) and the seed of the draws.
   */
  record LossyLink() implements FaultKind {
    @Override
    public String name() {
      return "lossy-link";
    }

    @Override
    public FaultKind.Scope scope() {
      return FaultKind.Scope.LINK;
    }

    @Override
    public long drawDuration(RandomGenerator random) {
      return between(random, 3000, 15000);
    }

    @Override
    public long drawParameter(RandomGenerator random) {
      return random.nextLong(1L << 40) << 16 | between(random, 10, 100);
    }

    private static double probability(long parameter) {
      return (parameter & 0xFFFF) / 1000.0;
    }

    @Override
    public Runnable inject(Targets targets, int target, long parameter) {
      SoakLink proxy = targets.links().get(target);
      proxy.lossy(probability(parameter), parameter >>> 16);
      return () -> proxy.lossy(0, 0);
    }

    @Override
    public String describe(int target, long durationMillis, long parameter) {
      return String.format(Locale.ROOT, "lossy-link on %s for %s (%.1f %% of client messages lost, connections kept)",
          link(target), seconds(durationMillis), probability(parameter) * 100);
    }
  }

  /** A client process SIGKILLed, started again on its SQLite outbox after 0-5 s. */
  record ClientKill() implements FaultKind {
    @Override
    public String name() {
      return "client-kill";
    }

    @Override
    public FaultKind.Scope scope() {
      return FaultKind.Scope.CHILD;
    }

    @Override
    public long drawDuration(RandomGenerator random) {
      return between(random, 0, 5000);
    }

    @Override
    public Runnable inject(Targets targets, int target, long parameter) {
      ChildProcess child = targets.children().get(target);
      child.kill();
      return child::start;
    }

    @Override
    public String describe(int target, long durationMillis, long parameter) {
      return "client-kill: client process " + target + " SIGKILLed, restarted on its outbox after "
          + seconds(durationMillis);
    }
  }

  /** A kind declared so that reports name it, which this build cannot inject. */
  record Unavailable(String name, FaultKind.Scope scope, String unavailable) implements FaultKind {
    @Override
    public int weight() {
      return 1;
    }

    @Override
    public long drawDuration(RandomGenerator random) {
      return 0;
    }

    @Override
    public Runnable inject(Targets targets, int target, long parameter) {
      throw new UnsupportedOperationException(name + " " + unavailable);
    }

    @Override
    public String describe(int target, long durationMillis, long parameter) {
      return name;
    }
  }
}

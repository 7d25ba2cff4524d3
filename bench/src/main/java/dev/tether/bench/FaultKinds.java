package dev.tether.bench;

import dev.tether.stub.FaultProxy;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * The catalogue of {@link FaultKind}s, with the durations each draws. Kinds this build cannot
 * inject are declared too, with the reason, so that a run says what it did not test.
 */
final class FaultKinds {
  private FaultKinds() {}

  static final String NEEDS_CLUSTER = "not available in this build: needs the Redis cluster (issue 12)";

  /** Every kind, available or not, in the order reports list them. */
  static List<FaultKind> all() {
    return List.of(
        new ServerFault("server-restart", "graceful restart of the server (SIGTERM: 1001 to every client), same SQLite file",
            SoakServerProcess::stop, 3000, null),
        new ServerFault("server-kill", "server SIGKILLed and started again on its SQLite file",
            SoakServerProcess::kill, 3000, null),
        new ServerFault("state-reset", "server SIGKILLed and started on a new SQLite file: every room's state lost",
            SoakServerProcess::killAndForget, 2000, null),
        new ConnectionDrop(),
        new LinkFault("blackhole", "nothing forwarded on the link, bytes held and connections kept; healed later",
            2000, 15000, FaultProxy::blackhole, FaultProxy::heal),
        new Latency(),
        new LinkFault("stop-reading", "the link stops reading both ways (zero TCP window); healed later",
            3000, 20000, FaultProxy::stopReading, FaultProxy::heal),
        new ClientKill(),
        new LossyLink(),
        new Unavailable("node-kill", FaultKind.Scope.SERVER, NEEDS_CLUSTER),
        new Unavailable("redis-restart", FaultKind.Scope.SERVER, NEEDS_CLUSTER));
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

  /** Stops the server one way, starts it again after a downtime. */
  record ServerFault(String name, String what, Consumer<SoakServerProcess> stop, long maxDowntime,
      String unavailable) implements FaultKind {
    @Override
    public FaultKind.Scope scope() {
      return FaultKind.Scope.SERVER;
    }

    @Override
    public int weight() {
      return 1;
    }

    @Override
    public long drawDuration(RandomGenerator random) {
      return between(random, 0, maxDowntime);
    }

    @Override
    public Runnable inject(Targets targets, int target, long parameter) {
      stop.accept(targets.server());
      return targets.server()::start;
    }

    @Override
    public String describe(int target, long durationMillis, long parameter) {
      return name + ": " + what + ", down for " + seconds(durationMillis);
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
        targets.links().forEach(FaultProxy::cutAll);
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
  record LinkFault(String name, String what, long min, long max, Consumer<FaultProxy> on,
      Consumer<FaultProxy> off) implements FaultKind {
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
      FaultProxy proxy = targets.links().get(target);
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
      FaultProxy proxy = targets.links().get(target);
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
      FaultProxy proxy = targets.links().get(target);
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

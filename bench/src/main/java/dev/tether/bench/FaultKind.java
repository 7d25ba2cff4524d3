package dev.tether.bench;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * One kind of fault the soak injects: what it acts on, how long it lasts, how to start it and how
 * to end it. The catalogue is {@link FaultKinds#all()}; a new kind (say, a node of a cluster) is a
 * new implementation added there. A kind this build cannot inject says why in
 * {@link #unavailable()}; the scheduler then skips it with a printed line instead of faking it.
 */
interface FaultKind {
  /** What a fault acts on: {@link #target} indexes into it. */
  enum Scope {
    /** The server process, or with {@code --cluster} every node at once (target 0). */
    SERVER,
    /** One node of a cluster (target: its index); never the last one up. */
    NODE,
    /** The cluster's Redis (target 0). */
    REDIS,
    /** One {@link SoakLink} (a proxy in front of each node), or all of them (target -1). */
    LINK,
    /** One client in a child process. */
    CHILD
  }

  /**
   * The things faults act on.
   *
   * @param servers the server, or the nodes of a cluster
   * @param redis the cluster's Redis, or null without {@code --cluster}
   */
  record Targets(List<SoakServerProcess> servers, SoakRedis redis, List<SoakLink> links, List<ChildProcess> children) {}

  /** A short name, used on the command line and in reports: {@code server-kill}. */
  String name();

  Scope scope();

  /** How often it is drawn relative to the others; default 2 (server faults 1). */
  default int weight() {
    return 2;
  }

  /** Null if this build can inject it; otherwise why not, in a few words. */
  default String unavailable() {
    return null;
  }

  /** Draws how long it lasts, in milliseconds (downtime, or time until healed); 0 for an instant fault. */
  long drawDuration(RandomGenerator random);

  /** Draws a parameter of the fault (a latency, say), or 0. */
  default long drawParameter(RandomGenerator random) {
    return 0;
  }

  /** Whether a link fault hits every link at once this time, rather than one. */
  default boolean drawAllLinks(RandomGenerator random) {
    return false;
  }

  /**
   * Starts the fault on {@code target} (-1: every link) and returns what ends it, to be run
   * {@code duration} later (and at the latest when the soak ends), or null for an instant fault.
   * May block while a process stops or starts.
   */
  Runnable inject(Targets targets, int target, long parameter);

  /** A phrase for the log: {@code "blackhole on link 2 for 7.3 s"}. */
  String describe(int target, long durationMillis, long parameter);
}

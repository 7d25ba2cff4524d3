package dev.tether.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A soak's faults, drawn up front from its seed: a pure function of the seed and the run's shape
 * (length, kinds, links, child clients, nodes), so that the same seed replays the same faults at
 * the same offsets on the same targets. Faults come at random gaps of {@code minGap..maxGap}; each
 * draws its kind by weight, then a target that no earlier fault still occupies (a link stays
 * occupied until it is healed plus a second, a client process, a node, the server or Redis until
 * it has had time to start again), then its duration and parameter. A {@code SERVER} fault takes
 * every node (the one server without a cluster); a {@code NODE} fault takes one node, and only
 * while another is free, so that one node is always up for the clients to fail over to; Redis is a
 * target of its own. A kind with no free target is drawn again. Kinds the soak cannot inject are
 * planned like the others and skipped when their time comes.
 */
final class FaultPlan {
  /** One planned fault, {@code atMillis} after the run started; target -1 is every link. */
  record Planned(long atMillis, FaultKind kind, int target, long durationMillis, long parameter) {
    String describe() {
      return kind.describe(target, durationMillis, parameter);
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%7.1f s  %s", atMillis / 1000.0,
          kind.unavailable() != null ? kind.name() + " (skipped: " + kind.unavailable() + ")" : describe());
    }
  }

  private static final long LINK_SETTLE = 1_000;
  private static final long SERVER_SETTLE = 5_000;
  private static final long CHILD_SETTLE = 10_000;

  private FaultPlan() {}

  /** The plan of a soak on one server. */
  static List<Planned> plan(long seed, long startMillis, long endMillis, long minGap, long maxGap,
      List<FaultKind> kinds, int links, int children) {
    return plan(seed, startMillis, endMillis, minGap, maxGap, kinds, links, children, 1);
  }

  /** The plan of a soak on {@code nodes} servers (1: one server, no cluster). */
  static List<Planned> plan(long seed, long startMillis, long endMillis, long minGap, long maxGap,
      List<FaultKind> kinds, int links, int children, int nodes) {
    if (kinds.isEmpty() || minGap < 1 || maxGap < minGap) {
      throw new IllegalArgumentException("need kinds and 1 <= minGap <= maxGap: " + kinds.size()
          + " kinds, gap " + minGap + ".." + maxGap);
    }
    SplittableRandom random = new SplittableRandom(seed);
    int totalWeight = kinds.stream().mapToInt(FaultKind::weight).sum();
    long[] nodeBusy = new long[nodes];
    long redisBusy = 0;
    long[] linkBusy = new long[links];
    long[] childBusy = new long[children];
    List<Planned> plan = new ArrayList<>();
    for (long next = startMillis; next < endMillis; next += FaultKinds.between(random, minGap, maxGap)) {
      long at = next;
      for (int draw = 0; draw < 10; draw++) {
        FaultKind kind = pick(kinds, random.nextInt(totalWeight));
        if (kind.unavailable() != null) {
          plan.add(new Planned(at, kind, 0, 0, 0));
          break;
        }
        long duration = kind.drawDuration(random);
        long parameter = kind.drawParameter(random);
        int target;
        switch (kind.scope()) {
          case SERVER -> {
            if (Arrays.stream(nodeBusy).anyMatch(b -> b > at)) {
              continue;
            }
            target = 0;
            Arrays.fill(nodeBusy, at + duration + SERVER_SETTLE);
          }
          case NODE -> {
            if (Arrays.stream(nodeBusy).filter(b -> b <= at).count() < 2) {
              continue;
            }
            target = free(nodeBusy, at, random);
            nodeBusy[target] = at + duration + SERVER_SETTLE;
          }
          case REDIS -> {
            if (redisBusy > at) {
              continue;
            }
            target = 0;
            redisBusy = at + duration + SERVER_SETTLE;
          }
          case LINK -> {
            if (kind.drawAllLinks(random)) {
              if (Arrays.stream(linkBusy).anyMatch(b -> b > at)) {
                continue;
              }
              target = -1;
              Arrays.fill(linkBusy, at + duration + LINK_SETTLE);
            } else {
              target = free(linkBusy, at, random);
              if (target < 0) {
                continue;
              }
              linkBusy[target] = at + duration + LINK_SETTLE;
            }
          }
          case CHILD -> {
            target = free(childBusy, at, random);
            if (target < 0) {
              continue;
            }
            childBusy[target] = at + duration + CHILD_SETTLE;
          }
          default -> throw new AssertionError(kind.scope());
        }
        plan.add(new Planned(at, kind, target, duration, parameter));
        break;
      }
    }
    return plan;
  }

  private static FaultKind pick(List<FaultKind> kinds, int ticket) {
    for (FaultKind k : kinds) {
      ticket -= k.weight();
      if (ticket < 0) {
        return k;
      }
    }
    throw new AssertionError();
  }

  /** A random index whose busy time is over at {@code at}, or -1. */
  private static int free(long[] busy, long at, SplittableRandom random) {
    int[] free = new int[busy.length];
    int n = 0;
    for (int i = 0; i < busy.length; i++) {
      if (busy[i] <= at) {
        free[n++] = i;
      }
    }
    return n == 0 ? -1 : free[random.nextInt(n)];
  }
}

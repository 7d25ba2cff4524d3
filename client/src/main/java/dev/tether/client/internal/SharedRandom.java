package dev.tether.client.internal;

import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * The default randomness of reconnect jitter: one instance for every client, drawing from the
 * calling thread's {@link ThreadLocalRandom}. Thread-safe and stateless, so an idle client carries
 * no generator of its own. Tests inject a seeded generator through the builder instead.
 */
public final class SharedRandom implements RandomGenerator {
  private static final SharedRandom INSTANCE = new SharedRandom();

  private SharedRandom() {}

  /** The one instance. */
  public static RandomGenerator instance() {
    return INSTANCE;
  }

  @Override
  public long nextLong() {
    return ThreadLocalRandom.current().nextLong();
  }

  @Override
  public double nextDouble() {
    return ThreadLocalRandom.current().nextDouble();
  }

  @Override
  public String toString() {
    return "SharedRandom";
  }
}

package dev.tether.bench;

import dev.tether.stub.LocalRedis;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The Redis of a {@code --cluster} soak: a {@link LocalRedis} (redis-server from the PATH, or
 * embedded-redis's binary) on a free loopback port, with every write on disk before it is answered
 * ({@code appendonly yes}, {@code appendfsync always}) in {@code DIR} (the soak's work directory),
 * so that nothing acknowledged is lost when it is stopped or killed. Stopped gracefully (SIGTERM:
 * Redis fsyncs and exits), killed (SIGKILL: only what was fsynced survives, which with
 * {@code appendfsync always} is every write answered), started again on the same port and data,
 * or started again on no data (every room's state lost, as a failover to a replica that had none
 * of it would). Thread-safe: one operation at a time; {@link #isUp} never waits for one.
 */
final class SoakRedis implements AutoCloseable {
  private final Path dir;
  /** Guarded by this. */
  private final LocalRedis redis;
  private volatile boolean up;
  /** Guarded by this. */
  private int starts = 1;

  private SoakRedis(Path dir, LocalRedis redis) {
    this.dir = dir;
    this.redis = redis;
    this.up = true;
  }

  /** Starts Redis with its data in {@code dir} (created). */
  static SoakRedis start(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // LocalRedis passes its own --dir first; Redis applies its arguments in order, so ours wins.
    LocalRedis redis = LocalRedis.builder().persistent(true).setting("dir", dir.toAbsolutePath().toString())
        .setting("maxmemory-policy", "noeviction").start();
    return new SoakRedis(dir, redis);
  }

  URI uri() {
    return redis.uri();
  }

  /** The binary and its version. */
  String version() {
    return redis.version();
  }

  boolean isUp() {
    return up;
  }

  /** Ends Redis: SIGKILL if {@code kill}, else SIGTERM (it fsyncs and exits); returns once it is gone. */
  synchronized void stop(boolean kill) {
    up = false;
    if (kill && redis.isRunning()) {
      ProcessHandle.of(redis.pid()).ifPresent(p -> {
        p.destroyForcibly();
        try {
          p.onExit().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new IllegalStateException("redis-server " + p.pid() + " did not die of SIGKILL within 20 s", e);
        }
      });
    }
    redis.stop();
  }

  /** Kills Redis and deletes its data: the next start has no rooms. */
  synchronized void killAndForget() {
    stop(true);
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        if (!p.equals(dir)) {
          Files.delete(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts Redis again on the same port (and data, unless forgotten); a no-op while it runs. */
  synchronized void start() {
    if (redis.isRunning()) {
      return;
    }
    redis.startAgain();
    starts++;
    up = true;
  }

  synchronized int starts() {
    return starts;
  }

  @Override
  public synchronized void close() {
    up = false;
    redis.close();
  }
}

package dev.tether.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The soak's {@link SoakServer} process: started on a fixed port and a store (an SQLite file, or
 * a Redis URI for a node of a {@code --cluster} soak), stopped gracefully (SIGTERM), killed
 * (SIGKILL), and started again on the same port and store; or, on SQLite, started on a fresh file,
 * which loses every room's state as a crashed in-memory server would. Each start is an
 * incarnation with its own log file ({@code NAME-N.log} in the work directory). A node on Redis
 * cannot open its store while Redis is down (it exits): its start waits until the soak's Redis is
 * up again and retries for up to two minutes, as a supervisor restarting a node would. Its
 * {@code STAT} lines are kept as {@link #latest}. Thread-safe: one operation at a time; the
 * readers ({@link #latest}, {@link #isUp}) never wait for one.
 */
final class SoakServerProcess implements AutoCloseable {
  /** One STAT line of the server, with when it was read. */
  record Stat(long atNanos, int connections, long heapAfterGc, int threads, long chatsAccepted,
      long resumes, long gaps, long dedupHits, long slowMembersClosed) {}

  private final String name;
  private final int port;
  /** The SQLite file, or null on Redis. */
  private final Path db;
  private final String store;
  private final BooleanSupplier storeUp;
  private final Path dir;
  /** Written under this, read without it (the sampler must not wait for a start); null while down. */
  private volatile Process process;
  /** Guarded by this. */
  private int incarnation;
  private volatile Stat latest;

  /** The single server of a soak, on an SQLite file. */
  SoakServerProcess(int port, Path db, Path dir) {
    this("server", port, db, db.toString(), () -> true, dir);
  }

  /** A node of a cluster soak, on Redis at {@code redis}, which is up while {@code redisUp} says so. */
  SoakServerProcess(String name, int port, URI redis, BooleanSupplier redisUp, Path dir) {
    this(name, port, null, redis.toString(), redisUp, dir);
  }

  private SoakServerProcess(String name, int port, Path db, String store, BooleanSupplier storeUp, Path dir) {
    this.name = name;
    this.port = port;
    this.db = db;
    this.store = store;
    this.storeUp = storeUp;
    this.dir = dir;
  }

  String name() {
    return name;
  }

  URI uri() {
    return URI.create("ws://127.0.0.1:" + port + "/im");
  }

  /** The latest STAT line if the server is up and it is at most 3 s old, else null. */
  Stat latest() {
    Stat s = latest;
    return s != null && System.nanoTime() - s.atNanos() < 3_000_000_000L ? s : null;
  }

  /** Whether an incarnation is running; never waits for a start or stop in progress. */
  boolean isUp() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /**
   * Starts an incarnation and returns once it listens; tries three times (the port may be busy
   * briefly); a node on Redis first waits for Redis to be up, and tries for up to two minutes.
   */
  synchronized void start() {
    if (isUp()) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 3 || (db == null && System.nanoTime() < deadline); attempt++) {
      while (!storeUp.getAsBoolean() && System.nanoTime() < deadline) {
        ServerProcess.sleep(100);
      }
      try {
        launch();
        return;
      } catch (IllegalStateException e) {
        last = e;
        ServerProcess.sleep(1000);
      }
    }
    throw last;
  }

  private void launch() {
    int n = ++incarnation;
    List<String> command = List.of(ServerProcess.javaBinary(), "-Xmx256m", "-XX:+UseSerialGC",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
        "-cp", ServerProcess.classPath(), SoakServer.class.getName(), Integer.toString(port), store);
    Path logFile = dir.resolve(name + "-" + n + ".log");
    Process p;
    try {
      p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    CountDownLatch listening = new CountDownLatch(1);
    AtomicBoolean listens = new AtomicBoolean();
    Thread reader = new Thread(() -> read(p, listening, listens), "soak-" + name + "-out-" + n);
    reader.setDaemon(true);
    reader.start();
    try {
      if (!listening.await(60, TimeUnit.SECONDS) || !listens.get() || !p.isAlive()) {
        p.destroyForcibly();
        throw new IllegalStateException(name + " incarnation " + n + " did not listen on " + port
            + " (see " + logFile + ")");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    process = p;
  }

  private void read(Process p, CountDownLatch listening, AtomicBoolean listens) {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.equals("listening")) {
          listens.set(true);
          listening.countDown();
        } else if (line.startsWith("STAT ")) {
          String[] f = line.split(" ");
          latest = new Stat(System.nanoTime(), Integer.parseInt(f[1]), Long.parseLong(f[2]),
              Integer.parseInt(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]),
              Long.parseLong(f[7]), Long.parseLong(f[8]));
        }
      }
    } catch (IOException ended) {
      // the process died: its pipe is gone
    } finally {
      listening.countDown();
    }
  }

  /** Stops the server as an operator would: SIGTERM, so it closes its connections with 1001. */
  synchronized void stop() {
    end(false);
  }

  /** Kills the server with SIGKILL: connections reset, nothing flushed but what SQLite committed. */
  synchronized void kill() {
    end(true);
  }

  /** Kills the server and deletes its database: the next start has no rooms, new epochs. */
  synchronized void killAndForget() {
    if (db == null) {
      throw new IllegalStateException(name + " is on Redis: its state is Redis's (SoakRedis.killAndForget)");
    }
    end(true);
    for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
      try {
        Files.deleteIfExists(db.resolveSibling(db.getFileName() + suffix));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private void end(boolean forcibly) {
    Process p = process;
    process = null;
    latest = null;
    if (p == null) {
      return;
    }
    try {
      if (forcibly) {
        p.destroyForcibly();
      } else {
        p.destroy();
      }
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(20, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  synchronized int incarnations() {
    return incarnation;
  }

  @Override
  public synchronized void close() {
    end(false);
  }
}

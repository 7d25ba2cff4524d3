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

/**
 * The soak's {@link SoakServer} process: started on a fixed port and an SQLite file, stopped
 * gracefully (SIGTERM), killed (SIGKILL), and started again on the same port and file; or started
 * on a fresh file, which loses every room's state as a crashed in-memory server would. Each start
 * is an incarnation with its own log file ({@code server-N.log} in the work directory). Its
 * {@code STAT} lines are kept as {@link #latest}. Thread-safe: one operation at a time; the
 * readers ({@link #latest}, {@link #isUp}) never wait for one.
 */
final class SoakServerProcess implements AutoCloseable {
  /** One STAT line of the server, with when it was read. */
  record Stat(long atNanos, int connections, long heapAfterGc, int threads, long chatsAccepted,
      long resumes, long gaps, long dedupHits, long slowMembersClosed) {}

  private final int port;
  private final Path db;
  private final Path dir;
  /** Written under this, read without it (the sampler must not wait for a start); null while down. */
  private volatile Process process;
  /** Guarded by this. */
  private int incarnation;
  private volatile Stat latest;

  SoakServerProcess(int port, Path db, Path dir) {
    this.port = port;
    this.db = db;
    this.dir = dir;
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

  /** Starts an incarnation and returns once it listens; tries three times (the port may be busy briefly). */
  synchronized void start() {
    if (isUp()) {
      return;
    }
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
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
        "-cp", ServerProcess.classPath(), SoakServer.class.getName(), Integer.toString(port), db.toString());
    Process p;
    try {
      p = new ProcessBuilder(command)
          .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("server-" + n + ".log").toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    CountDownLatch listening = new CountDownLatch(1);
    Thread reader = new Thread(() -> read(p, listening), "soak-server-out-" + n);
    reader.setDaemon(true);
    reader.start();
    try {
      if (!listening.await(60, TimeUnit.SECONDS) || !p.isAlive()) {
        p.destroyForcibly();
        throw new IllegalStateException("server incarnation " + n + " did not listen on " + port
            + " (see " + dir.resolve("server-" + n + ".log") + ")");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    process = p;
  }

  private void read(Process p, CountDownLatch listening) {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.equals("listening")) {
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

package dev.tether.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A {@link SoakChild} seen from the soak: started, killed with SIGKILL, started again on the same
 * directory (outbox and log), told to go, stop and exit. Keeps its latest {@code STAT} and the
 * totals of its ended incarnations, so that counters add up across kills. Thread-safe; the
 * counters never wait for a start in progress (they may lag a kill by one STAT).
 */
final class ChildProcess implements AutoCloseable {
  private final String user;
  private final String room;
  private final List<URI> uris;
  private final Path dir;
  private final double rate;
  /** Written under this, read without it; null while killed. */
  private volatile Process process;
  /** Guarded by this. */
  private PrintWriter stdin;
  /** Guarded by this. */
  private int incarnation;
  /** Reconnects, deliveries and sends of ended incarnations; written under this. */
  private volatile long pastReconnects;
  private volatile long pastDelivered;
  private volatile long pastSent;
  /** {outbox, reconnects, delivered, threads, sent} of the running incarnation; null while down. */
  private volatile long[] stat;

  /** A child client of {@code uris} (the server's, or the nodes' in the order to fail over in). */
  ChildProcess(String user, String room, List<URI> uris, Path dir, double rate) {
    this.user = user;
    this.room = room;
    this.uris = List.copyOf(uris);
    this.dir = dir;
    this.rate = rate;
  }

  String user() {
    return user;
  }

  String room() {
    return room;
  }

  Path dir() {
    return dir;
  }

  /** Starts an incarnation and returns once it printed {@code ready}. */
  synchronized void start() {
    if (process != null) {
      return;
    }
    int n = ++incarnation;
    List<String> command = List.of(ServerProcess.javaBinary(), "-Xmx128m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
        "-Dorg.slf4j.simpleLogger.showDateTime=true", "-cp", ServerProcess.classPath(),
        SoakChild.class.getName(),
        String.join(",", uris.stream().map(URI::toString).toList()), user, room, dir.toString(), Double.toString(rate));
    Process p;
    try {
      p = new ProcessBuilder(command)
          .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("stderr-" + n + ".log").toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    CountDownLatch ready = new CountDownLatch(1);
    Thread reader = new Thread(() -> read(p, ready), "soak-" + user + "-out-" + n);
    reader.setDaemon(true);
    reader.start();
    try {
      if (!ready.await(120, TimeUnit.SECONDS) || !p.isAlive()) {
        p.destroyForcibly();
        throw new IllegalStateException(user + " incarnation " + n + " did not get ready (see "
            + dir.resolve("stderr-" + n + ".log") + ")");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    process = p;
    stdin = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8);
  }

  private void read(Process p, CountDownLatch ready) {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.equals("ready")) {
          ready.countDown();
        } else if (line.startsWith("STAT ")) {
          String[] f = line.split(" ");
          stat = new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
              Long.parseLong(f[4]), Long.parseLong(f[5])};
        }
      }
    } catch (IOException ended) {
      // the process died: its pipe is gone
    } finally {
      ready.countDown();
    }
  }

  synchronized void command(String line) {
    if (stdin != null) {
      stdin.println(line);
    }
  }

  /** Kills the running incarnation with SIGKILL; a no-op while it is down. */
  synchronized void kill() {
    Process p = process;
    if (p == null) {
      return;
    }
    long[] s = stat;
    if (s != null) {
      pastReconnects += s[1];
      pastDelivered += s[2];
      pastSent += s[4];
    }
    stat = null;
    process = null;
    stdin = null;
    p.destroyForcibly();
    try {
      p.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  boolean isUp() {
    return process != null;
  }

  /** Messages in its outbox now, or -1 while it is down or has not reported yet. */
  long outbox() {
    long[] s = stat;
    return s == null ? -1 : s[0];
  }

  long reconnects() {
    long[] s = stat;
    return pastReconnects + (s == null ? 0 : s[1]);
  }

  long delivered() {
    long[] s = stat;
    return pastDelivered + (s == null ? 0 : s[2]);
  }

  long sent() {
    long[] s = stat;
    return pastSent + (s == null ? 0 : s[4]);
  }

  /** Live threads of the running incarnation, 0 while down. */
  long threads() {
    long[] s = stat;
    return s == null ? 0 : s[3];
  }

  synchronized int incarnations() {
    return incarnation;
  }

  /** Asks the running incarnation to close and exit; kills it if it has not within 30 s. */
  @Override
  public synchronized void close() {
    Process p = process;
    if (p == null) {
      return;
    }
    command("exit");
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
    stdin = null;
  }
}

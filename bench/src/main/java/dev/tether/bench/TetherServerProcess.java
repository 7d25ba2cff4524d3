package dev.tether.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link BenchServer} in its own JVM (-Xmx1g -XX:+UseParallelGC) on a free port, asked about its
 * heap, CPU and allocation over a pipe and, for the stub, told to refuse handshakes or drop
 * connections. One command at a time (synchronized).
 */
final class TetherServerProcess implements AutoCloseable {
  private final int port;
  private final Process process;
  private final BufferedReader out;
  private final PrintWriter in;

  private TetherServerProcess(int port, Process process) {
    this.port = port;
    this.process = process;
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
  }

  /** Starts one with {@code store} ({@code stub}, {@code memory} or {@code sqlite:PATH}), once it listens. */
  static TetherServerProcess start(String store) {
    return start(store, 0);
  }

  /**
   * Like {@link #start(String)}, with the open-file limit raised to {@code fdLimit} first (0: as
   * inherited), for servers of many connections.
   */
  static TetherServerProcess start(String store, int fdLimit) {
    int port = ServerProcess.freePort();
    List<String> command = List.of(ServerProcess.javaBinary(), "-Xmx1g", "-XX:+UseParallelGC",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", ServerProcess.classPath(),
        BenchServer.class.getName(), Integer.toString(port), store);
    try {
      Process p = new ProcessBuilder(fdLimit > 0 ? FdLimit.raised(fdLimit, command) : command)
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      TetherServerProcess server = new TetherServerProcess(port, p);
      String line = server.out.readLine();
      if (!"listening".equals(line)) {
        p.destroyForcibly();
        throw new IllegalStateException("server did not start: " + line);
      }
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  URI uri() {
    return URI.create("ws://127.0.0.1:" + port + "/im");
  }

  int port() {
    return port;
  }

  long heapAfterGc() {
    return Long.parseLong(ask("heap", "HEAP "));
  }

  long commits() {
    return Long.parseLong(ask("commits", "COMMITS "));
  }

  int threads() {
    return Integer.parseInt(ask("threads", "THREADS "));
  }

  /** The server JVM's CPU time and allocated bytes so far. */
  ProcessMeter.Reading meter() {
    String[] f = ask("meter", "METER ").split(" ");
    return new ProcessMeter.Reading(Long.parseLong(f[0]), Long.parseLong(f[1]));
  }

  /** Stub only: refuse (503) or accept new handshakes. */
  void rejectNewConnections(boolean reject) {
    ask("reject " + (reject ? "on" : "off"), "OK");
  }

  /** Stub only: end every connection without a close frame. */
  void dropAllConnections() {
    ask("drop", "OK");
  }

  /** Stub only: open WebSocket sessions. */
  int connections() {
    return Integer.parseInt(ask("connections", "CONNECTIONS "));
  }

  /** Stub only: starts counting handshakes (see {@link HandshakeSampler}). */
  void sampleHandshakes() {
    ask("sample", "OK");
  }

  /**
   * Stub only: stops counting; {most handshakes in any {@code windowMs}, all handshakes counted,
   * most in any {@code windowMs} since {@code rejectNewConnections(false)}}.
   */
  int[] handshakePeak(long windowMs) {
    String[] f = ask("peak " + windowMs, "PEAK ").split(" ");
    return new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2])};
  }

  /** Sends {@code command} and returns the answer after {@code prefix}. */
  private synchronized String ask(String command, String prefix) {
    in.println(command);
    try {
      String line = out.readLine();
      if (line == null || !line.startsWith(prefix)) {
        throw new IllegalStateException("server answered '" + line + "' to " + command);
      }
      return line.substring(prefix.length()).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

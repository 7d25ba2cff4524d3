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

/** A {@link BenchServer} in its own JVM on a free port, asked about its heap over a pipe. */
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

  /** Starts one with {@code store} ({@code memory} or {@code sqlite:PATH}), once it listens. */
  static TetherServerProcess start(String store) {
    int port = ServerProcess.freePort();
    List<String> command = List.of(ServerProcess.javaBinary(), "-Xmx1g", "-XX:+UseParallelGC",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", ServerProcess.classPath(),
        BenchServer.class.getName(), Integer.toString(port), store);
    try {
      Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
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

  long heapAfterGc() {
    return ask("heap", "HEAP ");
  }

  long commits() {
    return ask("commits", "COMMITS ");
  }

  private long ask(String command, String prefix) {
    in.println(command);
    try {
      String line = out.readLine();
      if (line == null || !line.startsWith(prefix)) {
        throw new IllegalStateException("server answered '" + line + "' to " + command);
      }
      return Long.parseLong(line.substring(prefix.length()).trim());
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

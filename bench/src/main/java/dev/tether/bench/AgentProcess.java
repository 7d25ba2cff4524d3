package dev.tether.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An {@link Agent} child JVM seen from the coordinator: started, asked one command at a time (each
 * answer awaited with a timeout), told to exit. Its stderr goes to ours. Not thread-safe: one
 * coordinator thread uses it.
 */
final class AgentProcess implements AutoCloseable {
  private final String kind;
  private final Process process;
  private final PrintWriter stdin;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

  private AgentProcess(String kind, Process process) {
    this.kind = kind;
    this.process = process;
    this.stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    Thread reader = new Thread(this::read, "bench-agent-" + kind);
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts an agent for {@code kind} and returns once it is connected.
   *
   * @param tether the Tether server, or null
   * @param mqtt the MQTT broker, or null
   */
  static AgentProcess start(String kind, URI tether, URI mqtt) {
    List<String> command = new ArrayList<>(List.of(ServerProcess.javaBinary(), "-Xmx1g",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", ServerProcess.classPath(),
        Agent.class.getName(), kind, tether == null ? "-" : tether.toString(), mqtt == null ? "-" : mqtt.toString()));
    Process p;
    try {
      p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    AgentProcess agent = new AgentProcess(kind, p);
    String ready = agent.next(60_000);
    if (!"ready".equals(ready)) {
      agent.close();
      throw new IllegalStateException("agent " + kind + " did not get ready: " + ready);
    }
    return agent;
  }

  private void read() {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        lines.add(line);
      }
    } catch (IOException ended) {
      // the process is gone
    } finally {
      lines.add("EOF");
    }
  }

  private String next(long timeoutMillis) {
    try {
      String line = lines.poll(timeoutMillis, TimeUnit.MILLISECONDS);
      return line == null ? "TIMEOUT after " + timeoutMillis + " ms" : line;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  String kind() {
    return kind;
  }

  /**
   * Sends {@code command} and returns the fields of the answer after {@code prefix}.
   *
   * @throws IllegalStateException on another answer (an {@code ERROR}, the end of the process) or
   *     none within {@code timeoutMillis}
   */
  String[] ask(String command, String prefix, long timeoutMillis) {
    stdin.println(command);
    String line = next(timeoutMillis);
    if (!line.startsWith(prefix + " ")) {
      throw new IllegalStateException("agent " + kind + " answered '" + line + "' to " + command);
    }
    return line.substring(prefix.length() + 1).split(" ");
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      stdin.println("exit");
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}

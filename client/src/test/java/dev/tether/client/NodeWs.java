package dev.tether.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An independent WebSocket peer: Node's {@code ws} (the version pinned in
 * {@code interop/node/package-lock.json}), run as {@code echo-server.js} on a free loopback port.
 * The first use in a JVM copies {@code interop/node} to {@code target/node-peer} and runs
 * {@code npm ci} there (from npm's cache when it has the package). Without Node.js and npm the test
 * fails and says how to install them: a skipped interop test would prove nothing.
 */
final class NodeWs implements AutoCloseable {
  private static Path installed;

  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> log = new CopyOnWriteArrayList<>();
  private final int port;

  private NodeWs(Process process) {
    this.process = process;
    Thread reader = new Thread(this::read, "node-ws-log");
    reader.setDaemon(true);
    reader.start();
    String first = awaitLine("PORT ", Duration.ofSeconds(30));
    this.port = Integer.parseInt(first.substring("PORT ".length()).trim());
  }

  /** An echo server; {@code env} as {@code echo-server.js} describes (DEFLATE, FRAGMENTS, ...). */
  static NodeWs echoServer(Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder("node", "echo-server.js").directory(install().toFile())
        .redirectErrorStream(true);
    pb.environment().putAll(env);
    return new NodeWs(start(pb));
  }

  /** {@code ws://127.0.0.1:PORT/}. */
  java.net.URI uri() {
    return java.net.URI.create("ws://127.0.0.1:" + port + "/");
  }

  int port() {
    return port;
  }

  /** The next line starting with {@code prefix}, skipping others; fails with the log after {@code timeout}. */
  String awaitLine(String prefix, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line == null) {
          throw new AssertionError("no line starting with '" + prefix + "' from node within " + timeout
              + "; its output: " + log + (process.isAlive() ? "" : " (exited " + process.exitValue() + ")"));
        }
        if (line.startsWith(prefix)) {
          return line;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  List<String> log() {
    return List.copyOf(log);
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        log.add(line);
        lines.add(line);
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  /** Closing stdin stops the server; forcibly after 5 s. */
  @Override
  public void close() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The peer's directory with {@code ws} installed, once per JVM. */
  static synchronized Path install() {
    if (installed != null) {
      return installed;
    }
    String source = System.getProperty("tether.interop.node");
    if (source == null) {
      throw new IllegalStateException("system property tether.interop.node is not set (the parent POM's surefire"
          + " configuration sets it to interop/node)");
    }
    try {
      Path from = Path.of(source);
      Path to = Files.createDirectories(Path.of("target", "node-peer"));
      for (String file : new String[] {"package.json", "package-lock.json", "echo-server.js", "client.js"}) {
        Files.copy(from.resolve(file), to.resolve(file), StandardCopyOption.REPLACE_EXISTING);
      }
      if (!Files.isDirectory(to.resolve("node_modules").resolve("ws"))) {
        ProcessBuilder npm = new ProcessBuilder("npm", "ci", "--prefer-offline", "--no-audit", "--no-fund")
            .directory(to.toFile()).redirectErrorStream(true);
        Process p = start(npm);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new IllegalStateException("npm ci failed in " + to + ": " + output);
        }
      }
      installed = to;
      return to;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Process start(ProcessBuilder pb) {
    try {
      return pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + pb.command().get(0) + ": the permessage-deflate interop"
          + " tests need Node.js and npm (apt-get install -y nodejs npm; .ci/run does): " + e.getMessage(), e);
    }
  }
}

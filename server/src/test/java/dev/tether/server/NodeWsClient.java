package dev.tether.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An independent WebSocket client: Node's {@code ws} (pinned by {@code interop/node/package-lock.json})
 * running {@code client.js}, which offers permessage-deflate, sends messages of many sizes, text
 * and binary, whole and in 3 fragments, to an echo endpoint and checks every echo. The first use in
 * a JVM copies {@code interop/node} to {@code target/node-peer} and runs {@code npm ci} there. Without
 * Node.js and npm the test fails and says how to install them.
 */
final class NodeWsClient {
  private static Path installed;

  /** What the run printed, and how it ended. */
  record Run(int exitCode, List<String> lines) {
    /** The line starting with {@code prefix}, or an assertion error naming all lines. */
    String line(String prefix) {
      return lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
          .orElseThrow(() -> new AssertionError("no line starting with '" + prefix + "' in " + lines));
    }
  }

  private NodeWsClient() {}

  /** Runs client.js against {@code uri} with {@code env}; at most 60 s. */
  static Run run(URI uri, Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder("node", "client.js", uri.toString()).directory(install().toFile())
        .redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = start(pb);
    try {
      p.getOutputStream().close();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("node client.js did not end within 60 s: " + output);
      }
      return new Run(p.exitValue(), output.lines().toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
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
        Process p = start(new ProcessBuilder("npm", "ci", "--prefer-offline", "--no-audit", "--no-fund")
            .directory(to.toFile()).redirectErrorStream(true));
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

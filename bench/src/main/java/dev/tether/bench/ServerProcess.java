package dev.tether.bench;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code StubServer} echo in its own JVM, on a free port of every interface (clients spread over
 * 127.0.0.1-4); {@link #kill} ends it.
 */
final class ServerProcess implements AutoCloseable {
  private final int port;
  private Process process;

  private ServerProcess(int port) {
    this.port = port;
  }

  static ServerProcess start() {
    return start(freePort());
  }

  static ServerProcess start(int port) {
    ServerProcess server = new ServerProcess(port);
    server.launch();
    return server;
  }

  URI uri() {
    return URI.create("ws://127.0.0.1:" + port + "/im");
  }

  int port() {
    return port;
  }

  /** Starts a new server process on the same port, waiting until it accepts connections. */
  void launch() {
    List<String> command = List.of(javaBinary(), "-Xmx1g", "-XX:+UseParallelGC",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp", classPath(), "dev.tether.stub.StubServer", "--host", "0.0.0.0", "--port", Integer.toString(port));
    try {
      process = new ProcessBuilder(FdLimit.raised(Bench.FD_LIMIT, command))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("server exited with " + process.exitValue());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        sleep(50);
      }
    }
    throw new IllegalStateException("server did not listen on " + port + " within 30 s");
  }

  /** Kills the server process at once (SIGKILL): clients see their connections reset. */
  void kill() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  @Override
  public void close() {
    kill();
  }

  /**
   * A free loopback port for a server that is killed and started again on it: below Linux's
   * ephemeral range ({@code ip_local_port_range}), where outgoing connections (the benchmark's own
   * reconnecting clients included) never take it while the server is down; elsewhere an ephemeral
   * one. The server retries a busy port for 10 s besides.
   */
  static int freePort() {
    int low = ephemeralLow();
    if (low > 11_000) {
      for (int i = 0; i < 200; i++) {
        int port = java.util.concurrent.ThreadLocalRandom.current().nextInt(10_000, low);
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress("127.0.0.1", port));
          return port;
        } catch (IOException busy) {
          // try another
        }
      }
    }
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int ephemeralLow() {
    try {
      String range = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
      return Integer.parseInt(range.trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException notLinux) {
      return 0;
    }
  }

  static String javaBinary() {
    return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
  }

  static String classPath() {
    return System.getProperty("java.class.path");
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}

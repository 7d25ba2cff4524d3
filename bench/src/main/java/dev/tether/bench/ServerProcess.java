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

/** A {@code StubServer} echo in its own JVM, on a free loopback port; {@link #kill} ends it. */
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
        "-cp", classPath(), "dev.tether.stub.StubServer", "--port", Integer.toString(port));
    try {
      process = new ProcessBuilder(command)
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

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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

package dev.tether.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP proxy for tests: Debian's {@code tinyproxy} 1.11, in the foreground on a free
 * loopback port, with its log collected. {@code BasicAuth user password} makes it ask for
 * credentials (407; it answers refused credentials with 401). A test that cannot find tinyproxy
 * fails with a message saying how to install it: a skipped proxy test would prove nothing.
 */
final class Tinyproxy implements AutoCloseable {
  /** tinyproxy's exit code when its port is taken (a race after we freed it). */
  private static final int PORT_IN_USE = 71;

  private final Process process;
  private final int port;
  private final List<String> log = new CopyOnWriteArrayList<>();

  private Tinyproxy(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** An open proxy. */
  static Tinyproxy start() {
    return start(null, null);
  }

  /** A proxy that wants {@code user}/{@code password} (Basic). */
  static Tinyproxy withBasicAuth(String user, String password) {
    return start(user, password);
  }

  /** A proxy that wants {@code user}/{@code password}, on {@code port} (one a proxy of this test just left). */
  static Tinyproxy withBasicAuth(String user, String password, int port) {
    return start(user, password, port);
  }

  private static Tinyproxy start(String user, String password) {
    return start(user, password, 0);
  }

  private static Tinyproxy start(String user, String password, int fixedPort) {
    try {
      Path dir = Files.createDirectories(Path.of("target", "tinyproxy"));
      for (int attempt = 0; attempt < 5; attempt++) {
        int port = fixedPort;
        if (port == 0) {
          try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
          }
        }
        Path conf = dir.resolve("tinyproxy-" + port + ".conf");
        // Timeout: how long an idle tunnel lives; longer than any test.
        Files.writeString(conf, "Port " + port + "\nListen 127.0.0.1\nTimeout 600\nAllow 127.0.0.1\n"
            + "LogLevel Info\nMaxClients 100\n" + (user == null ? "" : "BasicAuth " + user + " " + password + "\n"));
        Process p;
        try {
          p = new ProcessBuilder("tinyproxy", "-d", "-c", conf.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
          throw new IllegalStateException("cannot run tinyproxy, which the proxy tests need: install Debian's"
              + " tinyproxy (apt-get install -y tinyproxy; .ci/run does): " + e.getMessage(), e);
        }
        Tinyproxy proxy = new Tinyproxy(p, port);
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = new Thread(() -> proxy.read(ready), "tinyproxy-log-" + port);
        reader.setDaemon(true);
        reader.start();
        if (!ready.await(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException("tinyproxy did not start within 20 s: " + proxy.log);
        }
        if (p.isAlive()) {
          return proxy;
        }
        int exit = p.waitFor();
        if (exit != PORT_IN_USE) {
          throw new IllegalStateException("tinyproxy exited with " + exit + ": " + proxy.log);
        }
      }
      throw new IllegalStateException("tinyproxy found its port taken 5 times");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void read(CountDownLatch ready) {
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        log.add(line);
        if (line.contains("Accepting connections")) {
          ready.countDown();
        }
      }
    } catch (IOException e) {
      // the process ended
    } finally {
      ready.countDown();
    }
  }

  int port() {
    return port;
  }

  InetSocketAddress address() {
    return new InetSocketAddress("127.0.0.1", port);
  }

  /** {@code ProxySelector.of(this proxy)}: proxies http and https URIs, loopback ones included. */
  ProxySelector selector() {
    return ProxySelector.of(address());
  }

  /** How many CONNECT requests for {@code hostPort} the proxy logged, accepted or not. */
  long connects(String hostPort) {
    return log.stream().filter(l -> l.contains("CONNECT " + hostPort + " ")).count();
  }

  /** The log so far, for failure messages. */
  List<String> log() {
    return List.copyOf(log);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

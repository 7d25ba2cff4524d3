package dev.tether.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * An Eclipse Mosquitto broker (Debian's {@code mosquitto} package) in its own process, the MQTT
 * anchor of the {@code compare} workload: listening on 127.0.0.1 on a free port, with a config
 * written for it ({@link #config}: anonymous clients, {@code set_tcp_nodelay true}, no
 * persistence, everything else the broker's defaults) in a temporary directory, and killed by
 * {@link #close}. Its CPU time is read from {@code /proc} ({@link #cpuNanos}).
 */
final class Mosquitto implements AutoCloseable {
  /** Where Debian installs it; {@code /usr/sbin} is not on every user's PATH. */
  private static final List<String> PLACES = List.of("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto",
      "/usr/bin/mosquitto", "/usr/local/bin/mosquitto");

  private final int port;
  private final Path dir;
  private final Process process;

  private Mosquitto(int port, Path dir, Process process) {
    this.port = port;
    this.dir = dir;
    this.process = process;
  }

  /** The broker's executable: on the PATH or where packages put it; empty if not installed. */
  static Optional<Path> find() {
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(java.io.File.pathSeparator)) {
        Path p = Path.of(d, "mosquitto");
        if (Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return PLACES.stream().map(Path::of).filter(Files::isExecutable).findFirst();
  }

  /** The broker's version ({@code 2.0.11}) from {@code mosquitto -h}, or empty if not installed or unknown. */
  static Optional<String> version() {
    Optional<Path> binary = find();
    if (binary.isEmpty()) {
      return Optional.empty();
    }
    try {
      Process p = new ProcessBuilder(binary.get().toString(), "-h").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      p.waitFor(10, TimeUnit.SECONDS);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("mosquitto version (\\S+)").matcher(out);
      return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** The config the broker runs with on {@code port}. */
  static String config(int port) {
    return String.join("\n",
        "# Written by the Tether bench (dev.tether.bench.Mosquitto); the broker's defaults otherwise.",
        "listener " + port + " 127.0.0.1",
        "allow_anonymous true",
        "set_tcp_nodelay true",
        "persistence false",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "");
  }

  /**
   * Starts the broker found by {@link #find} on a free loopback port and returns once it accepts
   * connections.
   *
   * @throws IllegalStateException if it is not installed, exits, or does not listen within 10 s
   */
  static Mosquitto start() {
    Path binary = find().orElseThrow(() -> new IllegalStateException(
        "mosquitto not found: the MQTT anchor needs Debian's mosquitto (apt-get install -y mosquitto; .ci/run does)"));
    int port = ServerProcess.freePort();
    try {
      Path dir = Files.createTempDirectory("tether-bench-mosquitto");
      Path conf = dir.resolve("mosquitto.conf");
      Files.writeString(conf, config(port));
      // Started as root, the broker drops to its own user: the config must stay readable.
      dir.toFile().setReadable(true, false);
      dir.toFile().setExecutable(true, false);
      conf.toFile().setReadable(true, false);
      Process p = new ProcessBuilder(binary.toString(), "-c", conf.toString())
          .redirectOutput(dir.resolve("stdout.log").toFile())
          .redirectError(dir.resolve("stderr.log").toFile())
          .start();
      Mosquitto m = new Mosquitto(port, dir, p);
      m.awaitListening();
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitListening() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("mosquitto exited with " + process.exitValue() + ": "
            + Files.readString(dir.resolve("stderr.log")).trim());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        ServerProcess.sleep(20);
      }
    }
    close();
    throw new IllegalStateException("mosquitto did not listen on " + port + " within 10 s");
  }

  /** {@code tcp://127.0.0.1:PORT}, as Paho names it. */
  URI uri() {
    return URI.create("tcp://127.0.0.1:" + port);
  }

  long pid() {
    return process.pid();
  }

  /**
   * CPU time of the broker so far: the sum of its threads' run time from
   * {@code /proc/PID/task/TID/schedstat} (nanoseconds).
   */
  long cpuNanos() {
    long total = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid()), "task"))) {
      for (Path task : tasks) {
        try {
          String s = Files.readString(task.resolve("schedstat")).trim();
          total += Long.parseLong(s.substring(0, s.indexOf(' ')));
        } catch (IOException gone) {
          // a thread that ended meanwhile
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the CPU time of mosquitto (pid " + pid() + ")", e);
    }
    return total;
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // a temporary directory left behind
    }
  }
}

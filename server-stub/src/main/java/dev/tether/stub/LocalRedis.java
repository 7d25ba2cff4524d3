package dev.tether.stub;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code redis-server} process on a free loopback port, for tests of a cluster of
 * {@code TetherServer}s on {@code RoomStore.redis(..)}: started, stopped, restarted, frozen and
 * thawed on demand.
 * <pre>{@code
 * try (LocalRedis redis = LocalRedis.start()) {
 *   RoomStore store = RoomStore.redis(redis.uri());  // redis://127.0.0.1:PORT
 *   redis.restart();                                 // a restart without persistence: Redis is empty
 *   redis.freeze();                                  // SIGSTOP: connections stay, nothing is answered
 *   redis.thaw();                                    // SIGCONT: what was sent meanwhile runs now
 * }
 * }</pre>
 *
 * <h2>Which binary</h2>
 * The one named by the environment variable {@code TETHER_REDIS_SERVER}, else {@code redis-server}
 * on the {@code PATH} (Debian: {@code apt-get install redis-server}), else the binary inside
 * {@code com.github.codemonstur:embedded-redis} if that jar is on the class path (Redis 6.2, for
 * Linux and macOS), extracted once per JVM. {@link #version()} says which ran.
 *
 * <h2>States</h2>
 * Running after {@link #start()}; {@link #stop()} ends the process (SIGTERM), {@link #startAgain()}
 * starts it again on the same port (an empty Redis unless {@link Builder#persistent} is on: then
 * every write was on disk before it was answered, and the data comes back); {@link #restart()} is
 * both. {@link #freeze()} and {@link #thaw()} suspend and resume the running process (SIGSTOP and
 * SIGCONT, through {@code sh}: Linux and macOS). {@link #close()} ends it for good and deletes its directory.
 * Not thread-safe: one test drives it.
 */
public final class LocalRedis implements AutoCloseable {
  private static final String ENV = "TETHER_REDIS_SERVER";
  private static final long START_TIMEOUT_MILLIS = 15_000;
  private static Path extracted;

  private final String binary;
  private final Path dir;
  private final Map<String, String> settings;
  private final int port;
  private Process process;
  private int starts;

  private LocalRedis(String binary, Path dir, Map<String, String> settings, int port, Process process) {
    this.binary = binary;
    this.dir = dir;
    this.settings = settings;
    this.port = port;
    this.process = process;
  }

  /** A Redis without persistence ({@code save ""}, {@code appendonly no}) on a free port. */
  public static LocalRedis start() {
    return builder().start();
  }

  /** Settings for a Redis to start: its configuration lines and port ({@link Builder#start()}). */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code redis://127.0.0.1:PORT}. */
  public URI uri() {
    return URI.create("redis://127.0.0.1:" + port);
  }

  /** The port it listens on, on 127.0.0.1; the same across {@code restart}s. */
  public int port() {
    return port;
  }

  /** The binary that runs, and its version line, e.g. {@code /usr/bin/redis-server (Redis server v=7.0.15 ...)}. */
  public String version() {
    return binary + " (" + versionOf(binary) + ")";
  }

  /** The running process's id. */
  public long pid() {
    checkRunning();
    return process.pid();
  }

  /** True while its process is alive (false after {@link #stop()} or a kill). */
  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Ends the process (SIGTERM, then SIGKILL after 10 s) and waits for it. */
  public void stop() {
    if (process == null) {
      return;
    }
    thawQuietly();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /** Starts the stopped process again on the same port. */
  public void startAgain() {
    if (isRunning()) {
      throw new IllegalStateException("running");
    }
    try {
      process = launch(binary, dir, settings, port, ++starts);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (process == null) {
      throw new IllegalStateException("redis-server could not listen on port " + port + " again; see " + dir);
    }
  }

  /** {@link #stop()} then {@link #startAgain()}. */
  public void restart() {
    stop();
    startAgain();
  }

  /** Suspends the process (SIGSTOP): connections stay open, and nothing is answered until {@link #thaw()}. */
  public void freeze() {
    signal("-STOP");
  }

  /** Resumes a frozen process (SIGCONT); what clients sent meanwhile runs now. */
  public void thaw() {
    signal("-CONT");
  }

  private void thawQuietly() {
    try {
      signal("-CONT");
    } catch (RuntimeException ignored) {
      // best effort: a process that is not frozen ignores it
    }
  }

  private void signal(String signal) {
    checkRunning();
    try {
      // The shell's own kill: no procps needed.
      Process kill = new ProcessBuilder("sh", "-c", "kill " + signal + " " + process.pid()).inheritIO().start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private void checkRunning() {
    if (!isRunning()) {
      throw new IllegalStateException("not running");
    }
  }

  /** Ends the process and deletes its directory. Idempotent. */
  @Override
  public void close() {
    stop();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory left behind is harmless
    }
  }

  @Override
  public String toString() {
    return "LocalRedis{" + uri() + (isRunning() ? "" : ", stopped") + "}";
  }

  /** Settings of a Redis to start. Not thread-safe. */
  public static final class Builder {
    private final Map<String, String> settings = new LinkedHashMap<>();

    private Builder() {
      settings.put("save", "");
      settings.put("appendonly", "no");
    }

    /**
     * Whether every write is on disk before Redis answers it ({@code appendonly yes},
     * {@code appendfsync always}), so that {@link LocalRedis#restart()} keeps the data; default off.
     */
    public Builder persistent(boolean persistent) {
      settings.put("appendonly", persistent ? "yes" : "no");
      if (persistent) {
        settings.put("appendfsync", "always");
      } else {
        settings.remove("appendfsync");
      }
      return this;
    }

    /** Any other {@code redis.conf} setting, such as {@code ("maxmemory", "64mb")}. */
    public Builder setting(String name, String value) {
      Objects.requireNonNull(name, "name == null");
      Objects.requireNonNull(value, "value == null");
      if (name.isBlank() || name.startsWith("-")) {
        throw new IllegalArgumentException("not a setting name: '" + name + "'");
      }
      settings.put(name, value);
      return this;
    }

    /**
     * Starts it on a free loopback port.
     *
     * @throws IllegalStateException if there is no redis-server binary, or it does not start
     */
    public LocalRedis start() {
      String binary = binary();
      Map<String, String> copy = new LinkedHashMap<>(settings);
      try {
        Path dir = Files.createTempDirectory("tether-redis-");
        for (int attempt = 0; attempt < 5; attempt++) {
          int port;
          try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
          }
          Process p = launch(binary, dir, copy, port, 0);
          if (p != null) {
            return new LocalRedis(binary, dir, copy, port, p);
          }
          // another process took the port between our probe and Redis's bind: try another
        }
        throw new IllegalStateException("redis-server found no free port in 5 attempts; see " + dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Starts redis-server and waits until it is ready; null if the port was taken. */
  private static Process launch(String binary, Path dir, Map<String, String> settings, int port, int n)
      throws IOException {
    List<String> command = new ArrayList<>(List.of(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--dir", dir.toString()));
    settings.forEach((name, value) -> {
      command.add("--" + name);
      command.add(value);
    });
    File log = dir.resolve("redis-" + n + ".log").toFile();
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
    while (System.nanoTime() < deadline) {
      String out = Files.readString(log.toPath(), StandardCharsets.UTF_8);
      if (out.contains("Ready to accept connections")) {
        return p;
      }
      if (out.contains("Address already in use")) {
        p.destroyForcibly();
        return null;
      }
      if (!p.isAlive()) {
        throw new IllegalStateException("redis-server exited with " + p.exitValue() + ": " + out.strip());
      }
      try {
        p.waitFor(10, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
        throw new IllegalStateException("interrupted while redis-server started", e);
      }
    }
    p.destroyForcibly();
    throw new IllegalStateException("redis-server not ready within " + START_TIMEOUT_MILLIS + " ms; see " + log);
  }

  private static String versionOf(String binary) {
    try {
      Process p = new ProcessBuilder(binary, "--version").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      p.waitFor(10, TimeUnit.SECONDS);
      return out;
    } catch (IOException e) {
      return "version unknown: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "version unknown";
    }
  }

  /** The binary to run: see the class comment. */
  static synchronized String binary() {
    String env = System.getenv(ENV);
    if (env != null && !env.isBlank()) {
      return env;
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(File.pathSeparator)) {
        File f = new File(d, "redis-server");
        if (f.isFile() && f.canExecute()) {
          return f.getAbsolutePath();
        }
      }
    }
    if (extracted == null) {
      extracted = extract();
    }
    return extracted.toString();
  }

  private static Path extract() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    boolean arm = arch.equals("aarch64") || arch.equals("arm64");
    String resource = os.contains("linux") ? (arm ? "redis-server-6.2.7-linux-arm64" : "redis-server-6.2.6-v5-linux-amd64")
        : os.contains("mac") ? (arm ? "redis-server-6.2.6-v5-darwin-arm64" : "redis-server-6.2.6-v5-darwin-amd64")
        : null;
    InputStream in = resource == null ? null : LocalRedis.class.getClassLoader().getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException("no redis-server: install one (Debian: apt-get install redis-server), name it in "
          + ENV + ", or put com.github.codemonstur:embedded-redis on the class path");
    }
    try (in) {
      Path file = Files.createTempFile("tether-redis-server-", "");
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      if (!file.toFile().setExecutable(true)) {
        throw new IllegalStateException("cannot make " + file + " executable");
      }
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

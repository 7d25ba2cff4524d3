package dev.tether.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A modular application, compiled with {@code javac --module-path} against Tether's jars and the
 * rest of what an application has at run time (target/module-path.txt, from
 * {@code dependency:build-classpath}), then run in its own JVM with {@code java --module-path .. -m}.
 * It requires {@code dev.tether.client} and {@code dev.tether.stub} only: Tyrus, Grizzly, the
 * deflate extension, the SQLite driver and the SLF4J provider must all be found by the module
 * system on their own.
 */
class ModularConsumerTest {
  @TempDir static Path dir;
  private static Path classes;

  private static final String MODULE_INFO = """
      module dev.tether.consumer {
        requires dev.tether.client;
        requires dev.tether.stub;
      }
      """;

  /** Chats through a stub server over a compressing client with a SQLite outbox, then is dropped. */
  private static final String MAIN = """
      package dev.tether.consumer;

      import dev.tether.api.Ack;
      import dev.tether.api.Envelope;
      import dev.tether.api.SocketDelegate;
      import dev.tether.api.TetherSocket;
      import dev.tether.client.OutboxStore;
      import dev.tether.client.TetherClient;
      import dev.tether.stub.StubServer;
      import java.net.URI;
      import java.nio.file.Files;
      import java.nio.file.Path;
      import java.util.concurrent.BlockingQueue;
      import java.util.concurrent.LinkedBlockingQueue;
      import java.util.concurrent.TimeUnit;

      public final class Main {
        public static void main(String[] args) throws Exception {
          Module client = TetherClient.class.getModule();
          System.out.println("client module " + client.getName()
              + ", exports internal: " + client.isExported("dev.tether.client.internal"));
          BlockingQueue<String> events = new LinkedBlockingQueue<>();
          Path outbox = Files.createTempDirectory("consumer").resolve("outbox.db");
          try (StubServer server = StubServer.start(); OutboxStore store = OutboxStore.sqlite(outbox)) {
            TetherClient alice = TetherClient.builder(URI.create(server.uri() + "?user=alice"))
                .compression(true)
                .outboxStore(store)
                .delegate(new SocketDelegate() {
                  @Override public void onEnvelope(TetherSocket socket, Envelope e) {
                    events.add("chat from " + e.from() + ": " + e.text());
                  }
                  @Override public void onClose(TetherSocket socket, int code, String reason, boolean wasClean) {
                    events.add("closed " + code);
                  }
                })
                .build();
            alice.open();
            alice.send(Envelope.join("lobby")).get(20, TimeUnit.SECONDS);
            Ack ack = alice.send(Envelope.chat("lobby", "hello from a module")).get(20, TimeUnit.SECONDS);
            System.out.println("acked seq " + ack.seq());
            System.out.println(events.poll(20, TimeUnit.SECONDS));
            server.dropAllConnections();
            System.out.println("dropped: " + events.poll(20, TimeUnit.SECONDS));
            alice.close();
          }
          System.out.println("done");
        }
      }
      """;

  @BeforeAll
  static void compile() throws IOException {
    Path src = dir.resolve("src");
    write(src.resolve("module-info.java"), MODULE_INFO);
    write(src.resolve("dev/tether/consumer/Main.java"), MAIN);
    classes = dir.resolve("classes");
    Result javac = javac(classes, src);
    assertThat(javac.exitCode).as("javac --module-path:\n%s", javac.output).isZero();
    assertThat(javac.output).as("javac's warnings").doesNotContain("warning");
  }

  @Test
  void aModularApplicationCompilesAgainstTheJarsAndChats() throws Exception {
    Result run = java(classes);
    assertThat(run.exitCode).as("java -m:\n%s", run.output).isZero();
    assertThat(run.output).contains(
        "client module dev.tether.client, exports internal: false",
        "acked seq 1",
        "chat from alice: hello from a module",
        "done");
  }

  @Test
  void theDocumentedOpensLetTheServerAbortConnectionsOnTheModulePath() throws Exception {
    // Without them Tyrus's internals are closed: the server says so once and closes with 1011.
    Result plain = java(classes);
    assertThat(plain.output).contains("dropped: closed 1011",
        "--add-opens org.glassfish.tyrus.core/org.glassfish.tyrus.core=dev.tether.server");

    // The README's options: the drop is an abort (1006) and the JVM knows every module and package named.
    Result opened = java(classes,
        "--add-opens", "org.glassfish.tyrus.core/org.glassfish.tyrus.core=dev.tether.client,dev.tether.server",
        "--add-opens", "org.glassfish.tyrus.container.grizzly.client/org.glassfish.tyrus.container.grizzly.client"
            + "=dev.tether.client");
    assertThat(opened.exitCode).as("java -m:\n%s", opened.output).isZero();
    assertThat(opened.output).contains("dropped: closed 1006").doesNotContain("WARN", "WARNING");
  }

  @Test
  void internalPackagesStayInternal() throws IOException {
    Path src = dir.resolve("peeking");
    write(src.resolve("module-info.java"), "module dev.tether.peeking { requires dev.tether.client; }");
    write(src.resolve("dev/tether/peeking/Peek.java"), """
        package dev.tether.peeking;
        class Peek { dev.tether.client.internal.RealTetherSocket socket; }
        """);
    Result javac = javac(dir.resolve("peeking-classes"), src);
    assertThat(javac.exitCode).isNotZero();
    assertThat(javac.output).contains("package dev.tether.client.internal is not visible");
  }

  private record Result(int exitCode, String output) {}

  private static Result javac(Path out, Path src) throws IOException {
    List<String> args = new ArrayList<>(List.of("-Xlint:all", "--module-path", modulePath(), "-d", out.toString()));
    try (var files = Files.walk(src)) {
      files.filter(f -> f.toString().endsWith(".java")).forEach(f -> args.add(f.toString()));
    }
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int code = compiler.run(null, output, output, args.toArray(String[]::new));
    return new Result(code, output.toString(StandardCharsets.UTF_8));
  }

  private static Result java(Path classes, String... options) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(options));
    command.addAll(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "--module-path", classes + File.pathSeparator + modulePath(),
        "-m", "dev.tether.consumer/dev.tether.consumer.Main"));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    byte[] bytes = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the modular application did not end within 60 s:\n"
          + new String(bytes, StandardCharsets.UTF_8));
    }
    return new Result(process.exitValue(), new String(bytes, StandardCharsets.UTF_8));
  }

  private static String modulePath() throws IOException {
    Path file = Path.of("target", "module-path.txt");
    assertThat(file).as("written by dependency:build-classpath (generate-test-resources)").exists();
    String path = Files.readString(file).strip();
    for (String entry : path.split(File.pathSeparator)) {
      assertThat(entry).as("Tether's jars must come from this build, not the local repository: run"
          + " `mvn -pl it -am verify`").doesNotContain(File.separator + "dev" + File.separator + "tether" + File.separator);
    }
    return path;
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }
}

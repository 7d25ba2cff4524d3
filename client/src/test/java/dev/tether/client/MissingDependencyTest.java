package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application without a dependency Tether needs is told which artifact to add: checked in a
 * child JVM whose class path is this one's without the jars in question.
 */
class MissingDependencyTest {
  @TempDir Path dir;

  /** Runs in the child JVM: does what the argument says and prints what was thrown. */
  public static void main(String[] args) {
    try {
      switch (args[0]) {
        case "container" -> TetherClient.builder(URI.create("ws://127.0.0.1:1/im")).build();
        case "sqlite" -> OutboxStore.sqlite(Path.of(args[1]));
        default -> throw new IllegalArgumentException(args[0]);
      }
      System.out.println("nothing thrown");
    } catch (RuntimeException e) {
      System.out.println(e.getClass().getName() + ": " + e.getMessage());
    }
  }

  @Test
  void withoutAWebSocketImplementationBuildNamesTheArtifactsToAdd() throws Exception {
    // Tyrus, and Jetty's client (a test dependency here), would each be found.
    String out = runWithout(List.of("/org/glassfish/tyrus/", "/org/eclipse/jetty/"), "container");
    assertThat(out).startsWith("java.lang.IllegalStateException: no Jakarta WebSocket client implementation on the"
        + " class path: add org.glassfish.tyrus:tyrus-client and org.glassfish.tyrus:tyrus-container-grizzly-client");
  }

  @Test
  void withoutTheSqliteDriverTheSqliteOutboxNamesIt() throws Exception {
    String out = runWithout(List.of("/org/xerial/sqlite-jdbc/"), "sqlite", dir.resolve("outbox.db").toString());
    assertThat(out).startsWith("java.lang.IllegalStateException: OutboxStore.sqlite(..) needs the SQLite JDBC driver")
        .contains("add org.xerial:sqlite-jdbc");
  }

  private String runWithout(List<String> jars, String... args) throws Exception {
    String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> jars.stream().noneMatch(jar -> entry.replace(File.separatorChar, '/').contains(jar)))
        .collect(Collectors.joining(File.pathSeparator));
    assertThat(classPath).doesNotContain(jars.get(0));
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classPath,
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", MissingDependencyTest.class.getName()));
    command.addAll(List.of(args));
    Path output = dir.resolve("out.txt");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child JVM ended").isTrue();
    return Files.readString(output, StandardCharsets.UTF_8).lines()
        .filter(line -> !line.startsWith("SLF4J")).collect(Collectors.joining("\n"));
  }
}

package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without the SQLite driver, RoomStore.sqlite(..) names the artifact to add: in a child JVM without it. */
class MissingSqliteDriverTest {
  @TempDir Path dir;

  /** Runs in the child JVM. */
  public static void main(String[] args) {
    try {
      RoomStore.sqlite(Path.of(args[0])).close();
      System.out.println("nothing thrown");
    } catch (RuntimeException e) {
      System.out.println(e.getClass().getName() + ": " + e.getMessage());
    }
  }

  @Test
  void withoutTheSqliteDriverTheSqliteRoomStoreNamesIt() throws Exception {
    String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> !entry.replace(File.separatorChar, '/').contains("/org/xerial/sqlite-jdbc/"))
        .collect(Collectors.joining(File.pathSeparator));
    Path output = dir.resolve("out.txt");
    Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classPath, MissingSqliteDriverTest.class.getName(), dir.resolve("rooms.db").toString()))
        .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(Files.readString(output, StandardCharsets.UTF_8))
        .contains("java.lang.IllegalStateException: RoomStore.sqlite(..) needs the SQLite JDBC driver, which is not"
            + " on the class path: add org.xerial:sqlite-jdbc");
  }
}

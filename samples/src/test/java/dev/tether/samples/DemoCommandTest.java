package dev.tether.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DemoCommandTest {

  @Test
  void demoDeliversEveryMessageAcrossAServerRestart() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int exit = new CommandLine(new DemoCommand(out)).execute("--messages", "12");
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).contains("-- server restarts; alice's network is down too");
    assertThat(lines).anyMatch(l -> l.contains("(written offline)"));
    assertThat(lines.get(lines.size() - 1)).isEqualTo("demo: 12/12 delivered");
    assertThat(exit).isZero();
  }

  /** Guards issue 10: after the server lost its state, every later message used to be dropped. */
  @Test
  void demoWithResetTellsEachPersonOnceAndDeliversEveryMessage() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int exit = new CommandLine(new DemoCommand(out)).execute("--reset", "--messages", "12");
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).contains("-- the server loses its state (an in-memory server that crashed and came back)");
    for (String who : List.of("alice", "bob")) {
      assertThat(lines).filteredOn(l -> l.startsWith("  " + who + ": lobby was reset after #6 ")).hasSize(1);
      int resetLine = lines.indexOf(lines.stream().filter(l -> l.startsWith("  " + who + ": lobby was reset")).findFirst().get());
      // The other's messages 7..12 come after the reset, as seqs 1..6 of the room's new stream.
      List<String> afterTheReset = lines.stream().filter(l -> l.startsWith("  " + who + " got ")
          && Integer.parseInt(l.substring(l.lastIndexOf(' ') + 1)) > 6).toList();
      assertThat(afterTheReset).hasSize(3).allSatisfy(l -> {
        assertThat(lines.indexOf(l)).isGreaterThan(resetLine);
        assertThat(l).matches("  " + who + " got \\[lobby #[1-6]\\] .*");
      });
    }
    assertThat(lines).noneMatch(l -> l.contains("(written offline)"));
    assertThat(lines.get(lines.size() - 1)).isEqualTo("demo: 12/12 delivered");
    assertThat(exit).isZero();
  }

  @Test
  void demoRejectsTooFewMessages() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CommandLine cmd = new CommandLine(new DemoCommand(new PrintStream(bytes, true, StandardCharsets.UTF_8)));
    cmd.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
    assertThat(cmd.execute("--messages", "2")).isEqualTo(2);
  }
}

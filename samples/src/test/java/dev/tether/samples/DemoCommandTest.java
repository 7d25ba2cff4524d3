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

  @Test
  void demoRejectsTooFewMessages() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CommandLine cmd = new CommandLine(new DemoCommand(new PrintStream(bytes, true, StandardCharsets.UTF_8)));
    cmd.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
    assertThat(cmd.execute("--messages", "2")).isEqualTo(2);
  }
}

package dev.tether.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Ordinary mistakes get one line that says what was expected and what came, and exit code 2. */
class BadInputTest {
  private record Outcome(int exitCode, String err) {}

  private static Outcome run(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(new StringWriter(), true));
    return new Outcome(cli.execute(args), err.toString());
  }

  private static void assertOneLine(Outcome o, String... expected) {
    assertThat(o.exitCode()).as(o.err()).isEqualTo(2);
    assertThat(o.err().lines()).as("one line:%n%s", o.err()).hasSize(1);
    assertThat(o.err()).contains(expected).doesNotContain("Exception", "\tat ");
  }

  @Test
  void chatWithAnHttpUrlSaysWhatItExpectsAndShowsOnlyWhatWasTyped() {
    Outcome o = run("chat", "--url", "http://x", "--name", "alice");
    assertOneLine(o, "tether-samples chat: --url must be a ws:// or wss:// URI with a host, such as"
        + " ws://127.0.0.1:8025/im, not 'http://x'");
    assertThat(o.err()).doesNotContain("user=");
  }

  @Test
  void chatWithoutAHostOrRoomOrName() {
    assertOneLine(run("chat", "--url", "ws:/im", "--name", "alice"), "--url must be a ws:// or wss:// URI", "'ws:/im'");
    assertOneLine(run("chat", "--url", "ws://127.0.0.1:1/im", "--room", "", "--name", "alice"),
        "--room must name a room, such as lobby, not ''");
    assertOneLine(run("chat", "--url", "ws://127.0.0.1:1/im", "--name", " "), "--name must name you");
  }

  @Test
  void serverWithAPortOutOfRange() {
    assertOneLine(run("server", "--port", "-5"),
        "tether-samples server: --port must be a port from 0 to 65535 (0: a free one), not -5");
    assertOneLine(run("server", "--port", "99999"), "not 99999");
    assertOneLine(run("server", "--port", "eighty"), "--port", "'eighty'");
  }

  @Test
  void serverOnAPortInUse() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      assertOneLine(run("server", "--port", String.valueOf(port)),
          "tether-samples server: --port " + port + " is in use on 127.0.0.1 (another server?): expected a free port,"
              + " or 0 for any");
    }
  }

  @Test
  void anUnknownOptionOrCommand() {
    assertOneLine(run("server", "--prot", "80"), "Unknown option");
    assertOneLine(run("serve"), "serve");
  }
}

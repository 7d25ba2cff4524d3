package dev.tether.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.Envelope;
import dev.tether.stub.Received;
import dev.tether.stub.StubServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The console chat against a real stub server: what is typed arrives, acked, as the named user. */
class ChatCommandTest {
  private final StubServer server = StubServer.start();

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void chatWithTwoUrlsFailsOverToTheSecondAndSendsEveryLineAsTheNamedUser() throws Exception {
    int dead;
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      dead = taken.getLocalPort(); // closed again: nothing listens there
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ChatCommand chat = new ChatCommand(new ByteArrayInputStream("hello\n\nworld\n".getBytes(StandardCharsets.UTF_8)),
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    chat.linger = Duration.ofSeconds(60); // a loaded machine may take a while; EOF waits for the acks
    int exit = new CommandLine(chat).execute("--url", "ws://127.0.0.1:" + dead + "/im", "--url",
        server.uri().toString(), "--room", "kitchen", "--name", "alice");

    List<String> out = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(exit).as("%s", out).isZero();
    assertThat(out).anyMatch(l -> l.startsWith("* connected to ws://127.0.0.1:" + server.port() + "/"))
        .noneMatch(l -> l.startsWith("* leaving with") || l.startsWith("* not delivered"));
    List<Envelope> chats = new ArrayList<>();
    while (chats.size() < 2) {
      Received r = server.takeReceived(Duration.ofSeconds(30));
      if (r.envelope() != null && r.envelope().type() == Envelope.Type.CHAT) {
        assertThat(r.user()).isEqualTo("alice");
        chats.add(r.envelope());
      }
    }
    assertThat(chats).extracting(Envelope::room).containsOnly("kitchen");
    assertThat(chats).extracting(Envelope::text).containsExactly("hello", "world"); // the blank line is not sent
  }

  @Test
  void everyUrlIsChecked() {
    java.io.StringWriter err = new java.io.StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setErr(new java.io.PrintWriter(err, true));
    int exit = cli.execute("chat", "--url", server.uri().toString(), "--url", "http://x", "--name", "alice");
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("--url must be a ws:// or wss:// URI with a host", "not 'http://x'");
  }
}

package dev.tether.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.ReconnectPolicy;
import dev.tether.client.TetherClient;
import dev.tether.stub.LocalRedis;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The samples' {@code server} command, run as its own process, as a user would. */
class ServerCommandTest {
  @TempDir Path dir;
  private Process process;
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private URI start(String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String[] command = new String[args.length + 5];
    command[0] = java;
    command[1] = "-cp";
    command[2] = System.getProperty("java.class.path");
    command[3] = Main.class.getName();
    command[4] = "server";
    System.arraycopy(args, 0, command, 5, args.length);
    Path log = dir.resolve("server-" + processes.size() + ".log");
    process = new ProcessBuilder(command).redirectError(log.toFile()).start();
    processes.add(process);
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (line == null) {
      throw new IOException("server ended before listening, exit " + process.waitFor() + "; its log:\n"
          + Files.readString(log));
    }
    assertThat(line).matches("listening ws://127\\.0\\.0\\.1:\\d+/im");
    return URI.create(line.substring("listening ".length()));
  }

  @Test
  void servesOnLoopbackKeepsRoomsInSqliteAndSays1001OnStop() throws Exception {
    String store = "sqlite:" + dir.resolve("rooms.db");
    URI uri = start("--port", "0", "--store", store);
    CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    TetherClient alice = TetherClient.builder(URI.create(uri + "?user=alice")).reconnect(ReconnectPolicy.none())
        .delegate(new SocketDelegate() {
          @Override
          public void onClose(TetherSocket socket, int code, String reason, boolean wasClean) {
            closeCode.complete(code);
          }
        }).build();
    alice.open();
    alice.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS);
    Envelope hello = Envelope.chat("lobby", "hello");
    assertThat(alice.send(hello).get(10, TimeUnit.SECONDS).seq()).isEqualTo(1);

    process.destroy(); // SIGTERM, as Ctrl-C would: the shutdown hook closes the server
    assertThat(closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    alice.close();

    URI again = start("--port", "0", "--store", store);
    TetherClient back = TetherClient.builder(URI.create(again + "?user=alice")).build();
    try {
      back.open();
      assertThat(back.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS).seq()).isEqualTo(1);
      Ack resent = back.send(hello).get(10, TimeUnit.SECONDS);
      assertThat(resent.seq()).as("dedup kept in the file").isEqualTo(1);
    } finally {
      back.close();
    }
  }

  @Test
  void twoServersOnOneRedisAreOneCluster() throws Exception {
    try (LocalRedis redis = LocalRedis.start()) {
      URI one = start("--port", "0", "--store", redis.uri().toString());
      URI two = start("--port", "0", "--store", redis.uri().toString());
      CompletableFuture<Envelope> bobGot = new CompletableFuture<>();
      TetherClient bob = TetherClient.builder(URI.create(two + "?user=bob")).delegate(new SocketDelegate() {
        @Override
        public void onEnvelope(TetherSocket socket, Envelope e) {
          bobGot.complete(e);
        }
      }).build();
      TetherClient alice = TetherClient.builder(URI.create(one + "?user=alice")).build();
      try {
        bob.open();
        alice.open();
        bob.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS);
        alice.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS);
        Ack ack = alice.send(Envelope.chat("lobby", "across nodes")).get(10, TimeUnit.SECONDS);
        Envelope got = bobGot.get(10, TimeUnit.SECONDS);
        assertThat(got.text()).isEqualTo("across nodes");
        assertThat(got.from()).isEqualTo("alice");
        assertThat(got.seq()).isEqualTo(ack.seq()).isEqualTo(1);
      } finally {
        alice.close();
        bob.close();
      }
    }
  }

  @Test
  void saysWhyItCannotStartWhenRedisIsUnreachable() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(new ServerCommand());
    cmd.setErr(new PrintWriter(err));
    assertThat(cmd.execute("--store", "redis://127.0.0.1:" + port)).isEqualTo(1);
    assertThat(err.toString()).startsWith("cannot start: cannot open a room store on Redis at redis://127.0.0.1:" + port);
  }

  @Test
  void refusesAStoreItDoesNotKnow() {
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(new ServerCommand());
    cmd.setErr(new PrintWriter(err));
    assertThat(cmd.execute("--store", "mongodb://x")).isEqualTo(2);
    assertThat(err.toString())
        .contains("--store must be 'memory', 'sqlite:PATH' or 'redis://HOST:PORT', not 'mongodb://x'");
  }
}

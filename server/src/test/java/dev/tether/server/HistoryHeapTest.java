package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Guards review 11 finding 2: with every default, one unauthenticated client that joins a room,
 * sends a 1 MB chat and leaves, again and again, filled the server's heap with history (out of
 * memory after about 350 chats at {@code -Xmx384m}). The server runs in its own process with a
 * 128 MiB heap and is sent 300 MB of chats: history is bounded by bytes per room and, in memory,
 * by a quarter of the heap for all rooms, so every chat is acked and the heap stays bounded.
 */
class HistoryHeapTest {
  private static final int CHATS = 300;
  private static final String MEGABYTE = "m".repeat(1_000_000);

  private Process server;
  private WsClient mallory;
  private int acked;

  @AfterEach
  void tearDown() throws Exception {
    System.out.printf("history heap: %d of %d chats of 1 MB acked; server %s%n", acked, CHATS,
        server == null ? "not started" : server.isAlive() ? "alive" : "exited with " + server.exitValue());
    if (mallory != null) {
      mallory.close();
    }
    if (server != null) {
      server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void oneClientSendingMegabyteChatsToRoomsItLeavesCannotFillTheHeap() throws Exception {
    server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
        SmallHeapServer.class.getName()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    PrintStream in = new PrintStream(server.getOutputStream(), true, StandardCharsets.UTF_8);
    String listening = out.readLine();
    assertThat(listening).startsWith("listening ");
    URI uri = URI.create("ws://127.0.0.1:" + listening.substring(10) + "/im?user=mallory");
    mallory = WsClient.connect(TyrusClients.container(), uri, Map.of());
    for (int i = 0; i < CHATS; i++) {
      String room = "room-" + (i % 3);
      Envelope join = Envelope.join(room);
      mallory.send(join);
      assertThat(mallory.nextWire()).isInstanceOf(Ack.class);
      Envelope chat = Envelope.chat(room, MEGABYTE);
      mallory.send(chat);
      assertThat(mallory.ownChat(chat).ack()).as("ack of chat %d", i).isEqualTo(new Ack(chat.id(), i / 3 + 1));
      acked++;
      Envelope leave = Envelope.leave(room);
      mallory.send(leave);
      assertThat(mallory.nextWire()).isInstanceOf(Ack.class);
    }
    in.println("heap");
    long used = Long.parseLong(out.readLine());
    System.out.printf("server heap after %d chats of 1 MB (-Xmx128m, all defaults): %.1f MiB in use%n", CHATS,
        used / 1048576.0);
    assertThat(server.isAlive()).isTrue();
    assertThat(used).isLessThan(100L << 20);
  }
}

package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.Envelope;
import dev.tether.client.RecordingDelegate.Binary;
import dev.tether.client.RecordingDelegate.Env;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.client.RecordingDelegate.Text;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.StubServer;
import jakarta.websocket.WebSocketContainer;
import java.nio.ByteBuffer;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.eclipse.jetty.ee10.websocket.jakarta.client.JakartaWebSocketClientContainerProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * permessage-deflate against an independent peer, Node's {@code ws}: negotiated only when asked
 * for, and every kind of message (empty, small, around buffer sizes, large; text and binary; the
 * peer's echo whole or fragmented, with and without context takeover) comes back intact, while
 * fewer bytes cross the wire. On Tyrus Tether's own extension does the work, on Jetty Jetty's.
 */
class CompressionTest {
  private static final WebSocketContainer JETTY = JakartaWebSocketClientContainerProvider.getContainer(null);
  private static final int[] SIZES = {0, 1, 5, 63, 64, 65, 200, 2_000, 8_191, 8_192, 8_193, 65_536, 300_000,
      1_000_000, 0, 1};

  @AfterAll
  static void stopJetty() throws Exception {
    JakartaWebSocketClientContainerProvider.stop(JETTY);
  }

  private static String chatText(SplittableRandom random, int size) {
    String[] words = {"hello", "the", "meeting", "moved", "to", "three", "see", "you", "there", "thanks", "déjà",
        "vu", "ok", "👍", "lobby", "tomorrow"};
    StringBuilder b = new StringBuilder(size + 16);
    while (b.length() < size) {
      b.append(words[random.nextInt(words.length)]).append(' ');
    }
    return b.substring(0, size);
  }

  private static byte[] bytes(SplittableRandom random, int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (random.nextInt(3) == 0 ? random.nextInt(256) : i % 11);
    }
    return b;
  }

  /** Every size as text and as binary, echoed, in order; returns the bytes that went to the peer. */
  private static long echoEverything(TetherClient.Builder builder, FaultProxy proxy) {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient client = builder.delegate(d).build();
    try {
      client.open();
      d.take(Open.class);
      SplittableRandom random = new SplittableRandom(11);
      for (int size : SIZES) {
        String text = chatText(random, size);
        assertThat(client.send(text)).isTrue();
        assertThat(d.take(Text.class).text()).as("text of %d chars", size).isEqualTo(text);
        byte[] binary = bytes(random, size);
        assertThat(client.send(ByteBuffer.wrap(binary))).isTrue();
        ByteBuffer echo = d.take(Binary.class).bytes();
        byte[] got = new byte[echo.remaining()];
        echo.get(got);
        assertThat(got).as("binary of %d bytes", size).isEqualTo(binary);
      }
      return proxy.bytesToServer();
    } finally {
      client.close();
    }
  }

  @ParameterizedTest(name = "echo in {0} frames, no context takeover: {1}")
  @CsvSource({"1, false", "3, false", "3, true"})
  void withNodeWsEveryKindOfMessageSurvivesBothWaysInFewerBytes(int fragments, boolean noContextTakeover) {
    long compressed;
    long plain;
    try (NodeWs node = NodeWs.echoServer(Map.of("FRAGMENTS", String.valueOf(fragments),
        "NO_CONTEXT_TAKEOVER", noContextTakeover ? "1" : "0"));
        FaultProxy proxy = FaultProxy.start(node.uri())) {
      compressed = echoEverything(TetherClient.builder(proxy.uri()).compression(true), proxy);
      String open = node.awaitLine("OPEN ", Duration.ofSeconds(10));
      assertThat(open).isEqualTo(noContextTakeover
          ? "OPEN offer=\"permessage-deflate\" accepted=\"permessage-deflate; server_no_context_takeover;"
              + " client_no_context_takeover\""
          : "OPEN offer=\"permessage-deflate\" accepted=\"permessage-deflate\"");
      assertThat(node.log()).noneMatch(line -> line.startsWith("ERROR"));
    }
    try (NodeWs node = NodeWs.echoServer(Map.of("FRAGMENTS", String.valueOf(fragments)));
        FaultProxy proxy = FaultProxy.start(node.uri())) {
      plain = echoEverything(TetherClient.builder(proxy.uri()), proxy);
      assertThat(node.awaitLine("OPEN ", Duration.ofSeconds(10))).isEqualTo("OPEN offer=\"\" accepted=\"\"");
    }
    assertThat(compressed).as("bytes sent compressed (%d) vs plain (%d)", compressed, plain)
        .isLessThan(plain * 7 / 10);
  }

  @Test
  void onJettyJettysOwnDeflateIsAskedFor() {
    try (NodeWs node = NodeWs.echoServer(Map.of("FRAGMENTS", "3"));
        FaultProxy proxy = FaultProxy.start(node.uri())) {
      long bytes = echoEverything(TetherClient.builder(proxy.uri()).container(JETTY).compression(true)
          .maxMessageSize(2 << 20), proxy);
      assertThat(node.awaitLine("OPEN ", Duration.ofSeconds(10))).contains("accepted=\"permessage-deflate");
      assertThat(bytes).isPositive();
      assertThat(node.log()).noneMatch(line -> line.startsWith("ERROR"));
    }
  }

  @Test
  void aServerWithoutDeflateDeclinesAndMessagesGoAsTheyAre() {
    try (NodeWs node = NodeWs.echoServer(Map.of("DEFLATE", "0"))) {
      RecordingDelegate d = new RecordingDelegate();
      TetherClient client = TetherClient.builder(node.uri()).compression(true).delegate(d).build();
      try {
        client.open();
        d.take(Open.class);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          String text = "message " + i + " " + "x".repeat(i * 100);
          sent.add(text);
          client.send(text);
        }
        for (String text : sent) {
          assertThat(d.take(Text.class).text()).isEqualTo(text);
        }
        assertThat(node.awaitLine("OPEN ", Duration.ofSeconds(10)))
            .isEqualTo("OPEN offer=\"permessage-deflate\" accepted=\"\"");
      } finally {
        client.close();
      }
    }
  }

  /** Chats between two compressing clients through a TetherServer, acked and fanned out; returns bytes both ways. */
  private static long chatThroughTheServer(StubServer server, boolean compression) throws Exception {
    try (FaultProxy proxy = FaultProxy.start(server.uri())) {
      RecordingDelegate alice = new RecordingDelegate();
      RecordingDelegate bob = new RecordingDelegate();
      TetherClient a = TetherClient.builder(URI.create(proxy.uri() + "?user=alice")).compression(compression)
          .delegate(alice).build();
      TetherClient b = TetherClient.builder(URI.create(proxy.uri() + "?user=bob")).compression(compression)
          .delegate(bob).build();
      try {
        a.open();
        b.open();
        alice.take(Open.class);
        bob.take(Open.class);
        String room = "lobby-" + compression;
        a.send(Envelope.join(room)).get(10, TimeUnit.SECONDS);
        b.send(Envelope.join(room)).get(10, TimeUnit.SECONDS);
        SplittableRandom random = new SplittableRandom(5);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          String text = chatText(random, 200 + random.nextInt(1_800));
          sent.add(text);
          assertThat(a.send(Envelope.chat(room, text)).get(10, TimeUnit.SECONDS).seq()).isEqualTo(i + 1);
        }
        List<String> got = new ArrayList<>();
        while (got.size() < sent.size()) {
          Envelope e = bob.next(Env.class).envelope();
          if (e.type() == Envelope.Type.CHAT) {
            got.add(e.text());
          }
        }
        assertThat(got).isEqualTo(sent);
        for (String text : new String[] {"", "x", chatText(random, 500_000)}) {
          a.send(text);
          assertThat(alice.next(Text.class).text()).isEqualTo(text);
        }
        return proxy.bytesToServer() + proxy.bytesToClient();
      } finally {
        a.close();
        b.close();
      }
    }
  }

  @Test
  void withTetherServerChatsAckedAndFannedOutCostFewerBytes() throws Exception {
    try (StubServer server = StubServer.start()) {
      long compressed = chatThroughTheServer(server, true);
      long plain = chatThroughTheServer(server, false);
      assertThat(compressed).as("bytes compressed (%d) vs plain (%d)", compressed, plain).isLessThan(plain * 7 / 10);
    }
  }
}

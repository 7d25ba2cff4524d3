package dev.tether.deflate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.websocket.Extension;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.glassfish.tyrus.core.extension.ExtendedExtension.ExtensionContext;
import org.glassfish.tyrus.core.frame.Frame;
import org.junit.jupiter.api.Test;

/**
 * The extension's frames, checked against the JDK's own inflater (RFC 7692's framing: raw DEFLATE,
 * tail removed) and against itself, for every kind of message: empty, tiny, around buffer sizes,
 * large, text and binary, whole and fragmented, with and without context takeover. Interop with
 * independent peers (Node ws, Jetty, browsers) is tested in the client and server modules.
 */
class PerMessageDeflateTest {
  private static final int MAX = 4 << 20;
  private static final byte TEXT = 1;
  private static final byte BINARY = 2;
  private static final byte CONTINUATION = 0;

  /** A client and a server extension, negotiated as Tyrus would: server answers, client hears it. */
  private static final class Pair {
    final PerMessageDeflate client = PerMessageDeflate.client(MAX).with(1, 0);
    final PerMessageDeflate server = PerMessageDeflate.server(MAX).with(1, 0);
    final ExtensionContext clientContext = context();
    final ExtensionContext serverContext = context();
    final List<Extension.Parameter> answer;

    Pair(List<Extension.Parameter> offer) {
      answer = server.onExtensionNegotiation(serverContext, offer);
      client.onHandshakeResponse(clientContext, answer);
    }
  }

  private static ExtensionContext context() {
    Map<String, Object> properties = new HashMap<>();
    return () -> properties;
  }

  private static Frame frame(byte opcode, byte[] payload, boolean fin) {
    return Frame.builder().opcode(opcode).fin(fin).payloadData(payload).build();
  }

  /** Sends {@code message} in {@code parts} frames through {@code from}, returns the frames on the wire. */
  private static List<Frame> send(PerMessageDeflate from, ExtensionContext c, byte opcode, byte[] message, int parts) {
    List<Frame> wire = new ArrayList<>();
    int step = Math.max(1, (message.length + parts - 1) / parts);
    int offset = 0;
    int i = 0;
    do {
      int end = i == parts - 1 ? message.length : Math.min(message.length, offset + step);
      wire.add(from.processOutgoing(c, frame(i == 0 ? opcode : CONTINUATION,
          Arrays.copyOfRange(message, offset, end), i == parts - 1)));
      offset = end;
      i++;
    } while (i < parts);
    return wire;
  }

  private static byte[] receive(PerMessageDeflate to, ExtensionContext c, List<Frame> wire) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Frame f : wire) {
      Frame in = to.processIncoming(c, f);
      assertThat(in.isRsv1()).as("RSV1 cleared").isFalse();
      out.writeBytes(in.getPayloadData());
    }
    return out.toByteArray();
  }

  /** What an independent receiver makes of a compressed message: the JDK's raw inflater plus the tail. */
  private static byte[] inflateIndependently(Inflater inflater, List<Frame> wire) throws Exception {
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    wire.forEach(f -> joined.writeBytes(f.getPayloadData()));
    joined.writeBytes(new byte[] {0, 0, (byte) 0xff, (byte) 0xff});
    inflater.setInput(joined.toByteArray());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    while (true) {
      int n = inflater.inflate(buf);
      out.write(buf, 0, n);
      if (n == 0 && (inflater.needsInput() || inflater.finished())) {
        return out.toByteArray();
      }
    }
  }

  private static byte[] chat(SplittableRandom random, int size) {
    String[] words = {"hello", "the", "meeting", "is", "moved", "to", "three", "o'clock", "see", "you", "there",
        "thanks", "and", "room", "lobby", "ok", "👍", "déjà", "vu"};
    StringBuilder b = new StringBuilder("{\"type\":\"chat\",\"id\":\"" + random.nextLong() + "\",\"room\":\"lobby\",\"text\":\"");
    while (b.length() < size) {
      b.append(words[random.nextInt(words.length)]).append(' ');
    }
    return b.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] message(SplittableRandom random, int size, boolean text) {
    if (text) {
      return size < 40 ? "x".repeat(size).getBytes(StandardCharsets.UTF_8) : chat(random, size);
    }
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (random.nextInt(4) == 0 ? random.nextInt(256) : i % 7); // half compressible
    }
    return b;
  }

  private static final int[] SIZES = {0, 0, 1, 2, 5, 63, 64, 65, 200, 1_000, 2_000, 8_191, 8_192, 8_193, 65_536,
      300_000, 0, 1, 1_000_000};

  @Test
  void everyKindOfMessageSurvivesBothWaysWithoutContextTakeoverAsOurServerAnswers() throws Exception {
    Pair pair = new Pair(List.of());
    assertThat(pair.answer).extracting(Extension.Parameter::getName)
        .containsExactly("server_no_context_takeover", "client_no_context_takeover");
    roundTrips(pair, new Inflater(true), new Inflater(true), true);
  }

  @Test
  void everyKindOfMessageSurvivesBothWaysWithContextTakeover() throws Exception {
    // A client talking to a server that keeps context (Node ws, Jetty): the client keeps its state.
    PerMessageDeflate client = PerMessageDeflate.client(MAX).with(1, 0);
    ExtensionContext c = context();
    client.onHandshakeResponse(c, List.of());
    SplittableRandom random = new SplittableRandom(7);
    Inflater independent = new Inflater(true);
    for (int round = 0; round < 3; round++) {
      for (int size : SIZES) {
        for (boolean text : new boolean[] {true, false}) {
          for (int parts : new int[] {1, 3}) {
            byte[] m = message(random, size, text);
            List<Frame> wire = send(client, c, text ? TEXT : BINARY, m, parts);
            assertRsv1OnFirstFrameOnly(wire);
            assertThat(inflateIndependently(independent, wire)).as("%d bytes in %d frames", size, parts).isEqualTo(m);
          }
        }
      }
    }
    client.destroy(c);
  }

  private static void roundTrips(Pair pair, Inflater toServer, Inflater toClient, boolean resetEach) throws Exception {
    SplittableRandom random = new SplittableRandom(42);
    for (int size : SIZES) {
      for (boolean text : new boolean[] {true, false}) {
        for (int parts : new int[] {1, 2, 5}) {
          byte[] m = message(random, size, text);
          String what = size + " bytes " + (text ? "text" : "binary") + " in " + parts + " frames";
          List<Frame> up = send(pair.client, pair.clientContext, text ? TEXT : BINARY, m, parts);
          assertRsv1OnFirstFrameOnly(up);
          assertThat(inflateIndependently(toServer, up)).as(what).isEqualTo(m);
          assertThat(receive(pair.server, pair.serverContext, up)).as(what).isEqualTo(m);
          List<Frame> down = send(pair.server, pair.serverContext, text ? TEXT : BINARY, m, parts);
          assertRsv1OnFirstFrameOnly(down);
          assertThat(inflateIndependently(toClient, down)).as(what).isEqualTo(m);
          assertThat(receive(pair.client, pair.clientContext, down)).as(what).isEqualTo(m);
          if (resetEach) {
            toServer.reset();
            toClient.reset();
          }
        }
      }
    }
    pair.client.destroy(pair.clientContext);
    pair.server.destroy(pair.serverContext);
  }

  private static void assertRsv1OnFirstFrameOnly(List<Frame> wire) {
    assertThat(wire.get(0).isRsv1()).as("RSV1 on the first frame").isTrue();
    assertThat(wire.subList(1, wire.size())).allSatisfy(f -> assertThat(f.isRsv1()).isFalse());
  }

  @Test
  void anEmptyMessageIsASingleZeroByteEveryTime() {
    Pair pair = new Pair(List.of());
    for (int i = 0; i < 3; i++) {
      Frame f = pair.client.processOutgoing(pair.clientContext, frame(TEXT, new byte[0], true));
      assertThat(f.isRsv1()).isTrue();
      assertThat(f.getPayloadData()).containsExactly(0);
      assertThat(pair.server.processIncoming(pair.serverContext, f).getPayloadData()).isEmpty();
    }
  }

  @Test
  void messagesBelowTheThresholdAndControlFramesGoAsTheyAre() {
    PerMessageDeflate client = PerMessageDeflate.client(MAX);
    ExtensionContext c = context();
    client.onHandshakeResponse(c, List.of());
    byte[] small = "a".repeat(PerMessageDeflate.DEFAULT_THRESHOLD - 1).getBytes(StandardCharsets.UTF_8);
    Frame f = frame(TEXT, small, true);
    Frame out = client.processOutgoing(c, f);
    assertThat(out.isRsv1()).isFalse();
    assertThat(out.getPayloadData()).isEqualTo(small);
    Frame atThreshold = client.processOutgoing(c, frame(TEXT, "a".repeat(128).getBytes(StandardCharsets.UTF_8), true));
    assertThat(atThreshold.isRsv1()).isTrue();
    assertThat(atThreshold.getPayloadLength()).isLessThan(20);
    Frame ping = Frame.builder().opcode((byte) 9).fin(true).payloadData(new byte[] {1, 2}).build();
    assertThat(client.processOutgoing(c, ping)).isSameAs(ping);
    // ...and an uncompressed message from the peer passes untouched, as does one before negotiation.
    assertThat(client.processIncoming(c, f)).isSameAs(f);
    assertThat(client.processIncoming(context(), out)).isSameAs(out);
  }

  @Test
  void aSmallFrameThatInflatesPastTheLimitStopsOneBytePastIt() {
    PerMessageDeflate server = PerMessageDeflate.server(10_000);
    ExtensionContext c = context();
    server.onExtensionNegotiation(c, List.of());
    Deflater d = new Deflater(9, true);
    d.setInput(new byte[50_000_000]); // 50 MB of zeros: about 50 KB compressed
    d.finish();
    byte[] bomb = new byte[200_000];
    int n = d.deflate(bomb);
    Frame f = frame(BINARY, Arrays.copyOf(bomb, n), true);
    f = Frame.builder(f).rsv1(true).build();
    assertThat(server.processIncoming(c, f).getPayloadData()).hasSize(10_001);
  }

  @Test
  void rsv1OnAContinuationFrameIsLeftForTheContainerToRefuse() {
    Pair pair = new Pair(List.of());
    List<Frame> wire = send(pair.client, pair.clientContext, TEXT, chat(new SplittableRandom(1), 500), 2);
    pair.server.processIncoming(pair.serverContext, wire.get(0));
    Frame bad = Frame.builder(wire.get(1)).rsv1(true).build();
    assertThat(pair.server.processIncoming(pair.serverContext, bad).isRsv1()).isTrue();
  }

  @Test
  void garbageIsRefused() {
    Pair pair = new Pair(List.of());
    Frame garbage = Frame.builder(frame(TEXT, new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3}, true)).rsv1(true).build();
    assertThatThrownBy(() -> pair.server.processIncoming(pair.serverContext, garbage))
        .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("permessage-deflate: not valid DEFLATE data");
  }

  @Test
  void withoutContextTakeoverAConnectionHoldsNoDeflaterBetweenMessages() {
    ZlibPool pool = ZlibPool.forLevel(2);
    PerMessageDeflate server = PerMessageDeflate.server(MAX).with(2, 0);
    ExtensionContext c = context();
    server.onExtensionNegotiation(c, List.of());
    server.processOutgoing(c, frame(TEXT, chat(new SplittableRandom(3), 1_000), true));
    int idle = pool.idleDeflaters();
    assertThat(idle).as("the deflater went back").isPositive();
    server.processOutgoing(c, frame(TEXT, chat(new SplittableRandom(4), 1_000), true));
    assertThat(pool.idleDeflaters()).as("and was reused").isEqualTo(idle);
    server.destroy(c);
  }

  @Test
  void theServerAnswersWithoutContextTakeoverAndKeepsASmallerWindowBySendingUncompressed() {
    PerMessageDeflate server = PerMessageDeflate.server(MAX);
    ExtensionContext c = context();
    List<Extension.Parameter> answer = server.onExtensionNegotiation(c,
        List.of(param("server_max_window_bits", "10"), param("client_max_window_bits", null)));
    assertThat(answer).extracting(p -> p.getName() + (p.getValue() == null ? "" : "=" + p.getValue()))
        .containsExactly("server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits=10");
    byte[] m = chat(new SplittableRandom(5), 1_000);
    Frame out = server.processOutgoing(c, frame(TEXT, m, true));
    assertThat(out.isRsv1()).isFalse();
    assertThat(out.getPayloadData()).isEqualTo(m);
  }

  @Test
  void offersWithUnknownDuplicateOrBadParametersAreNotAcceptable() {
    assertThat(PerMessageDeflate.acceptable(offer())).isTrue();
    assertThat(PerMessageDeflate.acceptable(offer(param("client_max_window_bits", null)))).isTrue();
    assertThat(PerMessageDeflate.acceptable(offer(param("client_max_window_bits", "\"12\""),
        param("server_no_context_takeover", null), param("server_max_window_bits", "15")))).isTrue();
    assertThat(PerMessageDeflate.acceptable(offer(param("server_max_window_bits", null)))).isFalse();
    assertThat(PerMessageDeflate.acceptable(offer(param("server_max_window_bits", "16")))).isFalse();
    assertThat(PerMessageDeflate.acceptable(offer(param("client_max_window_bits", "7")))).isFalse();
    assertThat(PerMessageDeflate.acceptable(offer(param("server_no_context_takeover", "yes")))).isFalse();
    assertThat(PerMessageDeflate.acceptable(offer(param("x_unknown", null)))).isFalse();
    assertThat(PerMessageDeflate.acceptable(offer(param("client_no_context_takeover", null),
        param("client_no_context_takeover", null)))).isFalse();
  }

  @Test
  void settingsAreChecked() {
    assertThatThrownBy(() -> PerMessageDeflate.client(0)).hasMessage("maxMessageSize < 1: 0");
    assertThatThrownBy(() -> PerMessageDeflate.client(10).with(0, 0)).hasMessage("level not in [1, 9]: 0");
    assertThatThrownBy(() -> PerMessageDeflate.client(10).with(1, -1)).hasMessage("threshold < 0: -1");
  }

  private static Extension.Parameter param(String name, String value) {
    return new Extension.Parameter() {
      @Override
      public String getName() {
        return name;
      }

      @Override
      public String getValue() {
        return value;
      }
    };
  }

  private static Extension offer(Extension.Parameter... parameters) {
    return new Extension() {
      @Override
      public String getName() {
        return "permessage-deflate";
      }

      @Override
      public List<Parameter> getParameters() {
        return List.of(parameters);
      }
    };
  }
}

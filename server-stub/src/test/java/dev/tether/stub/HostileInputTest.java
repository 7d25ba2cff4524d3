package dev.tether.stub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.Wire;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * While two honest clients chat in a room, throws garbage, invalid UTF-8, broken and oversized
 * frames, stalled handshakes and handshakes cut off at every point at the stub server; then
 * checks that no honest chat was lost or duplicated and that the server still takes connections.
 * Prints what was tried and what survived.
 */
class HostileInputTest {
  private static final int MAX_MESSAGE = 64 * 1024;
  private static final int GARBAGE_TEXT_FRAMES = 500;
  private static final int GARBAGE_BINARY_FRAMES = 50;
  private static final int SLOWLORIS = 200;
  private static final int DROPPED_HANDSHAKES = 1_000;
  private static final int SOCKET_TIMEOUT_MS = 10_000;

  private StubServer server;
  private final List<WsRecorder> clients = new ArrayList<>();
  private final List<Socket> stalled = new ArrayList<>();
  private final ExecutorService chatters = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "honest-chatter");
    t.setDaemon(true);
    return t;
  });
  private final List<String> report = new ArrayList<>();

  @BeforeEach
  void setUp() {
    server = StubServer.builder().maxMessageSize(MAX_MESSAGE).start();
  }

  @AfterEach
  void tearDown() throws IOException {
    chatters.shutdownNow();
    for (Socket s : stalled) {
      s.close();
    }
    clients.forEach(WsRecorder::close);
    server.close();
  }

  private WsRecorder connect(String user) throws Exception {
    WsRecorder client = WsRecorder.connect(server.uri(), user);
    clients.add(client);
    return client;
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void honestClientsLoseNothingWhileTheServerIsAttacked() throws Exception {
    WsRecorder alice = connect("alice");
    WsRecorder bob = connect("bob");
    join(alice, "lobby");
    join(bob, "lobby");

    AtomicBoolean attacking = new AtomicBoolean(true);
    Future<Chatter> aliceChats = chatters.submit(() -> new Chatter(alice).chatWhile(attacking));
    Future<Chatter> bobChats = chatters.submit(() -> new Chatter(bob).chatWhile(attacking));

    garbageFrames();
    invalidUtf8();
    brokenFrames();
    oversizedMessages();
    slowloris();
    handshakesDroppedMidway();

    attacking.set(false);
    Chatter a = aliceChats.get(30, TimeUnit.SECONDS);
    Chatter b = bobChats.get(30, TimeUnit.SECONDS);

    // Every chat either client sent was acked (chatWhile waits for each ack) and reaches both
    // exactly once, in seq order without gaps.
    Set<String> sent = new LinkedHashSet<>(a.sent);
    sent.addAll(b.sent);
    a.drainUntilSeen(sent);
    b.drainUntilSeen(sent);
    for (Chatter c : List.of(a, b)) {
      assertThat(c.duplicates).as("duplicates at %s", c.name).isZero();
      assertThat(c.seen).as("chats seen by %s", c.name).containsExactlyInAnyOrderElementsOf(sent);
      assertThat(c.seqs).as("seqs seen by %s", c.name).hasSize(sent.size()).isSorted()
          .startsWith(1L).endsWith((long) sent.size());
    }
    report.add(String.format("honest chat: alice sent %d, bob sent %d; all %d acked and fanned out"
        + " to both once, seqs 1..%d without gaps: 0 lost", a.sent.size(), b.sent.size(),
        sent.size(), sent.size()));

    // The server still takes new connections and serves them.
    WsRecorder carol = connect("carol");
    assertThat(join(carol, "lobby").seq()).isEqualTo(sent.size());
    Envelope hello = Envelope.chat("lobby", "anyone still here?");
    carol.send(hello);
    assertThat(carol.ownChat(hello).ack()).isEqualTo(new Ack(hello.id(), sent.size() + 1L));
    report.add("afterwards: a new client connected, joined at seq " + sent.size()
        + " and chatted (seq " + (sent.size() + 1) + "); open sessions "
        + server.connectionCount() + ", handshakes seen by the endpoint " + server.handshakeCount());

    System.out.println("HostileInputTest against " + server.uri() + " (maxMessageSize "
        + MAX_MESSAGE + "):");
    report.forEach(line -> System.out.println("  " + line));
  }

  /** Random text and binary frames from one connection: each one echoed or refused, none kills it. */
  private void garbageFrames() throws Exception {
    WsRecorder mallory = connect("mallory");
    Random random = new Random(42);
    List<String> garbage = new ArrayList<>();
    garbage.add("");
    garbage.add("{");
    garbage.add("{}");
    garbage.add("[".repeat(5_000) + "]".repeat(5_000));
    garbage.add("{\"a\":".repeat(10_000));
    garbage.add("{\"type\":\"resume\",\"id\":\"r\",\"room\":\"r\",\"after\":1e400}");
    garbage.add("{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"seq\":99999999999999999999999,"
        + "\"body\":{\"text\":\"t\"}}");
    garbage.add("{\"type\":\"chat\",\"id\":\"" + "i".repeat(40_000) + "\",\"room\":\"lobby\","
        + "\"body\":{\"text\":\"not a member\"}}");
    garbage.add("{\"type\":\"ack\",\"id\":\"x\",\"seq\":1}");
    garbage.add("{\"type\":null}");
    String alphabet = "{}[]\":,0123456789.eE+- \\/untrfalsybody";
    while (garbage.size() < GARBAGE_TEXT_FRAMES) {
      int length = random.nextInt(300);
      StringBuilder sb = new StringBuilder(random.nextBoolean() ? "{" : "");
      boolean json = random.nextInt(3) > 0;
      for (int i = 0; i < length; i++) {
        sb.append(json ? alphabet.charAt(random.nextInt(alphabet.length()))
            : (char) (random.nextInt(0xD7FF) + 1));
      }
      garbage.add(sb.toString());
    }
    for (String text : garbage) {
      mallory.send(text);
    }
    int echoed = 0;
    int refused = 0;
    for (int i = 0; i < garbage.size(); i++) {
      String answer = mallory.nextText();
      if (answer.equals(garbage.get(i))) {
        echoed++;
      } else {
        assertThat(answer).startsWith("{\"type\":\"error\"");
        refused++;
      }
    }
    for (int i = 0; i < GARBAGE_BINARY_FRAMES; i++) {
      byte[] bytes = new byte[random.nextInt(2_000)];
      random.nextBytes(bytes);
      mallory.send(bytes);
      assertThat(mallory.nextBinary()).isEqualTo(bytes);
    }
    report.add(String.format("garbage: %d text frames (%d echoed as plain text, %d refused with an"
        + " error) and %d binary frames (echoed) on one connection, which stayed open",
        garbage.size(), echoed, refused, GARBAGE_BINARY_FRAMES));
    mallory.close();
  }

  /** A text frame holding 0xC3 0x28, which is not UTF-8: Tyrus closes with 1007. */
  private void invalidUtf8() throws IOException {
    try (Socket socket = upgradedSocket()) {
      writeFrame(socket.getOutputStream(), 0x81, new byte[] {(byte) 0xC3, 0x28}, true);
      String answer = readFrame(socket.getInputStream());
      assertThat(answer).isEqualTo("close 1007");
      report.add("invalid UTF-8 (text frame C3 28) on a raw socket: " + answer);
    }
  }

  /**
   * Frames that break RFC 6455: a reserved opcode and an RSV bit without an extension are refused
   * with 1002; an unmasked client frame Tyrus tolerates (it echoes it), which we record.
   */
  private void brokenFrames() throws IOException {
    List<String> outcomes = new ArrayList<>();
    record Broken(String name, int firstByte, boolean masked, String expected) {}
    for (Broken b : List.of(new Broken("unmasked text frame", 0x81, false, "text hi"),
        new Broken("reserved opcode 0x3", 0x83, true, "close 1002"),
        new Broken("RSV1 set without an extension", 0xC1, true, "close 1002"))) {
      try (Socket socket = upgradedSocket()) {
        writeFrame(socket.getOutputStream(), b.firstByte(), "hi".getBytes(StandardCharsets.UTF_8),
            b.masked());
        String answer = readFrame(socket.getInputStream());
        assertThat(answer).as(b.name()).isEqualTo(b.expected());
        outcomes.add(b.name() + " -> " + answer);
      }
    }
    report.add("broken frames on raw sockets: " + String.join(", ", outcomes));
  }

  private void oversizedMessages() throws Exception {
    List<Integer> codes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      WsRecorder big = connect("big-" + i);
      big.send("z".repeat(MAX_MESSAGE + 1));
      codes.add(big.nextClose().code());
    }
    assertThat(codes).containsOnly(1009);
    WsRecorder huge = connect("huge");
    huge.send("z".repeat(5 * 1024 * 1024));
    int hugeCode = huge.nextClose().code();
    report.add("oversized: 5 messages of " + (MAX_MESSAGE + 1) + " bytes closed with " + codes
        + "; one of 5 MiB (past Tyrus's 4 MiB frame buffer) closed with " + hugeCode);
  }

  /** Handshakes that send half a request line and stall; held open until the test ends. */
  private void slowloris() throws IOException {
    byte[] half = "GET /im?user=slow HT".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < SLOWLORIS; i++) {
      Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
      stalled.add(s);
      s.getOutputStream().write(half);
      s.getOutputStream().flush();
    }
    report.add("slowloris: " + SLOWLORIS + " sockets sent half a request line and stalled; they"
        + " stay open until the test ends (the stub has no handshake timeout)");
  }

  /** Opens, sends a prefix of a valid handshake (cut everywhere in turn), closes; half with RST. */
  private void handshakesDroppedMidway() throws IOException {
    byte[] request = handshakeRequest();
    int before = server.handshakeCount();
    int sessionsBefore = server.connectionCount();
    for (int i = 0; i < DROPPED_HANDSHAKES; i++) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
        if (i % 2 == 0) {
          s.setSoLinger(true, 0); // close with RST
        }
        s.getOutputStream().write(request, 0, 1 + i % (request.length - 1));
        s.getOutputStream().flush();
      }
    }
    report.add(DROPPED_HANDSHAKES + " connections dropped mid-handshake (cut after 1.."
        + (request.length - 1) + " bytes, half with RST): " + (server.handshakeCount() - before)
        + " reached the endpoint, sessions " + sessionsBefore + " -> " + server.connectionCount());
  }

  private Ack join(WsRecorder client, String room) throws Exception {
    Envelope join = Envelope.join(room);
    client.send(join);
    Wire reply = client.nextWire();
    assertThat(reply).isInstanceOf(Ack.class);
    return (Ack) reply;
  }

  /**
   * Sends chats one at a time, each after the previous one's ack, and records every chat that
   * arrives (its own and the other client's).
   */
  private static final class Chatter {
    final WsRecorder client;
    final String name;
    final List<String> sent = new ArrayList<>();
    final Set<String> seen = new HashSet<>();
    final List<Long> seqs = new ArrayList<>();
    int duplicates;

    Chatter(WsRecorder client) {
      this.client = client;
      this.name = client.toString();
    }

    Chatter chatWhile(AtomicBoolean attacking) throws Exception {
      while (attacking.get() || sent.size() < 100) {
        Envelope chat = Envelope.chat("lobby", "honest " + sent.size());
        client.send(chat);
        sent.add(chat.id());
        while (true) {
          Wire wire = client.nextWire();
          if (wire instanceof Ack ack) {
            assertThat(ack.id()).isEqualTo(chat.id());
            break;
          }
          record((Envelope) wire);
        }
      }
      return this;
    }

    void drainUntilSeen(Set<String> all) throws Exception {
      while (!seen.containsAll(all)) {
        record((Envelope) client.nextWire());
      }
    }

    private void record(Envelope chat) {
      if (!seen.add(chat.id())) {
        duplicates++;
      }
      seqs.add(chat.seq());
    }
  }

  // --- raw sockets ---

  private byte[] handshakeRequest() {
    return ("GET /im?user=raw HTTP/1.1\r\n"
        + "Host: 127.0.0.1:" + server.port() + "\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Version: 13\r\n"
        + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** A socket past a successful (101) handshake. */
  private Socket upgradedSocket() throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
    socket.setSoTimeout(SOCKET_TIMEOUT_MS);
    socket.getOutputStream().write(handshakeRequest());
    socket.getOutputStream().flush();
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed during handshake: " + head.toString(StandardCharsets.US_ASCII));
      }
      head.write(b);
    }
    assertThat(head.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 101");
    return socket;
  }

  private static void writeFrame(OutputStream out, int firstByte, byte[] payload, boolean masked)
      throws IOException {
    out.write(firstByte);
    out.write((masked ? 0x80 : 0) | payload.length); // payloads here are under 126 bytes
    byte[] mask = {0x11, 0x22, 0x33, 0x44};
    if (masked) {
      out.write(mask);
    }
    for (int i = 0; i < payload.length; i++) {
      out.write(masked ? payload[i] ^ mask[i % 4] : payload[i]);
    }
    out.flush();
  }

  /**
   * Reads one server frame: {@code "close CODE"}, {@code "text PAYLOAD"}, {@code "opcode N"}, or
   * {@code "end of stream"} if the socket ends without one.
   */
  private static String readFrame(InputStream in) throws IOException {
    int b0 = in.read();
    int b1 = in.read();
    if (b0 < 0 || b1 < 0) {
      return "end of stream";
    }
    long length = b1 & 0x7F;
    if (length == 126) {
      length = (in.read() << 8) | in.read();
    } else if (length == 127) {
      length = 0;
      for (int i = 0; i < 8; i++) {
        length = (length << 8) | in.read();
      }
    }
    byte[] payload = in.readNBytes((int) length);
    return switch (b0 & 0x0F) {
      case 0x8 -> "close " + (payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005);
      case 0x1 -> "text " + new String(payload, StandardCharsets.UTF_8);
      default -> "opcode " + (b0 & 0x0F);
    };
  }
}

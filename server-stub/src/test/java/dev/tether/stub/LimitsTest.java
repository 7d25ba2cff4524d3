package dev.tether.stub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.ErrorReply;
import dev.tether.api.Wire;
import jakarta.websocket.DeploymentException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.glassfish.tyrus.core.HandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The limits of {@link StubServer.Builder}: message size, rate and origin. */
class LimitsTest {
  private StubServer server;
  private final List<WsRecorder> clients = new ArrayList<>();

  @AfterEach
  void tearDown() {
    clients.forEach(WsRecorder::close);
    if (server != null) {
      server.close();
    }
  }

  private WsRecorder connect(String user) throws Exception {
    WsRecorder client = WsRecorder.connect(server.uri(), user);
    clients.add(client);
    return client;
  }

  private WsRecorder connectWithOrigin(String origin) throws Exception {
    WsRecorder client = WsRecorder.connect(URI.create(server.uri() + "?user=o"),
        Map.of("Origin", origin == null ? List.of() : List.of(origin)));
    clients.add(client);
    return client;
  }

  @Test
  void builderRefusesBadLimitsAtOnce() {
    StubServer.Builder b = StubServer.builder();
    assertThatThrownBy(() -> b.maxMessageSize(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxMessageSize < 1: 0");
    assertThatThrownBy(() -> b.rateLimit(-1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("rateLimit < 0: -1");
    assertThatThrownBy(() -> b.allowedOrigins("https://a.example", " "))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("origin is blank: ' '");
    assertThatThrownBy(b::allowedOrigins).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("no origins: ");
    assertThatThrownBy(() -> b.allowedOrigins((String) null))
        .isInstanceOf(NullPointerException.class).hasMessage("origin == null");
    assertThat(b.maxMessageSize(4096).rateLimit(20).allowedOrigins("https://A.example"))
        .hasToString("StubServer.Builder{port=0, historyPerRoom=10000, maxMessageSize=4096, "
            + "rateLimit=20/s, allowedOrigins=[https://a.example]}");
  }

  @Test
  void messageAtTheLimitIsServedAndOneByteMoreClosesWith1009() throws Exception {
    server = StubServer.builder().maxMessageSize(1024).start();
    WsRecorder alice = connect("alice");
    String atLimit = "x".repeat(1024);
    alice.send(atLimit);
    assertThat(alice.nextText()).isEqualTo(atLimit);

    alice.send("x".repeat(1025));
    assertThat(alice.nextClose().code()).isEqualTo(1009);
  }

  @Test
  void limitCountsUtf8BytesNotCharacters() throws Exception {
    server = StubServer.builder().maxMessageSize(1024).start();
    WsRecorder alice = connect("alice");
    alice.send("€".repeat(342)); // 342 chars, 1,026 bytes
    assertThat(alice.nextClose().code()).isEqualTo(1009);
  }

  @Test
  void oversizedBinaryMessageClosesWith1009() throws Exception {
    server = StubServer.builder().maxMessageSize(1024).start();
    WsRecorder alice = connect("alice");
    alice.send(new byte[1025]);
    assertThat(alice.nextClose().code()).isEqualTo(1009);
  }

  @Test
  void oversizedMessageInFragmentsClosesWith1009() throws Exception {
    server = StubServer.builder().maxMessageSize(1024).start();
    WsRecorder alice = connect("alice");
    alice.sendPart("x".repeat(600), false);
    alice.sendPart("x".repeat(600), true);
    assertThat(alice.nextClose().code()).isEqualTo(1009);
  }

  @Test
  void messageUpToTyrusBufferClosesWith1009() throws Exception {
    server = StubServer.start(); // 1 MiB limit, 4 MiB Tyrus buffer
    WsRecorder alice = connect("alice");
    alice.send("x".repeat(3 * 1024 * 1024));
    assertThat(alice.nextClose().code()).isEqualTo(1009);
  }

  /**
   * Tyrus refuses a frame larger than its incoming buffer before the stub sees it, with 1011
   * (StubServer keeps that buffer at 4 MiB or 64 KiB above the limit, whichever is larger).
   */
  @Test
  void frameLargerThanTyrusBufferClosesTheConnectionAndTheServerGoesOn() throws Exception {
    server = StubServer.start();
    WsRecorder alice = connect("alice");
    alice.send("x".repeat(5 * 1024 * 1024));
    assertThat(alice.nextClose().code()).isEqualTo(1011);
    WsRecorder bob = connect("bob");
    bob.send("still serving");
    assertThat(bob.nextText()).isEqualTo("still serving");
  }

  @Test
  void largeMessagesWithinALargeLimitAreServed() throws Exception {
    server = StubServer.builder().maxMessageSize(6 * 1024 * 1024).start();
    WsRecorder alice = connect("alice");
    // Not echoed: the Tyrus test client itself takes at most 4 MiB a frame.
    Envelope join = new Envelope(Envelope.Type.JOIN, "j-big", "lobby", null, 0, 0,
        Map.of("pad", "y".repeat(5 * 1024 * 1024)));
    alice.send(join);
    assertThat(alice.nextWire()).isInstanceOfSatisfying(Ack.class,
        a -> assertThat(a).extracting(Ack::id, Ack::seq).containsExactly("j-big", 0L));
  }

  @Test
  void framesOverTheRateLimitAreRefusedNamingTheirIdAndNotProcessed() throws Exception {
    server = StubServer.builder().rateLimit(2).start();
    WsRecorder alice = connect("alice");
    // The join takes one of the two tokens of the first second.
    Envelope join = Envelope.join("lobby");
    alice.send(join);
    assertThat(alice.nextWire()).isInstanceOfSatisfying(Ack.class,
        a -> assertThat(a).extracting(Ack::id, Ack::seq).containsExactly(join.id(), 0L));

    List<Envelope> chats = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      chats.add(Envelope.chat("lobby", "chat " + i));
    }
    for (Envelope chat : chats) {
      alice.send(chat);
    }

    // Every chat is answered exactly once: acked (and fanned out) or refused as rate_limited.
    Set<String> acked = new HashSet<>();
    Set<String> limited = new HashSet<>();
    Set<String> fannedOut = new HashSet<>();
    while (acked.size() + limited.size() < chats.size() || fannedOut.size() < acked.size()) {
      Wire wire = alice.nextWire();
      if (wire instanceof Ack ack) {
        assertThat(acked.add(ack.id())).as("second ack for %s", ack.id()).isTrue();
      } else if (wire instanceof ErrorReply error) {
        assertThat(error.code()).isEqualTo("rate_limited");
        assertThat(error.message()).isEqualTo(
            "more than 2 messages a second on this connection: refused");
        assertThat(limited.add(error.id())).as("second answer for %s", error.id()).isTrue();
      } else {
        fannedOut.add(((Envelope) wire).id());
      }
    }
    assertThat(limited).isNotEmpty().doesNotContainAnyElementsOf(acked);
    assertThat(fannedOut).isEqualTo(acked);
    Set<String> all = new HashSet<>(acked);
    all.addAll(limited);
    assertThat(all).containsExactlyInAnyOrderElementsOf(chats.stream().map(Envelope::id).toList());
    alice.assertNothingWithin(Duration.ofMillis(200));
  }

  @Test
  void plainFramesOverTheRateLimitAreRefusedWithoutAnId() throws Exception {
    server = StubServer.builder().rateLimit(1).start();
    WsRecorder alice = connect("alice");
    alice.send("one");
    alice.send("two");
    assertThat(alice.nextText()).isEqualTo("one");
    Wire refused = alice.nextWire();
    assertThat(refused).isInstanceOfSatisfying(ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo("rate_limited");
      assertThat(e.id()).isNull();
    });
  }

  @Test
  void handshakeFromADisallowedOriginIsRefusedWith403AndCounted() throws Exception {
    server = StubServer.builder().allowedOrigins("https://chat.example.com").start();
    assertThatThrownBy(() -> connectWithOrigin("https://evil.example"))
        .isInstanceOf(DeploymentException.class)
        .cause()
        .isInstanceOfSatisfying(HandshakeException.class,
            e -> assertThat(e.getHttpStatusCode()).isEqualTo(403));
    assertThat(server.handshakeCount()).isEqualTo(1);
    assertThat(server.connectionCount()).isZero();
  }

  @Test
  void handshakeFromAnAllowedOriginOrWithoutOneIsAdmitted() throws Exception {
    server = StubServer.builder().allowedOrigins("https://chat.example.com").start();
    WsRecorder browser = connectWithOrigin("https://CHAT.example.com");
    browser.send("hi");
    assertThat(browser.nextText()).isEqualTo("hi");
    WsRecorder app = connectWithOrigin(null);
    app.send("hi");
    assertThat(app.nextText()).isEqualTo("hi");
    assertThat(server.handshakeCount()).isEqualTo(2);
  }

  @Test
  void anyOriginIsAdmittedByDefault() throws Exception {
    server = StubServer.start();
    WsRecorder client = connectWithOrigin("https://anywhere.example");
    client.send("hi");
    assertThat(client.nextText()).isEqualTo("hi");
  }
}

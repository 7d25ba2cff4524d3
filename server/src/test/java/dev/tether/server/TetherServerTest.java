package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The server as a component: its builder, its defaults, how it listens and how it ends. */
class TetherServerTest {
  private final List<TetherServer> servers = new ArrayList<>();
  private final List<WsClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() {
    clients.forEach(WsClient::close);
    servers.forEach(TetherServer::close);
  }

  private TetherServer server(TetherServer.Builder builder) {
    TetherServer s = builder.build();
    servers.add(s);
    return s;
  }

  private WsClient connect(URI uri, String user) throws Exception {
    WsClient c = WsClient.connect(TyrusClients.container(), URI.create(uri + "?user=" + user), Map.of());
    clients.add(c);
    return c;
  }

  @Test
  void defaultsAreTheDocumentedProductionLimits() {
    assertThat(TetherServer.builder()).hasToString("TetherServer.Builder{store=in memory, historyPerRoom=10000,"
        + " maxMessageSize=1048576, rateLimit=1000/s, allowedOrigins=same origin,"
        + " memberQueue=4096/8388608 bytes, handshakeTimeout=PT10S, maxConnections=10000, no authenticator}");
  }

  @Test
  void theBuilderRefusesBadArgumentsAtOnce() {
    TetherServer.Builder b = TetherServer.builder();
    assertThatThrownBy(() -> b.historyPerRoom(0)).hasMessage("historyPerRoom < 1: 0");
    assertThatThrownBy(() -> b.maxMessageSize(0)).hasMessage("maxMessageSize < 1: 0");
    assertThatThrownBy(() -> b.rateLimit(-1)).hasMessage("rateLimit < 0: -1");
    assertThatThrownBy(() -> b.memberQueue(0, 1)).hasMessage("memberQueue maxMessages < 1: 0");
    assertThatThrownBy(() -> b.memberQueue(1, 0)).hasMessage("memberQueue maxBytes < 1: 0");
    assertThatThrownBy(() -> b.maxConnections(0)).hasMessage("maxConnections < 1: 0");
    assertThatThrownBy(() -> b.handshakeTimeout(Duration.ofSeconds(-1))).hasMessage("handshakeTimeout < 0: PT-1S");
    assertThatThrownBy(() -> b.allowedOrigins("https://a.example", " ")).hasMessage("origin is blank: ' '");
    assertThatThrownBy(() -> b.allowedOrigins((String) null)).isInstanceOf(NullPointerException.class)
        .hasMessage("origin == null");
    assertThatThrownBy(() -> b.store(null)).isInstanceOf(NullPointerException.class).hasMessage("store == null");
    assertThatThrownBy(() -> b.authenticator(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("authenticator == null");
  }

  @Test
  void listenOnPortZeroPicksAFreePortOnTheGivenHost() throws Exception {
    TetherServer s = server(TetherServer.builder());
    TetherServer.Running running = s.listen("127.0.0.1", 0);
    assertThat(running.port()).isPositive().isNotEqualTo(8025);
    assertThat(running.uri()).hasToString("ws://127.0.0.1:" + running.port() + "/im");
    assertThatThrownBy(() -> s.listen("127.0.0.1", 70000)).hasMessage("port not in [0, 65535]: 70000");

    InetAddress other = nonLoopbackAddress();
    Assumptions.assumeTrue(other != null, "this machine has no non-loopback IPv4 address");
    try (Socket socket = new Socket()) {
      assertThatThrownBy(() -> socket.connect(new InetSocketAddress(other, running.port()), 2000))
          .isInstanceOf(IOException.class);
    }
  }

  private static InetAddress nonLoopbackAddress() throws IOException {
    for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nif.isUp() && !nif.isLoopback()) {
        for (InetAddress a : Collections.list(nif.getInetAddresses())) {
          if (a instanceof Inet4Address) {
            return a;
          }
        }
      }
    }
    return null;
  }

  @Test
  void closingARunningServerSays1001ToItsClients() throws Exception {
    TetherServer s = server(TetherServer.builder());
    TetherServer.Running running = s.listen("127.0.0.1", 0);
    WsClient alice = connect(running.uri(), "alice");
    await().until(() -> s.stats().connections() == 1);
    running.close();
    WsClient.Closed closed = alice.nextClose();
    assertThat(closed.code()).isEqualTo(1001);
    assertThat(closed.reason()).isEqualTo("server shutting down");
    try (Socket socket = new Socket()) {
      assertThatThrownBy(() -> socket.connect(new InetSocketAddress("127.0.0.1", running.port()), 2000))
          .isInstanceOf(IOException.class);
    }
    // The server itself goes on: it can listen again.
    WsClient bob = connect(s.listen("127.0.0.1", 0).uri(), "bob");
    bob.send("hi");
    assertThat(bob.nextText()).isEqualTo("hi");
  }

  @Test
  void closingTheServerSays1001AndClosesItsStore() throws Exception {
    RoomStore store = RoomStore.inMemory();
    TetherServer s = server(TetherServer.builder().store(store));
    WsClient alice = connect(s.listen("127.0.0.1", 0).uri(), "alice");
    await().until(() -> s.stats().connections() == 1);
    s.close();
    assertThat(alice.nextClose().code()).isEqualTo(1001);
    assertThatThrownBy(() -> store.open("lobby").toCompletableFuture().get()).hasCauseInstanceOf(IllegalStateException.class);
    assertThatThrownBy(s::endpointConfig).isInstanceOf(IllegalStateException.class).hasMessage("closed");
    s.close();
  }

  @Test
  void aSlowlorisHandshakeIsCutAtTheHandshakeTimeout() throws Exception {
    TetherServer s = server(TetherServer.builder().handshakeTimeout(Duration.ofMillis(500)));
    URI uri = s.listen("127.0.0.1", 0).uri();
    WsClient honest = connect(uri, "honest");
    try (Socket slow = new Socket("127.0.0.1", uri.getPort())) {
      slow.setSoTimeout(10_000);
      slow.getOutputStream().write("GET /im HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
      long start = System.nanoTime();
      InputStream in = slow.getInputStream();
      // Trickle a header byte every 100 ms: an idle timeout would never fire.
      while (true) {
        try {
          slow.getOutputStream().write('X');
        } catch (IOException closed) {
          break;
        }
        slow.setSoTimeout(100);
        try {
          if (in.read() < 0) {
            break;
          }
        } catch (java.net.SocketTimeoutException stillOpen) {
          // keep trickling
        } catch (IOException reset) {
          break;
        }
        assertThat(System.nanoTime() - start).as("still open").isLessThan(TimeUnit.SECONDS.toNanos(10));
      }
      long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
      System.out.printf("slowloris handshake cut after %d ms (timeout 500 ms)%n", elapsedMillis);
      assertThat(elapsedMillis).isGreaterThanOrEqualTo(400);
    }
    // A connection that completed its handshake is not affected, however long it lives.
    await().pollDelay(Duration.ofMillis(700)).until(() -> true);
    honest.send("still open");
    assertThat(honest.nextText()).isEqualTo("still open");
  }

  @Test
  void withoutAnAuthenticatorTheServerSaysSoInItsLogOnce() {
    String log = stderrOf(() -> server(TetherServer.builder()));
    assertThat(log).contains("identities are not authenticated");
    String withAuth = stderrOf(() -> server(TetherServer.builder().authenticator(request -> "alice")));
    assertThat(withAuth).doesNotContain("identities are not authenticated");
  }

  private static String stderrOf(Runnable r) {
    PrintStream old = System.err;
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
    try {
      r.run();
    } finally {
      System.setErr(old);
    }
    return buffer.toString(StandardCharsets.UTF_8);
  }

  @Test
  void statsCountConnectionsAndRoomsInUse() throws Exception {
    TetherServer s = server(TetherServer.builder());
    URI uri = s.listen("127.0.0.1", 0).uri();
    WsClient alice = connect(uri, "alice");
    WsClient bob = connect(uri, "bob");
    for (WsClient c : List.of(alice, bob)) {
      Envelope join = Envelope.join("lobby");
      c.send(join);
      assertThat(c.nextWire()).isInstanceOfSatisfying(Ack.class,
          a -> assertThat(a).extracting(Ack::id, Ack::seq).containsExactly(join.id(), 0L));
    }
    Envelope other = Envelope.join("kitchen");
    bob.send(other);
    bob.nextWire();
    assertThat(s.stats().connections()).isEqualTo(2);
    assertThat(s.stats().rooms()).isEqualTo(2);
    bob.close();
    await().until(() -> s.stats().connections() == 1 && s.stats().rooms() == 1);
  }
}

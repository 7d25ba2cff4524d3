package dev.tether.stub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultProxyTest {
  private static final Duration TIMEOUT = WsRecorder.TIMEOUT;

  private StubServer server;
  private FaultProxy proxy;
  private final List<WsRecorder> clients = new ArrayList<>();

  @BeforeEach
  void setUp() {
    server = StubServer.start();
    proxy = FaultProxy.start(server.uri());
  }

  @AfterEach
  void tearDown() {
    clients.forEach(WsRecorder::close);
    proxy.close();
    server.close();
  }

  private WsRecorder connect(String user) throws Exception {
    WsRecorder client = WsRecorder.connect(proxy.uri(), user);
    clients.add(client);
    return client;
  }

  @Test
  void uriKeepsPathAndQueryOfTheTarget() {
    FaultProxy other = FaultProxy.start(URI.create(server.uri() + "?user=zed"));
    try {
      assertThat(other.uri())
          .hasToString("ws://127.0.0.1:" + other.port() + "/im?user=zed");
    } finally {
      other.close();
    }
  }

  @Test
  void forwardsFramesBothWays() throws Exception {
    WsRecorder alice = connect("alice");
    alice.send("hello through the proxy");
    assertThat(alice.nextText()).isEqualTo("hello through the proxy");
    assertThat(server.takeReceived(TIMEOUT).user()).isEqualTo("alice");
    assertThat(proxy.connectionCount()).isEqualTo(1);
  }

  /** Held, not lost: what a black hole takes in is delivered on heal, in order, as TCP would. */
  @Test
  void blackholeHoldsTrafficAndHealDeliversItInOrder() throws Exception {
    WsRecorder alice = connect("alice");
    proxy.blackhole();
    alice.send("held 1");
    alice.send("held 2");
    alice.assertNothingWithin(Duration.ofMillis(300));
    assertThat(server.receivedCount()).isZero();
    assertThat(proxy.connectionCount()).isEqualTo(1);

    proxy.heal();
    alice.send("after");
    assertThat(alice.nextText()).isEqualTo("held 1");
    assertThat(alice.nextText()).isEqualTo("held 2");
    assertThat(alice.nextText()).isEqualTo("after");
    assertThat(proxy.droppedFrames()).isZero();
  }

  @Test
  void aBlackholeHoldsAClosingClientsLastWordsAndItsCloseUntilHeal() throws Exception {
    WsRecorder alice = connect("alice");
    await().atMost(TIMEOUT).until(() -> server.connectionCount() == 1);
    proxy.blackhole();
    alice.send("last words");
    alice.close();
    await().during(Duration.ofMillis(300)).atMost(TIMEOUT)
        .until(() -> server.receivedCount() == 0 && server.connectionCount() == 1);

    proxy.heal();
    assertThat(server.takeReceived(TIMEOUT).text()).isEqualTo("last words");
    await().atMost(TIMEOUT).until(() -> server.connectionCount() == 0);
  }

  @Test
  void aHandshakeThroughABlackholedProxyWaitsAndCompletesOnHeal() throws Exception {
    proxy.blackhole();
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      socket.setSoTimeout(300);
      socket.getOutputStream().write(
          ("GET /im HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      assertThatThrownBy(() -> socket.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class);
      assertThat(proxy.connectionCount()).isEqualTo(1);
      assertThat(server.handshakeCount()).isZero();

      proxy.heal();
      socket.setSoTimeout((int) TIMEOUT.toMillis());
      byte[] status = socket.getInputStream().readNBytes(12);
      assertThat(new String(status, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 101");
      assertThat(server.handshakeCount()).isEqualTo(1);
    }
  }

  @Test
  void dropNextFramesLosesExactlyThatManyClientMessagesAndTheConnectionLivesOn() throws Exception {
    WsRecorder alice = connect("alice");
    proxy.dropNextFrames(2);
    alice.send("lost 1");
    alice.send("lost 2");
    alice.send("through");
    assertThat(alice.nextText()).isEqualTo("through");
    assertThat(server.takeReceived(TIMEOUT).text()).isEqualTo("through");
    assertThat(server.receivedCount()).isEqualTo(1);
    assertThat(proxy.droppedFrames()).isEqualTo(2);
    alice.send("and on");
    assertThat(alice.nextText()).isEqualTo("and on");
  }

  @Test
  void aDroppedFragmentedMessageGoesWholeAndTheNextArrivesIntact() throws Exception {
    WsRecorder alice = connect("alice");
    proxy.dropNextFrames(1);
    alice.sendPart("frag", false);
    alice.sendPart("ment", false);
    alice.sendPart("ed", true);
    alice.send("next");
    assertThat(alice.nextText()).isEqualTo("next");
    assertThat(server.receivedCount()).isEqualTo(1);
  }

  @Test
  void lossyDropsAShareOfMessagesAndTheSameSeedDropsTheSameOnes() throws Exception {
    List<Integer> first = lostOfTwoHundred(proxy, connect("alice"));
    try (FaultProxy other = FaultProxy.start(server.uri())) {
      WsRecorder bob = WsRecorder.connect(other.uri(), "bob");
      clients.add(bob);
      assertThat(lostOfTwoHundred(other, bob)).isEqualTo(first);
    }
    assertThat(first.size()).isBetween(30, 90);
  }

  /**
   * Sends 200 messages with 30 % loss, seed 7, through the first connection of {@code proxy};
   * once each was dropped or reached the server, a marker with the loss off. Returns the lost ones.
   */
  private List<Integer> lostOfTwoHundred(FaultProxy proxy, WsRecorder client) throws Exception {
    int before = server.receivedCount();
    proxy.lossy(0.3, 7);
    for (int i = 0; i < 200; i++) {
      client.send("m" + i);
    }
    await().atMost(TIMEOUT).until(() -> proxy.droppedFrames() + server.receivedCount() - before == 200);
    proxy.lossy(0, 0);
    client.send("end");
    List<Integer> lost = new ArrayList<>();
    int next = 0;
    for (String text; !(text = client.nextText()).equals("end"); ) {
      int i = Integer.parseInt(text.substring(1));
      while (next < i) {
        lost.add(next++);
      }
      next = i + 1;
    }
    while (next < 200) {
      lost.add(next++);
    }
    assertThat(proxy.droppedFrames()).isEqualTo(lost.size());
    return lost;
  }

  @Test
  void lossNeverTakesControlFrames() throws Exception {
    WsRecorder alice = connect("alice");
    await().atMost(TIMEOUT).until(() -> server.connectionCount() == 1);
    proxy.lossy(1, 1);
    alice.send("lost");
    alice.ping(new byte[] {7});
    WsRecorder.Event pong = alice.next();
    assertThat(pong).isInstanceOfSatisfying(WsRecorder.Pong.class, p -> assertThat(p.bytes()).containsExactly(7));
    alice.close();
    await().atMost(TIMEOUT).until(() -> server.connectionCount() == 0);
    assertThat(server.receivedCount()).isZero();
    assertThat(proxy.droppedFrames()).isEqualTo(1);
  }

  @Test
  void lossNeedsAPlainWebSocketTargetAndAProbability() {
    assertThatThrownBy(() -> proxy.lossy(1.5, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("probability not in [0, 1]: 1.5");
    assertThatThrownBy(() -> proxy.lossy(Double.NaN, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> proxy.dropNextFrames(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("frames < 0: -1");
    try (FaultProxy tls = FaultProxy.start(URI.create("wss://127.0.0.1:" + server.port() + "/im"))) {
      assertThatThrownBy(() -> tls.dropNextFrames(1)).isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("losing frames needs a plain ws:// target, not wss://");
    }
  }

  @Test
  void cutAllResetsConnectionsAndClientsSeeAbnormalClose() throws Exception {
    WsRecorder alice = connect("alice");
    WsRecorder bob = connect("bob");
    proxy.cutAll();
    assertThat(alice.nextClose().code()).isEqualTo(1006);
    assertThat(bob.nextClose().code()).isEqualTo(1006);
    assertThat(proxy.connectionCount()).isZero();
    await().atMost(TIMEOUT).until(() -> server.connectionCount() == 0);

    WsRecorder carol = connect("carol");
    carol.send("new ones work");
    assertThat(carol.nextText()).isEqualTo("new ones work");
  }

  @Test
  void rejectNewResetsNewConnectionsButKeepsOpenOnes() throws Exception {
    WsRecorder alice = connect("alice");
    proxy.rejectNew(true);
    // A raw socket, because Tyrus's client may not notice a reset during its handshake until its
    // handshake timeout.
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      socket.setSoTimeout((int) TIMEOUT.toMillis());
      assertThatThrownBy(() -> {
        socket.getOutputStream().write("GET /im HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        if (socket.getInputStream().read() == -1) {
          throw new EOFException("closed");
        }
      }).isInstanceOf(IOException.class).isNotInstanceOf(SocketTimeoutException.class);
    }
    alice.send("still here");
    assertThat(alice.nextText()).isEqualTo("still here");
    assertThat(server.handshakeCount()).isEqualTo(1);
    assertThat(proxy.connectionCount()).isEqualTo(1);

    proxy.rejectNew(false);
    connect("bob");
    assertThat(server.handshakeCount()).isEqualTo(2);
  }

  @Test
  void latencyDelaysEachDirectionByAtLeastTheConfiguredTime() throws Exception {
    WsRecorder alice = connect("alice");
    proxy.latency(Duration.ofMillis(150));
    long start = System.nanoTime();
    alice.send("slow");
    assertThat(alice.nextText()).isEqualTo("slow");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));

    proxy.latency(Duration.ZERO);
    alice.send("fast again");
    assertThat(alice.nextText()).isEqualTo("fast again");
  }

  @Test
  void serverStopBehindTheProxyReachesClientsAsAbnormalClose() throws Exception {
    WsRecorder alice = connect("alice");
    server.stop();
    assertThat(alice.nextClose().code()).isEqualTo(1006);
    await().atMost(TIMEOUT).until(() -> proxy.connectionCount() == 0);
  }

  @Test
  void handlesFiftyConcurrentConnections() throws Exception {
    List<WsRecorder> many = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      many.add(connect("user" + i));
    }
    for (int i = 0; i < many.size(); i++) {
      many.get(i).send("echo " + i);
    }
    for (int i = 0; i < many.size(); i++) {
      assertThat(many.get(i).nextText()).isEqualTo("echo " + i);
    }
    assertThat(proxy.connectionCount()).isEqualTo(50);
    assertThat(server.connectionCount()).isEqualTo(50);
  }

  @Test
  void closeResetsConnectionsAndIsIdempotent() throws Exception {
    WsRecorder alice = connect("alice");
    proxy.close();
    proxy.close();
    assertThat(alice.nextClose().code()).isEqualTo(1006);
  }

  @Test
  void stopReadingHoldsFramesAndHealForwardsThem() throws Exception {
    WsRecorder alice = connect("alice");
    proxy.stopReading();
    alice.send("held, not lost");
    alice.assertNothingWithin(Duration.ofMillis(300));
    assertThat(server.receivedCount()).isZero();
    assertThat(proxy.connectionCount()).isEqualTo(1);

    proxy.heal();
    assertThat(alice.nextText()).isEqualTo("held, not lost");
  }

  /**
   * The zero window itself, against a plain TCP sink: a sender's writes stall after a bounded
   * amount, nothing reaches the target meanwhile, and after heal every byte arrives.
   */
  @Test
  void stopReadingStallsTheSendersWritesUntilHeal() throws Exception {
    try (ServerSocket sink = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        FaultProxy tcp = FaultProxy.start(URI.create("tcp://127.0.0.1:" + sink.getLocalPort()))) {
      AtomicLong received = new AtomicLong();
      Thread reader = new Thread(() -> drain(sink, received), "sink");
      reader.setDaemon(true);
      reader.start();
      tcp.stopReading();

      long written = 0;
      try (SocketChannel sender = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), tcp.port()));
          Selector selector = Selector.open()) {
        sender.configureBlocking(false);
        SelectionKey key = sender.register(selector, SelectionKey.OP_WRITE);
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        long limit = 256L * 1024 * 1024;
        // Write until the socket stays unwritable for 500 ms: the window is closed.
        while (selector.select(500) > 0) {
          selector.selectedKeys().clear();
          chunk.clear();
          written += sender.write(chunk);
          assertThat(written).as("bytes accepted by a proxy that does not read").isLessThan(limit);
        }
        assertThat(written).isPositive();
        assertThat(received).hasValue(0);
        assertThat(tcp.connectionCount()).isEqualTo(1);

        tcp.heal();
        key.interestOps(0);
        long total = written;
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(received).hasValue(total));
      }
    }
  }

  private static void drain(ServerSocket sink, AtomicLong received) {
    try (Socket s = sink.accept(); InputStream in = s.getInputStream()) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        received.addAndGet(n);
      }
    } catch (IOException e) {
      // the test ended
    }
  }
}

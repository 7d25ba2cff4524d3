package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.ReadyState;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.RecordingDelegate.Close;
import dev.tether.client.RecordingDelegate.Env;
import dev.tether.client.RecordingDelegate.Failure;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.client.RecordingDelegate.Pong;
import dev.tether.client.RecordingDelegate.Reconnecting;
import dev.tether.client.RecordingDelegate.Text;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.StubServer;
import jakarta.websocket.WebSocketContainer;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The behaviours that must hold on any JSR-356 container: open, send, ping, close, reconnect,
 * outbox, heartbeat. Each subclass runs them on one container implementation.
 */
abstract class PortableBehaviourTest {
  private static final ReconnectPolicy FAST = ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(100));

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();
  protected final StubServer server = stub.server();

  /** The container under test. */
  abstract WebSocketContainer container();

  private TetherClient.Builder builder(TetherClient.Builder builder) {
    return builder.container(container()).reconnect(FAST);
  }

  private TetherClient client(TetherClient.Builder builder, RecordingDelegate d) {
    return stub.track(builder.delegate(d).container(container()).reconnect(FAST).build());
  }

  private TetherClient openClient(RecordingDelegate d) {
    TetherClient c = client(TetherClient.builder(server.uri()), d);
    c.open();
    d.take(Open.class);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(1));
    return c;
  }

  @Test
  void opensEchoesTextAndBinaryAndAnswersPings() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient(d);
    assertThat(c.readyState()).isEqualTo(ReadyState.OPEN);
    c.send("hello");
    assertThat(d.take(Text.class).text()).isEqualTo("hello");
    c.send(ByteBuffer.wrap(new byte[] {7, 8}));
    assertThat(d.take(RecordingDelegate.Binary.class).bytes().remaining()).isEqualTo(2);
    c.sendPing(ByteBuffer.wrap("p".getBytes(StandardCharsets.UTF_8)));
    assertThat(StandardCharsets.UTF_8.decode(d.take(Pong.class).payload()).toString()).isEqualTo("p");
  }

  @Test
  void envelopesAreAcked() throws Exception {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient(d);
    c.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS);
    Ack ack = c.send(Envelope.chat("lobby", "hi")).get(10, TimeUnit.SECONDS);
    assertThat(ack.seq()).isEqualTo(1);
    assertThat(d.take(Env.class).envelope().text()).isEqualTo("hi");
  }

  @Test
  void closesCleanly() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient(d);
    c.close();
    Close close = d.take(Close.class);
    assertThat(close.code()).isEqualTo(1000);
    assertThat(close.wasClean()).isTrue();
    assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isZero());
  }

  @Test
  void reconnectsAfterADropAndFlushesTheOutboxInOrder() throws Exception {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient(d);
    c.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS);
    server.stop();
    d.next(Close.class);
    List<CompletableFuture<Ack>> acks = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      acks.add(c.send(Envelope.chat("lobby", "queued " + i)));
    }
    server.restart();
    for (int i = 0; i < 100; i++) {
      assertThat(acks.get(i).get(30, TimeUnit.SECONDS).seq()).isEqualTo(i + 1);
      assertThat(d.next(Env.class).envelope().text()).isEqualTo("queued " + i);
    }
  }

  @Test
  void reconnectsAfterTheServerAsksForIt() {
    RecordingDelegate d = new RecordingDelegate();
    openClient(d);
    server.closeAll(1012, "restart");
    assertThat(d.take(Close.class).code()).isEqualTo(1012);
    assertThat(d.take(Reconnecting.class).attempt()).isEqualTo(1);
    d.take(Open.class);
  }

  @Test
  void heartbeatFindsAHalfOpenLink() {
    try (FaultProxy proxy = FaultProxy.start(server.uri())) {
      RecordingDelegate d = new RecordingDelegate();
      TetherClient c = client(TetherClient.builder(proxy.uri())
          // A connect timeout a loaded machine's handshake cannot blow: the first event must be onOpen.
          .heartbeat(Duration.ofMillis(200), Duration.ofMillis(300)).connectTimeout(Duration.ofSeconds(5)), d);
      c.open();
      d.take(Open.class);
      proxy.blackhole();
      assertThat(d.take(Failure.class).error()).isInstanceOf(TimeoutException.class)
          .hasMessageStartingWith("no pong within 300 ms");
      proxy.heal();
      // An attempt made while the link was still a black hole waits out its connect timeout first.
      d.next(Open.class, Duration.ofSeconds(40));
    }
  }

  private static ByteBuffer numbered(int n, int size) {
    ByteBuffer b = ByteBuffer.allocate(size);
    while (b.hasRemaining()) {
      b.put((byte) (n * 31 + b.position()));
    }
    return b.putInt(0, n).flip();
  }

  private static byte[] bytesOf(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  /**
   * Guards issue 9, defect 1: Jetty recycles a message's buffer as soon as the handler returns, so
   * the client must hand the delegate bytes of its own. The delegate is held until everything was
   * sent, then is slow: every buffer is read long after the container delivered it.
   */
  @Test
  void binaryEchoesAndPongPayloadsReachASlowDelegateIntact() throws Exception {
    int binaries = 1000;
    int pings = 100;
    CountDownLatch opened = new CountDownLatch(1);
    CountDownLatch sent = new CountDownLatch(1);
    CountDownLatch all = new CountDownLatch(binaries + pings);
    List<byte[]> gotBinary = Collections.synchronizedList(new ArrayList<>());
    List<byte[]> gotPong = Collections.synchronizedList(new ArrayList<>());
    SocketDelegate slow = new SocketDelegate() {
      @Override
      public void onOpen(TetherSocket socket) {
        opened.countDown();
      }

      @Override
      public void onMessage(TetherSocket socket, ByteBuffer bytes) {
        take(bytes, gotBinary);
      }

      @Override
      public void onPong(TetherSocket socket, ByteBuffer payload) {
        take(payload, gotPong);
      }

      private void take(ByteBuffer b, List<byte[]> into) {
        try {
          sent.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        LockSupport.parkNanos(200_000); // a slow delegate
        into.add(bytesOf(b));
        all.countDown();
      }
    };
    TetherClient c = stub.track(builder(TetherClient.builder(server.uri())).delegate(slow).build());
    c.open();
    assertThat(opened.await(10, TimeUnit.SECONDS)).isTrue();
    for (int i = 0; i < binaries; i++) {
      assertThat(c.send(numbered(i, 64 + i % 200))).isTrue();
    }
    for (int i = 0; i < pings; i++) {
      c.sendPing(numbered(i, 8));
    }
    sent.countDown();
    assertThat(all.await(60, TimeUnit.SECONDS)).as("all echoes and pongs arrived").isTrue();
    for (int i = 0; i < binaries; i++) {
      assertThat(gotBinary.get(i)).as("binary echo %d", i).isEqualTo(bytesOf(numbered(i, 64 + i % 200)));
    }
    for (int i = 0; i < pings; i++) {
      assertThat(gotPong.get(i)).as("pong %d", i).isEqualTo(bytesOf(numbered(i, 8)));
    }
  }

  /**
   * Guards issue 9, defect 3: a TCP connection that ends without a close frame is an error:
   * onFailure with an I/O cause comes before onClose(1006).
   */
  @Test
  void aConnectionLostWithoutACloseFrameReportsAnIoFailureBeforeOnClose() {
    RecordingDelegate d = new RecordingDelegate();
    openClient(d);
    server.dropAllConnections();
    Failure failure = d.take(Failure.class);
    assertThat(failure.error()).isInstanceOf(IOException.class)
        .hasMessageContaining("without a close frame");
    Close close = d.take(Close.class);
    assertThat(close.code()).isEqualTo(1006);
    assertThat(close.wasClean()).isFalse();
    assertThat(d.take(Reconnecting.class).attempt()).isEqualTo(1);
    d.take(Open.class);
  }

  /**
   * Guards issue 9, defect 4: a final 4xx answer to the handshake is not retried; the failure
   * names the status and the URI, with its query values redacted.
   */
  @Test
  void aHandshakeAnsweredWith404IsFinalAndNamesTheUriWithItsQueryValuesRedacted() {
    RecordingDelegate d = new RecordingDelegate();
    URI wrongPath = server.uri().resolve("/nowhere?user=alice&secret=s3cr3t");
    TetherClient c = client(TetherClient.builder(wrongPath), d);
    c.open();
    Failure failure = d.take(Failure.class);
    assertThat(failure.error()).hasMessageContaining("HTTP 404")
        .hasMessageContaining(server.uri().resolve("/nowhere") + "?user=***&secret=***")
        .hasMessageNotContaining("s3cr3t");
    assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
    d.assertNoEvent(Duration.ofMillis(500));
  }

  /**
   * Guards issue 9, defect 6: a peer that stops reading stalls the container's writes (Jetty's
   * sendPing blocks until its frame is written). The heartbeat still finds it, and timers of other
   * clients on the shared scheduler keep running meanwhile.
   */
  @Test
  void aPeerThatNeverReadsIsFoundByTheHeartbeatAndFreezesNoOtherTimer() throws Exception {
    try (FaultProxy proxy = FaultProxy.start(server.uri())) {
      RecordingDelegate d = new RecordingDelegate();
      TetherClient stuck = client(TetherClient.builder(proxy.uri())
          .heartbeat(Duration.ofMillis(200), Duration.ofSeconds(5)), d); // 5 s: 32 MiB of copies may take seconds on a loaded box
      stuck.open();
      d.take(Open.class);
      proxy.stopReading();
      ByteBuffer mebibyte = ByteBuffer.allocate(1 << 20);
      for (int i = 0; i < 32; i++) {
        assertThat(stuck.send(mebibyte.duplicate())).isTrue(); // fills the TCP buffers, then queues
      }

      TetherClient other = client(TetherClient.builder(server.uri()).networkMonitor(NetworkMonitor.manual(false)),
          new RecordingDelegate());
      other.open();
      CompletableFuture<Ack> expiring = other.send(Envelope.chat("lobby", "expires"), Duration.ofMillis(300));
      assertThatThrownBy(() -> expiring.get(10, TimeUnit.SECONDS)).cause().hasMessageContaining("expired");

      assertThat(d.take(Failure.class, Duration.ofSeconds(30)).error()).isInstanceOf(TimeoutException.class)
          .hasMessageStartingWith("no pong within 5000 ms");
      assertThat(d.take(Close.class).code()).isEqualTo(1006);
    }
  }
}

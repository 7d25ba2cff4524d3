package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.MalformedEnvelopeException;
import dev.tether.api.ReadyState;
import dev.tether.api.RejectedException;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherException;
import dev.tether.api.TetherSocket;
import dev.tether.client.RecordingDelegate.Binary;
import dev.tether.client.RecordingDelegate.Close;
import dev.tether.client.RecordingDelegate.Env;
import dev.tether.client.RecordingDelegate.Failure;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.client.RecordingDelegate.Pong;
import dev.tether.client.RecordingDelegate.Text;
import dev.tether.stub.StubServer;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The foundation: open, send, receive, ping, close and bad input, against a real StubServer. */
class TetherClientTest {
  @RegisterExtension final StubServerExtension stub = new StubServerExtension();
  private final StubServer server = stub.server();

  private TetherClient client(String user, SocketDelegate delegate) {
    return stub.track(TetherClient.builder(URI.create(server.uri() + "?user=" + user))
        .delegate(delegate)
        .build());
  }

  private TetherClient openClient(String user, RecordingDelegate delegate) {
    TetherClient c = client(user, delegate);
    c.open();
    delegate.assertOpen();
    return c;
  }

  @Test
  void newClientIsClosedUntilOpened() {
    TetherClient c = client("alice", new RecordingDelegate());
    assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
    assertThat(c.uri()).isEqualTo(URI.create(server.uri() + "?user=alice"));
  }

  @Test
  void openReportsOnOpenAndIsOpen() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = client("alice", d);
    c.open();
    d.take(Open.class);
    assertThat(c.readyState()).isEqualTo(ReadyState.OPEN);
    assertThat(d.threads).allMatch(name -> name.startsWith("tether-callback-"));
  }

  @Test
  void openTwiceOpensOneConnection() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = client("alice", d);
    c.open();
    c.open();
    d.take(Open.class);
    c.open();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(1));
    assertThat(server.handshakeCount()).isEqualTo(1);
    d.assertNoEvent(Duration.ofMillis(200));
  }

  @Test
  void textIsEchoed() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient("alice", d);
    assertThat(c.send("hello")).isTrue();
    assertThat(d.take(Text.class).text()).isEqualTo("hello");
  }

  @Test
  void binaryIsEchoedAndTheCallersBufferIsUntouched() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient("alice", d);
    ByteBuffer bytes = ByteBuffer.wrap(new byte[] {1, 2, 3, 4});
    assertThat(c.send(bytes)).isTrue();
    assertThat(bytes.remaining()).isEqualTo(4);
    ByteBuffer echoed = d.take(Binary.class).bytes();
    byte[] got = new byte[echoed.remaining()];
    echoed.get(got);
    assertThat(got).containsExactly(1, 2, 3, 4);
  }

  @Test
  void thousandMessagesArriveInOrder() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient("alice", d);
    for (int i = 0; i < 1000; i++) {
      assertThat(c.send("m" + i)).isTrue();
    }
    for (int i = 0; i < 1000; i++) {
      assertThat(d.take(Text.class).text()).isEqualTo("m" + i);
    }
    d.assertNoProblems();
  }

  @Test
  void sendsBeforeOpenAreFlushedInOrderOnOpen() throws Exception {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = client("alice", d);
    assertThat(c.send("first")).isTrue();
    CompletableFuture<Ack> join = c.send(Envelope.join("lobby"));
    assertThat(c.send("second")).isTrue();
    assertThat(c.outboxSize()).isEqualTo(3);
    c.open();
    d.take(Open.class);
    assertThat(d.take(Text.class).text()).isEqualTo("first");
    assertThat(d.take(Text.class).text()).isEqualTo("second");
    assertThat(join.get(10, TimeUnit.SECONDS).seq()).isZero();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(c.outboxSize()).isZero());
  }

  @Test
  void twoClientsChatWithAcksAndIncreasingSeq() throws Exception {
    RecordingDelegate a = new RecordingDelegate();
    RecordingDelegate b = new RecordingDelegate();
    TetherClient alice = openClient("alice", a);
    TetherClient bob = openClient("bob", b);
    assertThat(alice.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS).seq()).isZero();
    assertThat(bob.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS).seq()).isZero();

    Envelope hi = Envelope.chat("lobby", "hi bob");
    Ack ack1 = alice.send(hi).get(10, TimeUnit.SECONDS);
    Ack ack2 = bob.send(Envelope.chat("lobby", "hi alice")).get(10, TimeUnit.SECONDS);
    assertThat(ack1).isEqualTo(new Ack(hi.id(), 1));
    assertThat(ack2.seq()).isEqualTo(2);

    for (RecordingDelegate d : List.of(a, b)) {
      Envelope first = d.take(Env.class).envelope();
      Envelope second = d.take(Env.class).envelope();
      assertThat(first.id()).isEqualTo(hi.id());
      assertThat(first.from()).isEqualTo("alice");
      assertThat(first.text()).isEqualTo("hi bob");
      assertThat(first.seq()).isEqualTo(1);
      assertThat(first.ts()).isPositive();
      assertThat(second.from()).isEqualTo("bob");
      assertThat(second.seq()).isEqualTo(2);
    }
  }

  @Test
  void chatToARoomNotJoinedFailsTheFutureWithTheServersError() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient("alice", d);
    CompletableFuture<Ack> f = c.send(Envelope.chat("nowhere", "hi"));
    assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(RejectedException.class)
        .satisfies(e -> assertThat(((RejectedException) e).code()).isEqualTo("not_member"));
    assertThat(c.readyState()).isEqualTo(ReadyState.OPEN);
  }

  @Test
  void pingIsAnsweredWithAPongCarryingTheSameBytes() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient("alice", d);
    c.sendPing(ByteBuffer.wrap("are you there".getBytes(StandardCharsets.UTF_8)));
    ByteBuffer pong = d.take(Pong.class).payload();
    assertThat(StandardCharsets.UTF_8.decode(pong).toString()).isEqualTo("are you there");
  }

  @Test
  void cleanCloseReportsOnClose1000AndEndsClosed() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient("alice", d);
    c.close();
    Close close = d.take(Close.class);
    assertThat(close.code()).isEqualTo(1000);
    assertThat(close.wasClean()).isTrue();
    assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
    c.close();
    d.assertNoEvent(Duration.ofMillis(200));
  }

  @Test
  void closeWithCodeAndReachesTheServer() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient("alice", d);
    c.close(4001, "bye now");
    Close close = d.take(Close.class);
    assertThat(close.wasClean()).isTrue();
    assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isZero());
  }

  @Test
  void sendAfterCloseIsRefused() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient("alice", d);
    c.close();
    assertThat(c.send("late")).isFalse();
    assertThat(c.send(ByteBuffer.allocate(1))).isFalse();
    assertThatThrownBy(() -> c.send(Envelope.chat("r", "late")).get(10, TimeUnit.SECONDS))
        .cause().isInstanceOf(TetherException.class).hasMessageContaining("closed by close()");
    assertThatThrownBy(c::open).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("open() after close()");
  }

  @Test
  void closeFailsEnvelopesThatWereNeverSent() {
    TetherClient c = client("alice", new RecordingDelegate());
    CompletableFuture<Ack> pending = c.send(Envelope.join("lobby"));
    c.close();
    assertThatThrownBy(() -> pending.get(10, TimeUnit.SECONDS))
        .cause().hasMessageContaining("not delivered");
  }

  @Test
  void serverStopEndsTheConnectionUncleanly() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = stub.track(
        TetherClient.builder(server.uri()).delegate(d).reconnect(ReconnectPolicy.none()).build());
    c.open();
    d.take(Open.class);
    server.stop();
    Close close = d.next(Close.class);
    assertThat(close.wasClean()).isFalse();
    assertThat(close.code()).isEqualTo(1006);
    assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
  }

  @Test
  void malformedEnvelopeFromTheServerIsReportedAndTheConnectionStaysOpen() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = openClient("alice", d);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(1));
    server.sendToAll("{\"type\":\"chat\",\"id\":\"x\"}");
    Failure failure = d.take(Failure.class);
    assertThat(failure.error()).isInstanceOf(MalformedEnvelopeException.class)
        .hasMessage("missing field 'room' in chat");
    assertThat(c.readyState()).isEqualTo(ReadyState.OPEN);
    c.send("still here");
    assertThat(d.take(Text.class).text()).isEqualTo("still here");
  }

  @Test
  void aDelegateThatThrowsDoesNotBreakTheClient() {
    RecordingDelegate d = new RecordingDelegate();
    SocketDelegate throwing = new SocketDelegate() {
      @Override
      public void onOpen(TetherSocket socket) {
        d.onOpen(socket);
        throw new IllegalStateException("boom in onOpen");
      }

      @Override
      public void onMessage(TetherSocket socket, String text) {
        d.onMessage(socket, text);
        throw new IllegalStateException("boom in onMessage");
      }
    };
    TetherClient c = client("alice", throwing);
    c.open();
    d.take(Open.class);
    c.send("one");
    c.send("two");
    assertThat(d.take(Text.class).text()).isEqualTo("one");
    assertThat(d.take(Text.class).text()).isEqualTo("two");
    assertThat(c.readyState()).isEqualTo(ReadyState.OPEN);
  }

  @Test
  void callbacksRunOnTheGivenExecutorOneAtATime() {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "app-pool");
      t.setDaemon(true);
      return t;
    });
    try {
      RecordingDelegate d = new RecordingDelegate();
      TetherClient c = stub.track(TetherClient.builder(server.uri()).delegate(d).callbackExecutor(pool).build());
      c.open();
      d.take(Open.class);
      for (int i = 0; i < 200; i++) {
        c.send("m" + i);
      }
      for (int i = 0; i < 200; i++) {
        assertThat(d.take(Text.class).text()).isEqualTo("m" + i);
      }
      assertThat(d.threads).allMatch("app-pool"::equals);
      d.assertNoProblems();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void builderRejectsBadUris() {
    assertThatThrownBy(() -> TetherClient.builder(URI.create("http://127.0.0.1/im")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a ws:// or wss:// URI, was http://127.0.0.1/im");
    assertThatThrownBy(() -> TetherClient.builder(URI.create("ws:///im")))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("URI has no host: ws:///im");
    assertThatThrownBy(() -> TetherClient.builder(URI.create("/im")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TetherClient.builder(null))
        .isInstanceOf(NullPointerException.class).hasMessage("uri == null");
    assertThat(TetherClient.builder(URI.create("WSS://example.com/im")).build().uri().getHost())
        .isEqualTo("example.com");
  }

  @Test
  void builderRejectsBadArguments() {
    TetherClient.Builder b = TetherClient.builder(server.uri());
    assertThatThrownBy(() -> b.delegate(null)).hasMessage("delegate == null");
    assertThatThrownBy(() -> b.header("bad name", "v")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("header name is not an HTTP token: 'bad name'");
    assertThatThrownBy(() -> b.header("X-Ok", "a\r\nb")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("header value of X-Ok contains CR or LF");
    assertThatThrownBy(() -> b.connectTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("connectTimeout must be > 0: PT0S");
    assertThatThrownBy(() -> b.subprotocols("ok", null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.heartbeat(Duration.ofSeconds(-1), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("interval must be >= 0: PT-1S");
    assertThatThrownBy(() -> b.outbox(0, 10)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxMessages must be >= 1: 0");
  }

  @Test
  void badInputIsRejectedWithTheOffendingValue() {
    TetherClient c = client("alice", new RecordingDelegate());
    assertThatThrownBy(() -> c.sendPing(ByteBuffer.allocate(126)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("payload > 125 bytes: 126");
    for (int code : new int[] {999, 1004, 1005, 1006, 1015, 2000, 2999, 5000}) {
      assertThatThrownBy(() -> c.close(code, ""))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("close code must be 1000-1003, 1007-1014 or 3000-4999: " + code);
    }
    assertThatThrownBy(() -> c.close(1000, "é".repeat(62)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("reason > 123 UTF-8 bytes: 124");
    assertThatThrownBy(() -> c.send((String) null)).isInstanceOf(NullPointerException.class)
        .hasMessage("text == null");
    assertThatThrownBy(() -> c.send((ByteBuffer) null)).hasMessage("bytes == null");
    assertThatThrownBy(() -> c.send((Envelope) null)).hasMessage("envelope == null");
    assertThatThrownBy(() -> c.sendPing(null)).hasMessage("payload == null");
    assertThatThrownBy(() -> c.close(1000, null)).hasMessage("reason == null");
    assertThat(c.readyState()).isEqualTo(ReadyState.CLOSED);
  }
}

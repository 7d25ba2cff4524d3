package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.ReadyState;
import dev.tether.api.RejectedException;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherException;
import dev.tether.api.TetherSocket;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.StubServer;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** awaitOpen, sendAndWait and user(), against a real stub server. */
class ConveniencesTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();

  private TetherClient client(URI uri, SocketDelegate delegate) {
    return stub.client(TetherClient.builder(uri).delegate(delegate));
  }

  private URI as(String user) {
    return URI.create(stub.server().uri() + "?user=" + user);
  }

  @Test
  void awaitOpenReturnsOnceAConnectionIsOpen() throws Exception {
    TetherClient alice = client(as("alice"), new SocketDelegate() {});
    alice.open();
    alice.awaitOpen(WAIT);
    assertThat(alice.readyState()).isEqualTo(ReadyState.OPEN);
    alice.awaitOpen(Duration.ofMillis(1)); // already open: at once
  }

  @Test
  void awaitOpenBeforeOpenIsMisuse() {
    TetherClient alice = client(as("alice"), new SocketDelegate() {});
    assertThatThrownBy(() -> alice.awaitOpen(WAIT))
        .isInstanceOf(IllegalStateException.class).hasMessage("not open: open() was not called");
    assertThatThrownBy(() -> alice.awaitOpen(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void awaitOpenThrowsTheFailureThatStoppedTheClient() {
    StubServer server = stub.start(StubServer.builder().requireBearerToken(token -> token.equals("good") ? "alice" : null));
    TetherClient alice = stub.client(TetherClient.builder(server.uri()).header("Authorization", "Bearer bad"));
    alice.open();
    assertThatThrownBy(() -> alice.awaitOpen(WAIT))
        .isInstanceOf(TetherException.class)
        .hasMessageStartingWith("not open: cannot connect to " + server.uri())
        .hasMessageContaining("401")
        .hasCauseInstanceOf(TetherException.class);
  }

  @Test
  void awaitOpenTimesOutNamingTheStateAndTheLastFailure() {
    StubServer server = stub.server();
    server.rejectNewConnections(true); // 503: retried
    RecordingDelegate d = new RecordingDelegate();
    TetherClient alice = client(as("alice"), d);
    alice.open();
    d.take(RecordingDelegate.Failure.class); // the first attempt failed: there is a last failure to name
    assertThatThrownBy(() -> alice.awaitOpen(Duration.ofMillis(300)))
        .isInstanceOf(TetherException.class)
        .hasMessageStartingWith("not open within 300 ms: " + server.uri() + "?user=*** is CONNECTING; last failure: ")
        .hasMessageContaining("503");
  }

  @Test
  void awaitOpenEndsWhenTheClientIsClosed() throws Exception {
    stub.server().rejectNewConnections(true);
    TetherClient alice = client(as("alice"), new SocketDelegate() {});
    alice.open();
    BlockingQueue<Throwable> thrown = new ArrayBlockingQueue<>(1);
    Thread waiter = new Thread(() -> {
      try {
        alice.awaitOpen(Duration.ofSeconds(60));
        thrown.add(new AssertionError("returned"));
      } catch (Throwable t) {
        thrown.add(t);
      }
    });
    waiter.start();
    alice.close();
    assertThat(thrown.poll(10, TimeUnit.SECONDS)).isInstanceOf(TetherException.class)
        .hasMessageContaining("closed by close()");
  }

  @Test
  void sendAndWaitReturnsTheAck() throws Exception {
    TetherClient alice = client(as("alice"), new SocketDelegate() {});
    alice.open(); // no waiting: sendAndWait's time covers connecting
    alice.sendAndWait(Envelope.join("lobby"), WAIT);
    Ack ack = alice.sendAndWait(Envelope.chat("lobby", "hi"), WAIT);
    assertThat(ack.seq()).isEqualTo(1);
  }

  @Test
  void sendAndWaitThrowsARefusalAsItIs() throws Exception {
    TetherClient alice = client(as("alice"), new SocketDelegate() {});
    alice.open();
    assertThatThrownBy(() -> alice.sendAndWait(Envelope.chat("kitchen", "not a member"), WAIT))
        .isInstanceOf(RejectedException.class)
        .satisfies(e -> assertThat(((RejectedException) e).code()).isEqualTo("not_member"));
  }

  @Test
  void sendAndWaitThatTimesOutLeavesTheOutbox() throws Exception {
    FaultProxy proxy = stub.proxy();
    TetherClient alice = client(URI.create(proxy.uri() + "?user=alice"), new SocketDelegate() {});
    alice.open();
    alice.sendAndWait(Envelope.join("lobby"), WAIT);
    proxy.blackhole();
    assertThatThrownBy(() -> alice.sendAndWait(Envelope.chat("lobby", "into the void"), Duration.ofMillis(300)))
        .isInstanceOf(TetherException.class)
        .isNotInstanceOf(RejectedException.class);
    assertThat(alice.outboxSize()).as("expired: not written again").isZero();
  }

  @Test
  void sendAndWaitFromACallbackOfTheSameClientIsRefused() throws Exception {
    BlockingQueue<Throwable> thrown = new ArrayBlockingQueue<>(1);
    TetherClient alice = client(as("alice"), new SocketDelegate() {
      @Override
      public void onOpen(TetherSocket socket) {
        try {
          ((TetherClient) socket).sendAndWait(Envelope.join("lobby"), WAIT);
          thrown.add(new AssertionError("returned"));
        } catch (Throwable t) {
          thrown.add(t);
        }
      }
    });
    alice.open();
    assertThat(thrown.poll(10, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("from a delegate callback of this client");
  }

  /**
   * A future's dependent stage runs where the future completes: on the thread that read the ack,
   * which would wait for itself (it reads the ack sendAndWait waits for).
   */
  @Test
  void sendAndWaitFromAFutureCompletionOfTheSameClientIsRefused() throws Exception {
    BlockingQueue<Throwable> thrown = new ArrayBlockingQueue<>(1);
    TetherClient alice = client(as("alice"), new SocketDelegate() {});
    // Sent before open, so the stage is attached before the ack can come and runs on completion.
    alice.send(Envelope.join("lobby")).thenAccept(ack -> {
      try {
        alice.sendAndWait(Envelope.chat("lobby", "from a stage"), Duration.ofSeconds(2));
        thrown.add(new AssertionError("returned"));
      } catch (Throwable t) {
        thrown.add(t);
      }
    });
    alice.open();
    assertThat(thrown.poll(10, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("from a delegate callback of this client");
  }

  @Test
  void userIsTheNameTheServerGaveKnownBeforeOnOpen() throws Exception {
    BlockingQueue<String> seen = new ArrayBlockingQueue<>(4);
    TetherClient alice = client(as("alice"), new SocketDelegate() {
      @Override
      public void onOpen(TetherSocket socket) {
        seen.add("open as " + socket.user());
      }

      @Override
      public void onEnvelope(TetherSocket socket, Envelope e) {
        seen.add(e.from().equals(socket.user()) ? "my own: " + e.text() : "someone else's");
      }
    });
    assertThat(alice.user()).as("before any connection").isNull();
    alice.open();
    alice.sendAndWait(Envelope.join("lobby"), WAIT);
    alice.sendAndWait(Envelope.chat("lobby", "hi"), WAIT);
    assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("open as alice");
    assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("my own: hi");
  }

  @Test
  void aTokenUserLearnsItsNameFromTheServer() throws Exception {
    StubServer server = stub.start(StubServer.builder().requireBearerToken(token -> Map.of("t-1", "Zoë Smith").get(token)));
    TetherClient zoe = stub.client(TetherClient.builder(server.uri()).header("Authorization", "Bearer t-1"));
    zoe.open();
    zoe.awaitOpen(WAIT);
    assertThat(zoe.user()).isEqualTo("Zoë Smith");
  }

  @Test
  void anAnonymousConnectionLearnsItsGeneratedName() throws Exception {
    BlockingQueue<Envelope> chats = new ArrayBlockingQueue<>(1);
    TetherClient anon = client(stub.server().uri(), new SocketDelegate() {
      @Override
      public void onEnvelope(TetherSocket socket, Envelope e) {
        chats.add(e);
      }
    });
    anon.open();
    anon.sendAndWait(Envelope.join("lobby"), WAIT);
    anon.sendAndWait(Envelope.chat("lobby", "who am I"), WAIT);
    assertThat(anon.user()).startsWith("anon-");
    assertThat(chats.poll(10, TimeUnit.SECONDS).from()).isEqualTo(anon.user());
  }

  @Test
  void aServerThatDoesNotSayLeavesTheUserUnknown() throws Exception {
    LegacyServer legacy = stub.closeAfter(LegacyServer.start());
    TetherClient alice = stub.client(TetherClient.builder(URI.create(legacy.uri() + "?user=alice")));
    alice.open();
    alice.awaitOpen(WAIT);
    assertThat(alice.user()).isNull();
  }
}

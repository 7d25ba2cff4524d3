package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ErrorReply;
import dev.tether.api.Wire;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a client sees when the room store fails: a chat the store refuses at once is answered
 * {@code unavailable} on a connection that stays open, and the sender's counter waits for it; a
 * failure the store reports later closes the connection with 1011, and nothing that arrives after
 * it is acted on (PROTOCOL.md, "Store failures").
 */
class StoreFailureTest {
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();

  private TetherServer server;
  private final List<WsClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() {
    clients.forEach(WsClient::close);
    if (server != null) {
      server.close();
    }
  }

  /** Starts a server on {@code store} and connects {@code user} to it. */
  private WsClient connect(RoomStore store, String user) throws Exception {
    server = TetherServer.builder().store(store).build();
    URI uri = server.listen("127.0.0.1", 0).uri();
    WsClient c = WsClient.connect(TyrusClients.container(), URI.create(uri + "?user=" + user), Map.of());
    clients.add(c);
    return c;
  }

  private static void send(WsClient c, Envelope e, long n) throws Exception {
    c.send(CODEC.withCounter(CODEC.encode(e), n));
  }

  @Test
  void aChatTheStoreRefusesAtOnceIsAnsweredUnavailableAndTakenInOrderWhenSentAgain() throws Exception {
    Flaky store = new Flaky(RoomStore.inMemory());
    WsClient alice = connect(store, "alice");
    send(alice, Envelope.join("lobby"), 1);
    assertThat(alice.nextWire()).isInstanceOf(Ack.class);

    store.refuseAtOnce = true;
    Envelope c1 = Envelope.chat("lobby", "c1");
    Envelope c2 = Envelope.chat("lobby", "c2");
    send(alice, c1, 2);
    send(alice, c2, 3);
    Wire refused = alice.nextWire();
    assertThat(refused).isInstanceOfSatisfying(ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorReply.UNAVAILABLE);
      assertThat(e).extracting(ErrorReply::id, ErrorReply::n, ErrorReply::retryAfterMillis)
          .containsExactly(c1.id(), 2L, 1_000L);
      assertThat(e.message()).contains("disk full").endsWith("send it again later");
    });
    // c1 was not taken: c2 must wait for it.
    assertThat(alice.nextWire()).isEqualTo(ErrorReply.outOfOrder(c2.id(), 3, 2));

    store.refuseAtOnce = false;
    send(alice, c1, 2);
    send(alice, c2, 3);
    List<Wire> answers = new ArrayList<>();
    List<String> copies = new ArrayList<>();
    while (answers.size() < 2 || copies.size() < 2) {
      Wire w = alice.nextWire();
      if (w instanceof Envelope e) {
        copies.add(e.text());
      } else {
        answers.add(w);
      }
    }
    assertThat(answers).containsExactly(new Ack(c1.id(), 1), new Ack(c2.id(), 2));
    assertThat(copies).containsExactly("c1", "c2");
    assertThat(server.stats().chatsAccepted()).isEqualTo(2);
  }

  @Test
  void aDedupLookupTheStoreRefusesAtOnceIsAnsweredUnavailableToo() throws Exception {
    Flaky store = new Flaky(RoomStore.inMemory());
    WsClient alice = connect(store, "alice");
    store.refuseAtOnce = true;
    Envelope chat = Envelope.chat("lobby", "not joined");
    send(alice, chat, 1);
    assertThat(alice.nextWire()).isInstanceOfSatisfying(ErrorReply.class,
        e -> assertThat(e).extracting(ErrorReply::code, ErrorReply::id, ErrorReply::n)
            .containsExactly(ErrorReply.UNAVAILABLE, chat.id(), 1L));
    store.refuseAtOnce = false;
    send(alice, chat, 1);
    assertThat(alice.nextWire()).isInstanceOfSatisfying(ErrorReply.class,
        e -> assertThat(e.code()).isEqualTo(ErrorReply.NOT_MEMBER));
  }

  @Test
  void aStoreFailureReportedLaterClosesTheSenderWith1011AndWhatFollowsIsNotActedOn() throws Exception {
    Flaky store = new Flaky(RoomStore.inMemory());
    server = TetherServer.builder().store(store).build();
    URI uri = server.listen("127.0.0.1", 0).uri();
    try (RawWebSocket alice = RawWebSocket.connect(URI.create(uri + "?user=alice"))) {
      alice.sendText(CODEC.encode(Envelope.join("lobby")));
      assertThat(CODEC.decode(alice.read().text())).isInstanceOf(Ack.class);

      // The store reports c1's failure once c1's append has long returned, while it takes c2: frames
      // after c1 may already be in a store by then, so the server cannot refuse c1 alone. The three
      // go in one write, so c3 is at the server before its close can reach us.
      store.failLater = true;
      alice.sendTexts(CODEC.encode(Envelope.chat("lobby", "c1")), CODEC.encode(Envelope.chat("lobby", "c2")),
          CODEC.encode(Envelope.chat("lobby", "c3")));
      RawWebSocket.Frame frame = alice.read();
      assertThat(frame.opcode()).as("the first frame after the chats: %s", frame.text()).isEqualTo(8);
      assertThat(frame.closeCode()).isEqualTo(1011);
      assertThat(frame.closeReason()).isEqualTo("room store unavailable");
    }
    assertThat(server.stats().chatsAccepted()).isZero();
    // c3 came after the server decided to close: it never reached the store.
    assertThat(store.appends).hasValue(2);
  }

  /**
   * A real store whose appends fail on demand, as a full disk would make them: either at once,
   * before {@code append} returns, or later (reported while the next append is taken).
   */
  private static final class Flaky implements RoomStore {
    private final RoomStore delegate;
    volatile boolean refuseAtOnce;
    volatile boolean failLater;
    final AtomicInteger appends = new AtomicInteger();
    /** The append whose failure is still to be reported; guarded by this. */
    private AppendCallback pending;

    Flaky(RoomStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public CompletionStage<RoomState> open(String room) {
      return delegate.open(room);
    }

    @Override
    public CompletionStage<Optional<RoomState>> state(String room) {
      return delegate.state(room);
    }

    @Override
    public void append(Draft draft, AppendCallback callback) {
      appends.incrementAndGet();
      if (refuseAtOnce) {
        callback.failed(new IOException("disk full"));
        return;
      }
      if (failLater) {
        AppendCallback earlier;
        synchronized (this) {
          earlier = pending;
          pending = callback;
        }
        if (earlier != null) {
          earlier.failed(new IOException("disk full"));
        }
        return;
      }
      delegate.append(draft, callback);
    }

    @Override
    public CompletionStage<Optional<Appended>> accepted(String user, String id) {
      if (refuseAtOnce) {
        return java.util.concurrent.CompletableFuture.failedFuture(new IOException("disk full"));
      }
      return delegate.accepted(user, id);
    }

    @Override
    public CompletionStage<History> history(String room, long after, int limit) {
      return delegate.history(room, after, limit);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}

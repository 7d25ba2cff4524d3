package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.DeliveryState;
import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.server.RoomStore;
import dev.tether.server.TetherServer;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.Received;
import dev.tether.stub.StubServer;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sender order on the wire (PROTOCOL.md, "Sender order"): the client numbers what it writes on each
 * connection, writes again in order what the server refused without taking it, and waits out
 * {@code rate_limited} and {@code unavailable} instead of failing the envelope. Guards issue 10:
 * {@code rate_limited} used to fail the future, leaving the app to resend and the order to chance.
 */
class SenderOrderOnTheWireTest {
  private static final ReconnectPolicy FAST =
      ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(200)).withJitter(0.5);
  private static final String ROOM = "lobby";

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();

  /** Delivery states per envelope id, in order. */
  private static final class States implements SocketDelegate {
    final Map<String, List<DeliveryState>> byId = new ConcurrentHashMap<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();

    @Override
    public void onDeliveryState(TetherSocket socket, Envelope envelope, DeliveryState state) {
      byId.computeIfAbsent(envelope.id(), id -> new CopyOnWriteArrayList<>()).add(state);
    }

    @Override
    public void onFailure(TetherSocket socket, Throwable error) {
      failures.add(error);
    }
  }

  private TetherClient client(URI uri, String user, SocketDelegate delegate) throws Exception {
    TetherClient c = stub.track(TetherClient.builder(URI.create(uri + "?user=" + user)).delegate(delegate)
        .reconnect(FAST).build());
    c.open();
    c.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    return c;
  }

  private static List<CompletableFuture<Ack>> say(TetherClient c, String prefix, int count) {
    List<CompletableFuture<Ack>> acks = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      acks.add(c.send(Envelope.chat(ROOM, prefix + i)));
    }
    return acks;
  }

  private static List<Long> seqs(List<CompletableFuture<Ack>> acks) throws Exception {
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    List<Long> out = new ArrayList<>();
    for (CompletableFuture<Ack> f : acks) {
      out.add(f.get().seq());
    }
    return out;
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }

  @Test
  void everyEnvelopeCarriesItsConnectionsCounterFromOne() throws Exception {
    StubServer server = stub.server();
    TetherClient alice = client(server.uri(), "alice", new RoomLog());
    seqs(say(alice, "m", 3));
    List<Long> ns = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ns.add(server.takeReceived(Duration.ofSeconds(5)).n());
    }
    assertThat(ns).containsExactly(1L, 2L, 3L, 4L);
    await().atMost(Duration.ofSeconds(30)).until(() -> server.connectionCount() == 1);
    server.dropAllConnections();
    await().atMost(Duration.ofSeconds(30)).until(() -> alice.stats().reconnects() == 1);
    Received resume = server.takeReceived(Duration.ofSeconds(10));
    assertThat(resume.envelope().type()).isEqualTo(Envelope.Type.RESUME);
    assertThat(resume.n()).as("a new connection counts from 1 again").isEqualTo(1);
  }

  @Test
  void aMessageLostOnALiveLinkIsWrittenAgainBeforeWhatFollowedIt() throws Exception {
    StubServer server = stub.server();
    FaultProxy proxy = stub.proxy();
    RoomLog bob = new RoomLog();
    client(server.uri(), "bob", bob);
    TetherClient alice = client(proxy.uri(), "alice", new RoomLog());
    proxy.dropNextFrames(1);
    assertThat(seqs(say(alice, "m", 5))).isEqualTo(range(1, 5));
    assertThat(bob.awaitLines(5).lines).isEqualTo(RoomLog.chats(1, 5, "alice", "m"));
    assertThat(proxy.droppedFrames()).isEqualTo(1);
    assertThat(alice.stats().reconnects()).as("no reconnect: out_of_order, then written again").isZero();
    assertThat(alice.stats().resends()).as("the lost one and those written after it, again").isPositive();
  }

  @Test
  void aLostMessageThatNothingFollowsIsFoundByTheAckTimeout() throws Exception {
    StubServer server = stub.server();
    FaultProxy proxy = stub.proxy();
    TetherClient alice = stub.track(TetherClient.builder(URI.create(proxy.uri() + "?user=alice"))
        // Long enough for every ack of a loaded machine: only the lost chat may time out (one reconnect).
        .ackTimeout(Duration.ofSeconds(5)).reconnect(FAST).build());
    alice.open();
    alice.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    proxy.dropNextFrames(1);
    assertThat(alice.send(Envelope.chat(ROOM, "lost once")).get(30, TimeUnit.SECONDS).seq()).isEqualTo(1);
    assertThat(alice.stats().reconnects()).isEqualTo(1);
  }

  /** The rate limit refuses without taking: the envelope waits retry_after and goes again, in order. */
  @Test
  void aRateLimitedEnvelopeWaitsAndIsWrittenAgainAndItsFutureDoesNotFail() throws Exception {
    StubServer server = stub.start(StubServer.builder().rateLimit(20));
    RoomLog bob = new RoomLog();
    client(server.uri(), "bob", bob);
    States states = new States();
    TetherClient alice = client(server.uri(), "alice", states);
    List<CompletableFuture<Ack>> acks = say(alice, "m", 60);
    assertThat(seqs(acks)).isEqualTo(range(1, 60));
    assertThat(bob.awaitLines(60).lines).isEqualTo(RoomLog.chats(1, 60, "alice", "m"));
    assertThat(states.failures).isEmpty();
    // Each chat went [QUEUED] SENT, then (QUEUED, SENT) for each wait, then ACKED; some waited.
    for (CompletableFuture<Ack> f : acks) {
      List<DeliveryState> s = states.byId.get(f.get().id());
      assertThat(s).as(s.toString()).endsWith(DeliveryState.SENT, DeliveryState.ACKED);
      for (int i = 1; i < s.size() - 1; i++) {
        assertThat(s.get(i)).as(s.toString()).isNotEqualTo(s.get(i - 1)).isIn(DeliveryState.SENT, DeliveryState.QUEUED);
      }
    }
    assertThat(states.byId.values()).anyMatch(s -> s.contains(DeliveryState.QUEUED));
  }

  /** A store that says at once that it cannot take a chat: the server answers unavailable. */
  private static final class RefusingStore implements RoomStore {
    final RoomStore inner = RoomStore.inMemory();
    final AtomicInteger refusals;

    RefusingStore(int refusals) {
      this.refusals = new AtomicInteger(refusals);
    }

    @Override
    public CompletionStage<RoomState> open(String room) {
      return inner.open(room);
    }

    @Override
    public CompletionStage<Optional<RoomState>> state(String room) {
      return inner.state(room);
    }

    @Override
    public void append(Draft draft, AppendCallback callback) {
      if (refusals.getAndDecrement() > 0) {
        callback.failed(new IllegalStateException("disk full (a test store)"));
        return;
      }
      inner.append(draft, callback);
    }

    @Override
    public CompletionStage<Optional<Appended>> accepted(String user, String id) {
      return inner.accepted(user, id);
    }

    @Override
    public CompletionStage<History> history(String room, long after, int limit) {
      return inner.history(room, after, limit);
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  @Test
  void aChatTheStoreCannotTakeNowIsWrittenAgainAfterRetryAfterInOrder() throws Exception {
    TetherServer server = stub.closeAfter(TetherServer.builder().store(new RefusingStore(1)).build());
    TetherServer.Running running = stub.closeAfter(server.listen("127.0.0.1", 0));
    RoomLog bob = new RoomLog();
    client(running.uri(), "bob", bob);
    States states = new States();
    TetherClient alice = client(running.uri(), "alice", states);
    List<CompletableFuture<Ack>> acks = say(alice, "m", 4);
    assertThat(seqs(acks)).isEqualTo(range(1, 4));
    assertThat(bob.awaitLines(4).lines).isEqualTo(RoomLog.chats(1, 4, "alice", "m"));
    assertThat(states.byId.get(acks.get(0).get().id()))
        .containsExactly(DeliveryState.SENT, DeliveryState.QUEUED, DeliveryState.SENT, DeliveryState.ACKED);
    assertThat(states.failures).isEmpty();
  }
}

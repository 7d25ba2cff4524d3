package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.Wire;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How the server uses a store's {@link RoomStore.Feed}: it fans out only what the feed reports,
 * follows a room while it has members (every follow matched by one unfollow), and reads a room
 * only once it is followed, without losing a member's own chat sent right after its join. The
 * store here is the in-memory one with a feed that reports its appends and confirms follows late,
 * on another thread, as a shared store would.
 */
class FeedTest {
  private final FedStore store = new FedStore();
  private TetherServer server;
  private final List<WsClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() {
    clients.forEach(WsClient::close);
    if (server != null) {
      server.close();
    }
  }

  private URI start() {
    server = TetherServer.builder().store(store).rateLimit(0).build();
    return server.listen("127.0.0.1", 0).uri();
  }

  private WsClient connect(URI uri, String user) throws Exception {
    WsClient c = WsClient.connect(TyrusClients.container(), URI.create(uri + "?user=" + user), Map.of());
    clients.add(c);
    return c;
  }

  @Test
  void aChatSentRightAfterAJoinReachesItsSenderWhileTheRoomIsStillBeingFollowed() throws Exception {
    WsClient alice = connect(start(), "alice");
    Envelope join = Envelope.join("lobby");
    Envelope chat = Envelope.chat("lobby", "first!");
    alice.send(join);
    alice.send(chat); // the room is not followed yet: this chat must wait for the join's read
    // (The store confirms the follow 300 ms later, or at once when a chat is appended: a server that
    // did not wait would have stored the chat before the join read the room, and alice would not
    // get her own chat.)
    List<Wire> got = List.of(alice.nextWire(), alice.nextWire(), alice.nextWire());
    assertThat(got).contains(new Ack(join.id(), 0, store.epoch("lobby")), new Ack(chat.id(), 1));
    assertThat(got.get(0)).isEqualTo(new Ack(join.id(), 0, store.epoch("lobby")));
    assertThat(got).filteredOn(w -> w instanceof Envelope).singleElement()
        .satisfies(w -> assertThat(((Envelope) w).seq()).isEqualTo(1));
  }

  @Test
  void chatsReachMembersOnlyThroughTheFeed() throws Exception {
    URI uri = start();
    WsClient alice = connect(uri, "alice");
    WsClient bob = connect(uri, "bob");
    alice.send(Envelope.join("lobby"));
    bob.send(Envelope.join("lobby"));
    alice.nextWire();
    bob.nextWire();
    store.reporting = false; // the feed goes quiet: nothing may be fanned out from the acks
    alice.send(Envelope.chat("lobby", "unseen"));
    assertThat(alice.nextWire()).isInstanceOf(Ack.class);
    bob.assertNothingWithin(Duration.ofMillis(300));
    store.reporting = true;
    alice.send(Envelope.chat("lobby", "seen"));
    // Seq 1 never reached the server's members: seq 2 is a hole in bob's stream, and the server
    // closes him (1011) so that he resumes, rather than skip seq 1 silently.
    assertThat(bob.nextClose().code()).isEqualTo(1011);
  }

  @Test
  void everyFollowOfARoomIsMatchedByOneUnfollowWhateverTheChurn() throws Exception {
    URI uri = start();
    List<WsClient> churners = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      churners.add(connect(uri, "user" + i));
    }
    for (int cycle = 0; cycle < 50; cycle++) {
      for (WsClient c : churners) {
        for (int r = 0; r < 3; r++) {
          c.send(Envelope.join("room" + r));
          c.send(Envelope.leave("room" + r));
        }
      }
    }
    for (WsClient c : churners) {
      for (int i = 0; i < 50 * 3 * 2; i++) {
        assertThat(c.nextWire()).isInstanceOf(Ack.class);
      }
    }
    churners.get(0).send(Envelope.join("room0")); // one member stays
    churners.get(0).nextWire();
    churners.forEach(WsClient::close);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().rooms() == 0);
    await().atMost(Duration.ofSeconds(10)).until(() -> store.following().values().stream().allMatch(n -> n == 0));
    System.out.println("feed churn: " + store.followCalls.get() + " follows, all matched; never below zero: "
        + (store.negative.get() == 0));
    assertThat(store.negative.get()).isZero();
    assertThat(store.followCalls.get()).isPositive();
  }

  /** The in-memory store with a feed: reports appends inline, confirms follows a little later. */
  private static final class FedStore implements RoomStore {
    private final RoomStore inner = RoomStore.inMemory();
    private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fed-store-follow");
      t.setDaemon(true);
      return t;
    });
    private final Map<String, AtomicInteger> follows = new ConcurrentHashMap<>();
    final AtomicInteger followCalls = new AtomicInteger();
    final AtomicInteger negative = new AtomicInteger();
    private final java.util.Queue<CompletableFuture<Void>> pending = new java.util.concurrent.ConcurrentLinkedQueue<>();
    volatile boolean reporting = true;
    private volatile FeedListener listener;

    Map<String, Integer> following() {
      Map<String, Integer> m = new java.util.HashMap<>();
      follows.forEach((room, n) -> m.put(room, n.get()));
      return m;
    }

    String epoch(String room) throws Exception {
      return inner.state(room).toCompletableFuture().get().orElseThrow().epoch();
    }

    @Override
    public Feed feed(FeedListener l) {
      this.listener = l;
      return new Feed() {
        @Override
        public CompletionStage<Void> follow(String room) {
          followCalls.incrementAndGet();
          follows.computeIfAbsent(room, r -> new AtomicInteger()).incrementAndGet();
          CompletableFuture<Void> ready = new CompletableFuture<>();
          pending.add(ready);
          later.schedule(() -> ready.complete(null), 300, TimeUnit.MILLISECONDS);
          return ready;
        }

        @Override
        public void unfollow(String room) {
          if (follows.get(room).decrementAndGet() < 0) {
            negative.incrementAndGet();
          }
        }

        @Override
        public void close() {
          later.shutdownNow();
        }
      };
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
      inner.append(draft, new AppendCallback() {
        @Override
        public void appended(Appended result) {
          callback.appended(result);
          if (!result.duplicate() && reporting) {
            listener.chat(draft.room(), result.seq(), result.epoch(), result.frame());
          }
        }

        @Override
        public void failed(Throwable error) {
          callback.failed(error);
        }
      });
      for (CompletableFuture<Void> f; (f = pending.poll()) != null; ) {
        f.complete(null);
      }
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
}

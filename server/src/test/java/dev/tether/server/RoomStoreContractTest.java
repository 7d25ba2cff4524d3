package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.server.RoomStore.Appended;
import dev.tether.server.RoomStore.Draft;
import dev.tether.server.RoomStore.History;
import dev.tether.server.RoomStore.RoomState;
import dev.tether.server.RoomStore.StoredChat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link RoomStore} promises (see its class comment), checked against a real store:
 * subclasses say which. Durability across processes is the SQLite store's own test.
 */
abstract class RoomStoreContractTest {
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** Millis for the store's dedup ageing; tests move it. */
  final AtomicLong clock = new AtomicLong(1_000_000_000_000L);
  RoomStore store;

  /** A new store with these dedup bounds, on {@link #clock}. */
  abstract RoomStore newStore(int dedupCapacity, Duration dedupMaxAge);

  @BeforeEach
  void open() {
    store = newStore(1_000, Duration.ofHours(1));
  }

  @AfterEach
  void close() {
    store.close();
  }

  static <T> T get(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  static Draft draft(String room, String user, String id, int historyLimit) {
    return new Draft(room, user, id, 1234, historyLimit, (seq, epoch) -> room + "#" + seq + "@" + epoch + ":" + id);
  }

  /** A draft whose frame is {@code frameBytes} ASCII bytes, in a room keeping {@code historyBytes}. */
  static Draft sized(String room, String id, int frameBytes, long historyBytes) {
    return new Draft(room, "alice", id, 1234, 10_000, historyBytes, frameBytes,
        (seq, epoch) -> (seq + ":").concat("x".repeat(frameBytes)).substring(0, frameBytes));
  }

  /** A draft whose renderer holds the store's caller (or writer) until {@code release}. */
  static Draft held(String room, String id, CountDownLatch rendering, CountDownLatch release) {
    return new Draft(room, "alice", id, 1234, 10_000, (seq, epoch) -> {
      rendering.countDown();
      try {
        release.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "held";
    });
  }

  /** Runs {@code r} on a new thread, started. */
  static Thread background(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Appends and waits for the callback. */
  Appended append(String room, String user, String id, int historyLimit) throws Exception {
    Recorder r = new Recorder();
    store.append(draft(room, user, id, historyLimit), r);
    return r.next();
  }

  /** Queues every callback. */
  static final class Recorder implements RoomStore.AppendCallback {
    final BlockingQueue<Object> results = new LinkedBlockingQueue<>();

    @Override
    public void appended(Appended result) {
      results.add(result);
    }

    @Override
    public void failed(Throwable error) {
      results.add(error);
    }

    Appended next() throws Exception {
      Object o = results.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (o == null) {
        throw new TimeoutException("no callback within " + TIMEOUT);
      }
      if (o instanceof Throwable t) {
        throw new ExecutionException(t);
      }
      return (Appended) o;
    }
  }

  @Test
  void openCreatesARoomAtSeqZeroWithAnEpochThatStays() throws Exception {
    RoomState first = get(store.open("lobby"));
    assertThat(first.lastSeq()).isZero();
    assertThat(first.epoch()).hasSizeGreaterThanOrEqualTo(11); // 64 bits or more, base64
    assertThat(get(store.open("lobby"))).isEqualTo(first);
    assertThat(get(store.open("kitchen")).epoch()).isNotEqualTo(first.epoch());
  }

  @Test
  void stateDoesNotCreateARoom() throws Exception {
    assertThat(get(store.state("nowhere"))).isEmpty();
    assertThat(get(store.history("nowhere", 0, 10))).isEqualTo(new History(null, 0, 0, List.of()));
    RoomState opened = get(store.open("somewhere"));
    assertThat(get(store.state("somewhere"))).contains(opened);
  }

  @Test
  void appendsGetGapFreeSeqsInTheRoomsEpochAndTheRenderedFrame() throws Exception {
    String epoch = get(store.open("lobby")).epoch();
    for (int i = 1; i <= 5; i++) {
      Appended a = append("lobby", "alice", "m" + i, 100);
      assertThat(a.duplicate()).isFalse();
      assertThat(a.seq()).isEqualTo(i);
      assertThat(a.epoch()).isEqualTo(epoch);
      assertThat(a.ts()).isEqualTo(1234);
      assertThat(a.frame()).isEqualTo("lobby#" + i + "@" + epoch + ":m" + i);
    }
    assertThat(get(store.state("lobby"))).contains(new RoomState(epoch, 5));
  }

  @Test
  void appendCreatesTheRoomItNames() throws Exception {
    Appended a = append("new-room", "alice", "m1", 100);
    assertThat(a.seq()).isEqualTo(1);
    assertThat(get(store.state("new-room"))).contains(new RoomState(a.epoch(), 1));
  }

  @Test
  void aDuplicateIsAnsweredWithWhatTheOriginalGotAndChangesNothing() throws Exception {
    Appended original = append("lobby", "alice", "m1", 100);
    append("lobby", "bob", "m1", 100); // same id, another user: a different chat
    Appended again = append("lobby", "alice", "m1", 100);
    assertThat(again).isEqualTo(new Appended(original.epoch(), 1, 1234, true, null));
    // Keyed by user and id, not room: the same id in another room is the same chat.
    assertThat(append("kitchen", "alice", "m1", 100)).isEqualTo(again);
    assertThat(get(store.state("lobby")).orElseThrow().lastSeq()).isEqualTo(2);
    assertThat(get(store.state("kitchen"))).isEmpty();
    assertThat(get(store.history("lobby", 0, 10)).chats()).hasSize(2);
  }

  @Test
  void acceptedFindsAnAcceptedChatWhateverTheRoom() throws Exception {
    Appended original = append("lobby", "alice", "m1", 100);
    assertThat(get(store.accepted("alice", "m1")))
        .contains(new Appended(original.epoch(), 1, 1234, true, null));
    assertThat(get(store.accepted("alice", "m2"))).isEmpty();
    assertThat(get(store.accepted("bob", "m1"))).isEmpty();
  }

  @Test
  void historyKeepsTheNewestChatsUpToTheLimitAndPagesFromAfter() throws Exception {
    for (int i = 1; i <= 30; i++) {
      append("lobby", "alice", "m" + i, 10);
    }
    History all = get(store.history("lobby", 0, 100));
    assertThat(all.firstSeq()).isEqualTo(21);
    assertThat(all.lastSeq()).isEqualTo(30);
    assertThat(all.chats()).extracting(StoredChat::seq).containsExactly(21L, 22L, 23L, 24L, 25L, 26L, 27L, 28L, 29L, 30L);
    assertThat(all.chats().get(0).frame()).endsWith(":m21");

    History page = get(store.history("lobby", 24, 3));
    assertThat(page.chats()).extracting(StoredChat::seq).containsExactly(25L, 26L, 27L);
    assertThat(page.lastSeq()).isEqualTo(30);
    assertThat(get(store.history("lobby", 30, 3)).chats()).isEmpty();
    assertThat(get(store.history("lobby", Long.MAX_VALUE, 3)).chats()).isEmpty();
  }

  @Test
  void dedupForgetsTheOldestBeyondItsCapacity() throws Exception {
    store.close();
    store = newStore(3, Duration.ofHours(1));
    for (int i = 1; i <= 5; i++) {
      append("lobby", "alice", "m" + i, 100);
    }
    assertThat(get(store.accepted("alice", "m1"))).isEmpty();
    assertThat(get(store.accepted("alice", "m2"))).isEmpty();
    assertThat(get(store.accepted("alice", "m3"))).isPresent();
    assertThat(get(store.accepted("alice", "m5"))).isPresent();
    // Forgotten means accepted again, as a new chat.
    assertThat(append("lobby", "alice", "m1", 100).seq()).isEqualTo(6);
  }

  @Test
  void dedupForgetsWhatIsOlderThanItsMaxAge() throws Exception {
    store.close();
    store = newStore(1_000, Duration.ofMinutes(10));
    append("lobby", "alice", "old", 100);
    clock.addAndGet(Duration.ofMinutes(11).toMillis());
    append("lobby", "alice", "new", 100); // a write lets a store prune
    assertThat(get(store.accepted("alice", "old"))).isEmpty();
    assertThat(get(store.accepted("alice", "new"))).isPresent();
  }

  @Test
  void concurrentAppendsToOneRoomAreCalledBackOneAtATimeInSeqOrder() throws Exception {
    int threads = 4;
    int each = 500;
    List<Long> order = Collections.synchronizedList(new ArrayList<>());
    Map<String, Long> seqs = new ConcurrentHashMap<>();
    CountDownLatch done = new CountDownLatch(threads * each);
    AtomicLong inCallback = new AtomicLong();
    AtomicLong overlaps = new AtomicLong();
    List<Thread> senders = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int sender = t;
      senders.add(new Thread(() -> {
        for (int i = 0; i < each; i++) {
          String id = "s" + sender + "-" + i;
          store.append(draft("lobby", "user" + sender, id, 10_000), new RoomStore.AppendCallback() {
            @Override
            public void appended(Appended result) {
              if (inCallback.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
              }
              order.add(result.seq());
              seqs.put(id, result.seq());
              inCallback.decrementAndGet();
              done.countDown();
            }

            @Override
            public void failed(Throwable error) {
              done.countDown();
            }
          });
        }
      }, "appender-" + t));
    }
    senders.forEach(Thread::start);
    assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
    assertThat(overlaps.get()).as("callbacks of one room overlapping").isZero();
    assertThat(order).hasSize(threads * each);
    for (int i = 0; i < order.size(); i++) {
      assertThat(order.get(i)).isEqualTo(i + 1L);
    }
    assertThat(seqs.values()).doesNotHaveDuplicates();
  }

  @Test
  void readsSeeEverythingWhoseAppendCallbackHasBeenCalled() throws Exception {
    List<CompletionStage<History>> inCallback = new ArrayList<>();
    List<CompletionStage<Optional<RoomState>>> statesInCallback = new ArrayList<>();
    List<CompletionStage<Optional<Appended>>> lookupsInCallback = new ArrayList<>();
    Recorder r = new Recorder();
    int n = 50;
    for (int i = 1; i <= n; i++) {
      String id = "m" + i;
      store.append(draft("lobby", "alice", id, 100), new RoomStore.AppendCallback() {
        @Override
        public void appended(Appended result) {
          synchronized (inCallback) {
            inCallback.add(store.history("lobby", result.seq() - 1, 10));
            statesInCallback.add(store.state("lobby"));
            lookupsInCallback.add(store.accepted("alice", id));
          }
          r.appended(result);
        }

        @Override
        public void failed(Throwable error) {
          r.failed(error);
        }
      });
    }
    for (int i = 1; i <= n; i++) {
      long seq = r.next().seq();
      // and right after the callback, from another thread
      assertThat(get(store.history("lobby", seq - 1, 1)).chats()).extracting(StoredChat::seq).containsExactly(seq);
    }
    synchronized (inCallback) {
      for (int i = 0; i < n; i++) {
        long seq = i + 1;
        assertThat(get(inCallback.get(i)).chats()).extracting(StoredChat::seq).startsWith(seq);
        assertThat(get(statesInCallback.get(i)).orElseThrow().lastSeq()).isGreaterThanOrEqualTo(seq);
        assertThat(get(lookupsInCallback.get(i))).map(Appended::seq).contains(seq);
      }
    }
  }

  /** Guards review 11 finding 1: SQLite's lookup read committed rows only, so a queued original was missed. */
  @Test
  void aLookupSeesAnAppendThatReturnedEvenIfItIsStillQueued() throws Exception {
    CountDownLatch rendering = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Recorder first = new Recorder();
    // Holds the SQLite writer, or (in memory) a thread inside another room.
    Thread holder = background("holder", () -> store.append(held("busy", "h1", rendering, release), first));
    assertThat(rendering.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    Recorder original = new Recorder();
    store.append(draft("lobby", "alice", "x1", 100), original);
    CompletionStage<Optional<Appended>> lookup = store.accepted("alice", "x1");
    release.countDown();
    Appended appended = original.next();
    assertThat(get(lookup)).contains(new Appended(appended.epoch(), appended.seq(), 1234, true, null));
    first.next();
    holder.join(TIMEOUT.toMillis());
  }

  /** Guards review 11 finding 17: the memory store claimed dedup before it stored the chat. */
  @Test
  void aDuplicateIsAnsweredOnlyOnceItsOriginalCanBeRead() throws Exception {
    CountDownLatch rendering = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Recorder original = new Recorder();
    Thread first = background("original", () -> store.append(held("lobby", "x1", rendering, release), original));
    assertThat(rendering.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    List<Object> seenByDuplicate = Collections.synchronizedList(new ArrayList<>());
    Thread second = background("duplicate", () -> store.append(held("lobby", "x1", new CountDownLatch(1), release),
        new RoomStore.AppendCallback() {
          @Override
          public void appended(Appended result) {
            try {
              seenByDuplicate.add(release.getCount() == 0 ? "after the original" : "while the original renders");
              seenByDuplicate.add(get(store.history("lobby", 0, 10)).chats().size());
            } catch (Exception e) {
              seenByDuplicate.add(e);
            }
          }

          @Override
          public void failed(Throwable error) {
            seenByDuplicate.add(error);
          }
        }));
    // The duplicate either waits for the original (in memory: on the room), is queued behind it
    // (SQLite), or, wrongly, was answered already.
    org.awaitility.Awaitility.await().atMost(TIMEOUT).until(() -> !seenByDuplicate.isEmpty()
        || second.getState() == Thread.State.BLOCKED || second.getState() == Thread.State.TERMINATED);
    release.countDown();
    assertThat(original.next().seq()).isEqualTo(1);
    org.awaitility.Awaitility.await().atMost(TIMEOUT).until(() -> seenByDuplicate.size() >= 2);
    assertThat(seenByDuplicate).containsExactly("after the original", 1);
    first.join(TIMEOUT.toMillis());
    second.join(TIMEOUT.toMillis());
  }

  @Test
  void anAppendWhoseRendererThrowsFailsAloneAndChangesNothing() throws Exception {
    assertThat(append("lobby", "alice", "m1", 100).seq()).isEqualTo(1);
    Recorder bad = new Recorder();
    store.append(new Draft("lobby", "alice", "bad", 1234, 100, (seq, epoch) -> {
      throw new IllegalArgumentException("cannot render");
    }), bad);
    assertThatThrownBy(bad::next).hasRootCauseMessage("cannot render");
    assertThat(bad.results).isEmpty(); // exactly once
    assertThat(get(store.accepted("alice", "bad"))).isEmpty();
    assertThat(append("lobby", "alice", "m2", 100).seq()).isEqualTo(2);
    assertThat(get(store.history("lobby", 0, 10)).chats()).extracting(StoredChat::seq).containsExactly(1L, 2L);
  }

  @Test
  void historyIsBoundedByBytesTooTheOldestGoingFirst() throws Exception {
    for (int i = 1; i <= 20; i++) {
      Recorder r = new Recorder();
      store.append(sized("lobby", "m" + i, 1_000, 5_500), r);
      assertThat(r.next().seq()).isEqualTo(i);
    }
    History h = get(store.history("lobby", 0, 100));
    assertThat(h.chats()).extracting(StoredChat::seq).containsExactly(16L, 17L, 18L, 19L, 20L);
    assertThat(h.firstSeq()).isEqualTo(16);
    assertThat(h.lastSeq()).isEqualTo(20);
    assertThat(h.chats()).allSatisfy(c -> assertThat(c.frame()).hasSize(1_000));
  }

  /** Guards review 11 finding 10: a replay's page was bounded by count only. */
  @Test
  void aHistoryPageEndsBeforeItsBytesPassTheBoundButHoldsOneChatAtLeast() throws Exception {
    for (int i = 1; i <= 10; i++) {
      Recorder r = new Recorder();
      store.append(sized("lobby", "m" + i, 1_000, 1 << 20), r);
      r.next();
    }
    History page = get(store.history("lobby", 2, 100, 3_500));
    assertThat(page.chats()).extracting(StoredChat::seq).containsExactly(3L, 4L, 5L);
    assertThat(page.lastSeq()).isEqualTo(10);
    assertThat(get(store.history("lobby", 2, 2, 3_500)).chats()).extracting(StoredChat::seq).containsExactly(3L, 4L);
    assertThat(get(store.history("lobby", 8, 100, 1)).chats()).extracting(StoredChat::seq).containsExactly(9L);
    assertThat(get(store.history("lobby", 10, 100, 1)).chats()).isEmpty();
    assertThatThrownBy(() -> store.history("lobby", 0, 1, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBytes < 1: 0");
  }

  @Test
  void theNewestChatIsKeptEvenIfItAloneIsOverTheHistoryBytes() throws Exception {
    Recorder r = new Recorder();
    store.append(sized("lobby", "small", 100, 1_000), r);
    r.next();
    store.append(sized("lobby", "big", 5_000, 1_000), r);
    assertThat(r.next().seq()).isEqualTo(2);
    assertThat(get(store.history("lobby", 0, 10)).chats()).extracting(StoredChat::seq).containsExactly(2L);
  }

  @Test
  void operationsAfterCloseFail() throws Exception {
    store.close();
    store.close();
    Recorder r = new Recorder();
    store.append(draft("lobby", "alice", "m1", 10), r);
    assertThatThrownBy(r::next).hasCauseInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> get(store.open("lobby"))).hasCauseInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> get(store.history("lobby", 0, 1))).hasCauseInstanceOf(IllegalStateException.class);
  }
}

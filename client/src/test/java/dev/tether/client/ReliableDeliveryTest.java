package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.DeliveryState;
import dev.tether.api.Envelope;
import dev.tether.api.ReadyState;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.RecordingDelegate.Env;
import dev.tether.client.RecordingDelegate.Failure;
import dev.tether.client.RecordingDelegate.Gap;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.StubServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Acks, resend, dedup, resume and the durable outbox, against a real StubServer and real faults. */
class ReliableDeliveryTest {
  private static final ReconnectPolicy FAST =
      ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(200)).withJitter(0.5);
  private static final String ROOM = "lobby";

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();
  private StubServer server;
  private FaultProxy proxy;

  private TetherClient open(TetherClient.Builder builder, SocketDelegate delegate) throws Exception {
    TetherClient c = stub.track(builder.delegate(delegate).reconnect(FAST).build());
    c.open();
    c.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    return c;
  }

  /** Collects chats; counts down as they arrive. */
  private static final class Inbox implements SocketDelegate {
    final List<Envelope> chats = new CopyOnWriteArrayList<>();
    final List<long[]> gaps = new CopyOnWriteArrayList<>();

    @Override
    public void onEnvelope(TetherSocket socket, Envelope e) {
      chats.add(e);
    }

    @Override
    public void onGap(TetherSocket socket, String room, long fromSeq, long toSeq) {
      gaps.add(new long[] {fromSeq, toSeq});
    }

    void awaitChats(int n) {
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(chats).hasSizeGreaterThanOrEqualTo(n));
    }

    List<Long> seqs() {
      return chats.stream().map(Envelope::seq).toList();
    }
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }

  @Test
  void aReceiverOfflineFor1000MessagesResumesAndGetsEachOnceInOrder() throws Exception {
    server = stub.server();
    proxy = stub.proxy();
    NetworkMonitor.Manual bobsNetwork = NetworkMonitor.manual(true);
    Inbox bob = new Inbox();
    TetherClient bobClient = open(TetherClient.builder(proxy.uri().resolve("/im?user=bob"))
        .networkMonitor(bobsNetwork), bob);
    TetherClient alice = open(TetherClient.builder(server.uri().resolve("/im?user=alice")), new Inbox());
    alice.send(Envelope.chat(ROOM, "before")).get(10, TimeUnit.SECONDS);
    bob.awaitChats(1);

    bobsNetwork.setAvailable(false);
    proxy.cutAll();
    await().atMost(Duration.ofSeconds(30)).until(() -> bobClient.readyState() != ReadyState.OPEN);
    List<CompletableFuture<Ack>> acks = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      acks.add(alice.send(Envelope.chat(ROOM, "while bob is away " + i)));
    }
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

    bobsNetwork.setAvailable(true);
    bob.awaitChats(1001);
    assertThat(bob.seqs()).isEqualTo(range(1, 1001));
    assertThat(bob.chats.get(1).text()).isEqualTo("while bob is away 0");
    assertThat(bob.chats.stream().map(Envelope::id).distinct().count()).isEqualTo(1001);
    assertThat(bob.gaps).isEmpty();
    assertThat(bobClient.stats().reconnects()).isEqualTo(1);
  }

  @Test
  void aReceiverOfflineLongerThanTheHistoryIsToldExactlyWhatItMissed() throws Exception {
    server = stub.start(StubServer.builder().historyPerRoom(100));
    proxy = stub.proxy();
    NetworkMonitor.Manual bobsNetwork = NetworkMonitor.manual(true);
    RecordingDelegate bob = new RecordingDelegate();
    TetherClient bobClient = open(TetherClient.builder(proxy.uri().resolve("/im?user=bob"))
        .networkMonitor(bobsNetwork), bob);
    bob.take(Open.class);
    TetherClient alice = open(TetherClient.builder(server.uri().resolve("/im?user=alice")), new Inbox());

    bobsNetwork.setAvailable(false);
    proxy.cutAll();
    await().atMost(Duration.ofSeconds(30)).until(() -> bobClient.readyState() != ReadyState.OPEN);
    List<CompletableFuture<Ack>> acks = new ArrayList<>();
    for (int i = 1; i <= 300; i++) {
      acks.add(alice.send(Envelope.chat(ROOM, "m" + i)));
    }
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

    bobsNetwork.setAvailable(true);
    Gap gap = bob.next(Gap.class);
    assertThat(gap).isEqualTo(new Gap(ROOM, 1, 200));
    for (long seq = 201; seq <= 300; seq++) {
      Envelope e = bob.next(Env.class).envelope();
      assertThat(e.seq()).isEqualTo(seq);
      assertThat(e.text()).isEqualTo("m" + seq);
    }
    bob.assertNoEvent(Duration.ofMillis(200));
  }

  @Test
  void tenThousandMessagesSurviveRestartsAndDropsWithNothingLostOrDuplicated() throws Exception {
    server = stub.server();
    Inbox aliceInbox = new Inbox();
    Inbox bobInbox = new Inbox();
    TetherClient alice = open(TetherClient.builder(server.uri().resolve("/im?user=alice")), aliceInbox);
    TetherClient bob = open(TetherClient.builder(server.uri().resolve("/im?user=bob")), bobInbox);

    int total = 10_000;
    List<CompletableFuture<Ack>> acks = new ArrayList<>();
    int faults = 0;
    for (int block = 0; block < total / 1000; block++) {
      for (int i = block * 1000; i < (block + 1) * 1000; i++) {
        TetherClient sender = i % 2 == 0 ? alice : bob;
        acks.add(sender.send(Envelope.chat(ROOM, (i % 2 == 0 ? "alice " : "bob ") + i)));
      }
      if (block == total / 1000 - 1) {
        break;
      }
      // Strike while the block is half acknowledged: the rest is in flight or queued.
      acks.get(block * 1000 + 499).get(60, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(30)).until(() -> server.connectionCount() == 2);
      if (block % 2 == 0) {
        server.restart();
      } else {
        server.dropAllConnections();
      }
      faults++;
      await().atMost(Duration.ofSeconds(30)).until(() ->
          alice.readyState() == ReadyState.OPEN && bob.readyState() == ReadyState.OPEN);
    }
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    aliceInbox.awaitChats(total);
    bobInbox.awaitChats(total);

    for (Inbox inbox : List.of(aliceInbox, bobInbox)) {
      assertThat(inbox.seqs()).isEqualTo(range(1, total));
      assertThat(inbox.chats.stream().map(Envelope::id).distinct().count()).isEqualTo(total);
      assertThat(inbox.gaps).isEmpty();
      for (String who : List.of("alice ", "bob ")) {
        List<Integer> order = inbox.chats.stream().map(Envelope::text).filter(t -> t.startsWith(who))
            .map(t -> Integer.parseInt(t.substring(who.length()))).toList();
        assertThat(order).hasSize(total / 2).isSorted();
      }
    }
    Set<Long> ackSeqs = new HashSet<>();
    for (CompletableFuture<Ack> f : acks) {
      ackSeqs.add(f.get().seq());
    }
    assertThat(ackSeqs).hasSize(total);
    System.out.printf("10,000-message exchange through %d faults: alice got %d, bob got %d, 0 lost,"
            + " 0 duplicated; alice %s; bob %s%n", faults, aliceInbox.chats.size(), bobInbox.chats.size(),
        alice.stats(), bob.stats());
    assertThat(alice.stats().reconnects()).isEqualTo(faults);
    assertThat(bob.stats().reconnects()).isEqualTo(faults);
  }

  @Test
  void theSameEnvelopeSentTwiceIsFannedOutOnceAndAckedTwiceAlike() throws Exception {
    server = stub.server();
    Inbox bob = new Inbox();
    open(TetherClient.builder(server.uri().resolve("/im?user=bob")), bob);
    TetherClient alice = open(TetherClient.builder(server.uri().resolve("/im?user=alice")), new Inbox());
    Envelope e = Envelope.chat(ROOM, "once").withId("fixed-id-1");
    Ack first = alice.send(e).get(10, TimeUnit.SECONDS);
    Ack second = alice.send(e).get(10, TimeUnit.SECONDS);
    assertThat(second).isEqualTo(first);
    alice.send(Envelope.chat(ROOM, "after")).get(10, TimeUnit.SECONDS);
    bob.awaitChats(2);
    assertThat(bob.chats).extracting(Envelope::text).containsExactly("once", "after");
  }

  @Test
  void anEnvelopeWithoutAckIsResentOnTheNextConnectionAfterTheAckTimeout() throws Exception {
    server = stub.server();
    proxy = stub.proxy();
    RecordingDelegate d = new RecordingDelegate();
    TetherClient alice = open(TetherClient.builder(proxy.uri().resolve("/im?user=alice"))
        .heartbeat(Duration.ZERO, Duration.ofSeconds(1)).ackTimeout(Duration.ofMillis(500))
        .connectTimeout(Duration.ofSeconds(5)), d); // a loaded machine's handshake: the first event must be onOpen
    d.take(Open.class);
    proxy.blackhole();
    CompletableFuture<Ack> ack = alice.send(Envelope.chat(ROOM, "through the blackhole"));
    Failure failure = d.next(Failure.class);
    assertThat(failure.error()).isInstanceOf(TimeoutException.class)
        .hasMessageContaining("no ack for").hasMessageEndingWith("within 500 ms");
    proxy.heal();
    assertThat(ack.get(30, TimeUnit.SECONDS).seq()).isEqualTo(1);
    assertThat(alice.stats().resends()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void anEnvelopeThatExpiresFailsItsFutureAndLeavesTheOutbox() {
    server = stub.server();
    TetherClient c = stub.track(TetherClient.builder(server.uri())
        .networkMonitor(NetworkMonitor.manual(false)).build());
    c.open();
    CompletableFuture<Ack> f = c.send(Envelope.chat(ROOM, "too late"), Duration.ofMillis(100));
    assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).cause().hasMessageContaining("expired");
    assertThat(c.outboxSize()).isZero();
  }

  @Test
  void deliveryStatesAreReportedInOrder() throws Exception {
    server = stub.server();
    List<String> states = new CopyOnWriteArrayList<>();
    SocketDelegate watcher = new SocketDelegate() {
      @Override
      public void onDeliveryState(TetherSocket socket, Envelope envelope, DeliveryState state) {
        states.add(envelope.type() + " " + state);
      }
    };
    TetherClient c = stub.track(TetherClient.builder(server.uri()).delegate(watcher).build());
    CompletableFuture<Ack> join = c.send(Envelope.join(ROOM));
    c.open();
    join.get(10, TimeUnit.SECONDS);
    c.send(Envelope.chat("not-joined", "refused")).handle((a, e) -> e).get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(states).containsExactly(
        "JOIN QUEUED", "JOIN SENT", "JOIN ACKED", "CHAT SENT", "CHAT FAILED"));
  }

  @Test
  void aDurableOutboxCarriesUnsentEnvelopesAndRoomsToTheNextClient(@TempDir Path dir) throws Exception {
    server = stub.server();
    Path file = dir.resolve("outbox.db");
    List<String> sent = new ArrayList<>();
    try (OutboxStore store = OutboxStore.sqlite(file)) {
      TetherClient first = open(TetherClient.builder(server.uri().resolve("/im?user=alice")).outboxStore(store), new Inbox());
      server.stop();
      await().atMost(Duration.ofSeconds(30)).until(() -> first.readyState() != ReadyState.OPEN);
      for (int i = 0; i < 3; i++) {
        Envelope e = Envelope.chat(ROOM, "written before the restart " + i);
        sent.add(e.id());
        first.send(e);
      }
      first.close();
    }
    server.restart();
    Inbox inbox = new Inbox();
    try (OutboxStore store = OutboxStore.sqlite(file)) {
      TetherClient second = stub.track(TetherClient.builder(server.uri().resolve("/im?user=alice")).outboxStore(store)
          .delegate(inbox).reconnect(FAST).build());
      assertThat(second.outboxSize()).isEqualTo(3);
      second.open();
      // No join: the room was restored from the store and resumed.
      inbox.awaitChats(3);
      assertThat(inbox.chats).extracting(Envelope::id).containsExactlyElementsOf(sent);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(second.outboxSize()).isZero());
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(store.pending()).isEmpty());
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(store.rooms()).containsEntry(ROOM, 3L));
      second.close();
    }
  }

  /**
   * Guards issue 9, defect 2: an envelope written and then lost with its connection is reported
   * QUEUED again before it is written on the next connection.
   */
  @Test
  void anEnvelopeLostWithItsConnectionGoesBackToQueuedBeforeItIsWrittenAgain() throws Exception {
    server = stub.server();
    proxy = stub.proxy();
    List<String> states = new CopyOnWriteArrayList<>();
    SocketDelegate watcher = new SocketDelegate() {
      @Override
      public void onDeliveryState(TetherSocket socket, Envelope envelope, DeliveryState state) {
        if (envelope.type() == Envelope.Type.CHAT) {
          states.add(state.name());
        }
      }
    };
    TetherClient c = open(TetherClient.builder(proxy.uri()).heartbeat(Duration.ZERO, Duration.ofSeconds(1)), watcher);
    proxy.blackhole();
    CompletableFuture<Ack> ack = c.send(Envelope.chat(ROOM, "lost, then resent"));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(states).containsExactly("SENT"));
    proxy.cutAll();
    proxy.heal();
    assertThat(ack.get(30, TimeUnit.SECONDS).seq()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(states).containsExactly("SENT", "QUEUED", "SENT", "ACKED"));
  }
}

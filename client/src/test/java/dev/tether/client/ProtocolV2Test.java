package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.StubServer;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Protocol v2 (PROTOCOL.md, "Protocol v2") from the client's side, against the real server: the
 * sender's own chat reaches {@code onEnvelope} once, from its ack, in seq order with everyone
 * else's; the server sends the sender no copy, but the user's other connections get one; a copy
 * that comes anyway is a duplicate by seq; against a server that speaks only v1 the copy delivers
 * the chat. And the ack path: futures complete on the thread that read the ack, without waiting for
 * the delegate, whose callbacks stay one at a time and in order.
 */
class ProtocolV2Test {
  private static final String ROOM = "lobby";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();

  private TetherClient client(URI server, String user, SocketDelegate delegate) {
    TetherClient c = stub.client(TetherClient.builder(URI.create(server + "?user=" + user)).delegate(delegate));
    c.open();
    return c;
  }

  private static Ack join(TetherClient c) throws Exception {
    return c.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
  }

  @Test
  void ownChatsAreDeliveredOnceFromTheirAcksInSeqOrderWithEveryoneElses() throws Exception {
    StubServer server = stub.server();
    RoomLog aliceLog = new RoomLog();
    RoomLog bobLog = new RoomLog();
    TetherClient alice = client(server.uri(), "alice", aliceLog);
    TetherClient bob = client(server.uri(), "bob", bobLog);
    String epoch = join(alice).epoch();
    join(bob);
    int each = 100;
    List<CompletableFuture<Ack>> acks = new ArrayList<>();
    Thread bobSends = new Thread(() -> {
      for (int i = 1; i <= each; i++) {
        bob.send(Envelope.chat(ROOM, "b" + i));
      }
    });
    bobSends.start();
    for (int i = 1; i <= each; i++) {
      acks.add(alice.send(Envelope.chat(ROOM, "a" + i)));
    }
    bobSends.join();
    for (CompletableFuture<Ack> ack : acks) {
      assertThat(ack.get(10, TimeUnit.SECONDS).carriesChat()).as("the future's ack is v1's: id and seq").isFalse();
    }
    aliceLog.awaitLines(2 * each);
    bobLog.awaitLines(2 * each);
    aliceLog.assertNothingMoreWithin(Duration.ofMillis(200));

    assertThat(aliceLog.lines).isEqualTo(bobLog.lines);
    assertThat(aliceLog.chats).extracting(Envelope::seq)
        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 2L * each).boxed().toList());
    assertThat(aliceLog.chats.stream().filter(e -> e.from().equals("alice")).map(Envelope::text))
        .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, each).mapToObj(i -> "a" + i).toList());
    // What alice delivered of her own is what bob got as the copy: from, seq, ts and epoch stamped.
    assertThat(aliceLog.chats).containsExactlyElementsOf(bobLog.chats);
    assertThat(aliceLog.chats).allMatch(e -> epoch.equals(e.epoch()) && e.ts() > 0);
    assertThat(alice.stats().duplicatesDropped()).isZero();
  }

  /** One frame back per chat: the ack. A copy would bring the text back. */
  @Test
  void theServerSendsTheSenderNoCopyOfItsChat() throws Exception {
    FaultProxy proxy = stub.proxy();
    RoomLog log = new RoomLog();
    TetherClient alice = client(proxy.uri(), "alice", log);
    join(alice);
    long before = proxy.bytesToClient();
    String text = "x".repeat(1000);
    int n = 20;
    for (int i = 0; i < n; i++) {
      alice.send(Envelope.chat(ROOM, text)).get(10, TimeUnit.SECONDS);
    }
    log.awaitLines(n);
    long back = proxy.bytesToClient() - before;
    assertThat(back).as("bytes to the sender for %d chats of %d chars", n, text.length())
        .isLessThan((long) n * 200).isPositive();
    assertThat(log.chats).allMatch(e -> e.text().equals(text) && e.from().equals("alice"));
  }

  @Test
  void theUsersOtherConnectionsGetTheCopy() throws Exception {
    StubServer server = stub.server();
    RoomLog phoneLog = new RoomLog();
    RoomLog laptopLog = new RoomLog();
    TetherClient phone = client(server.uri(), "alice", phoneLog);
    TetherClient laptop = client(server.uri(), "alice", laptopLog);
    join(phone);
    join(laptop);
    phone.send(Envelope.chat(ROOM, "from the phone")).get(10, TimeUnit.SECONDS);
    laptop.send(Envelope.chat(ROOM, "from the laptop")).get(10, TimeUnit.SECONDS);
    List<String> story = List.of("chat 1 alice: from the phone", "chat 2 alice: from the laptop");
    assertThat(phoneLog.awaitLines(2).lines).isEqualTo(story);
    assertThat(laptopLog.awaitLines(2).lines).isEqualTo(story);
    phoneLog.assertNothingMoreWithin(Duration.ofMillis(200));
    laptopLog.assertNothingMoreWithin(Duration.ofMillis(200));
  }

  /** A server may send the copy anyway (a v1 habit, a replay): it is the same seq, dropped. */
  @Test
  void aCopyThatComesAfterTheAckIsADuplicateBySeq() throws Exception {
    StubServer server = stub.server();
    RoomLog log = new RoomLog();
    TetherClient alice = client(server.uri(), "alice", log);
    String epoch = join(alice).epoch();
    Envelope chat = Envelope.chat(ROOM, "once");
    alice.send(chat).get(10, TimeUnit.SECONDS);
    Envelope delivered = log.awaitLines(1).chats.get(0);
    assertThat(delivered).isEqualTo(chat.accepted("alice", 1, delivered.ts(), epoch));
    server.sendToAll(EnvelopeCodec.shared().encode(delivered));
    alice.send("after the copy");
    await().atMost(WAIT).until(() -> alice.stats().duplicatesDropped() == 1);
    assertThat(log.lines).containsExactly("chat 1 alice: once");
  }

  /** A server written to protocol v1 ignores the subprotocol: its copy delivers the chat, once. */
  @Test
  void againstAServerThatSpeaksOnlyV1TheCopyDeliversTheSendersChat() throws Exception {
    LegacyServer legacy = stub.closeAfter(LegacyServer.start());
    RoomLog aliceLog = new RoomLog();
    RoomLog bobLog = new RoomLog();
    TetherClient alice = client(legacy.uri(), "alice", aliceLog);
    TetherClient bob = client(legacy.uri(), "bob", bobLog);
    join(alice);
    join(bob);
    for (int i = 1; i <= 10; i++) {
      (i % 2 == 0 ? bob : alice).send(Envelope.chat(ROOM, "m" + i)).get(10, TimeUnit.SECONDS);
    }
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      expected.add("chat " + i + " " + (i % 2 == 0 ? "bob" : "alice") + ": m" + i);
    }
    assertThat(aliceLog.awaitLines(10).lines).isEqualTo(expected);
    assertThat(bobLog.awaitLines(10).lines).isEqualTo(expected);
    aliceLog.assertNothingMoreWithin(Duration.ofMillis(200));
  }

  /**
   * The ack path has no hop through the callback queue: an ack completes its future although the
   * delegate is still busy with an earlier callback (before, the completion waited behind it).
   */
  @Test
  void anAckCompletesItsFutureWhileTheDelegateIsStillBusy() throws Exception {
    StubServer server = stub.server();
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> seen = new CopyOnWriteArrayList<>();
    TetherClient alice = client(server.uri(), "alice", new SocketDelegate() {
      @Override
      public void onEnvelope(TetherSocket socket, Envelope envelope) {
        seen.add(envelope.text());
        if (envelope.text().equals("hold on")) {
          busy.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    });
    TetherClient bob = client(server.uri(), "bob", new RoomLog());
    join(alice);
    join(bob);
    bob.send(Envelope.chat(ROOM, "hold on")).get(10, TimeUnit.SECONDS);
    assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
    try {
      Ack ack = alice.send(Envelope.chat(ROOM, "mine")).get(10, TimeUnit.SECONDS);
      assertThat(ack.seq()).isEqualTo(2);
      assertThat(seen).containsExactly("hold on");
    } finally {
      release.countDown();
    }
    await().atMost(WAIT).untilAsserted(() -> assertThat(seen).containsExactly("hold on", "mine"));
  }

  /**
   * Futures complete on the reading thread, and the delegate's callbacks still run one at a time
   * and in order: a delegate that takes a moment per chat, while two senders fill the room, sees
   * every seq once, in order, never two callbacks at once.
   */
  @Test
  void delegateCallbacksStayOneAtATimeAndInOrderWhileFuturesCompleteOnTheReadingThread() throws Exception {
    StubServer server = stub.server();
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    List<Long> seqs = new CopyOnWriteArrayList<>();
    List<String> completedOn = new CopyOnWriteArrayList<>();
    TetherClient alice = client(server.uri(), "alice", new SocketDelegate() {
      @Override
      public void onEnvelope(TetherSocket socket, Envelope envelope) {
        if (inside.incrementAndGet() != 1) {
          overlaps.incrementAndGet();
        }
        long until = System.nanoTime() + 20_000;
        while (System.nanoTime() < until) {
          Thread.onSpinWait(); // a delegate that does some work: room for another callback to overlap
        }
        seqs.add(envelope.seq());
        inside.decrementAndGet();
      }
    });
    TetherClient bob = client(server.uri(), "bob", new RoomLog());
    join(alice);
    join(bob);
    int each = 300;
    Thread bobSends = new Thread(() -> {
      for (int i = 0; i < each; i++) {
        bob.send(Envelope.chat(ROOM, "b" + i));
      }
    });
    bobSends.start();
    List<CompletableFuture<?>> futures = new ArrayList<>();
    for (int i = 0; i < each; i++) {
      futures.add(alice.send(Envelope.chat(ROOM, "a" + i))
          .thenRun(() -> completedOn.add(Thread.currentThread().getName())));
    }
    bobSends.join();
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> seqs.size() == 2 * each);
    assertThat(overlaps).hasValue(0);
    assertThat(seqs).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 2L * each).boxed().toList());
    assertThat(completedOn).noneMatch(name -> name.startsWith("tether-callback"));
  }
}

package dev.tether.client;

import static dev.tether.client.RoomLog.chats;
import static dev.tether.client.RoomLog.story;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ReadyState;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.Received;
import dev.tether.stub.StubServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guards issue 10: a server that loses its state (an in-memory server replaced after a crash or a
 * deploy) used to make a client take the new stream's seqs 1..N for duplicates of the old one and
 * drop them all, silently. Now each member is told once ({@code onReset(room, lastSeqBefore)})
 * and gets the new stream once, in order, however it learns of the reset: a chat of a new epoch,
 * {@code epoch_changed} for its resume, or (from a server without epochs) a resume acked below its
 * position. Real StubServer, real faults.
 */
class ResetTest {
  private static final ReconnectPolicy FAST =
      ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(200)).withJitter(0.5);
  private static final String ROOM = "lobby";

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();

  private TetherClient client(URI server, String user, RoomLog log, TetherClient.Builder... base) {
    TetherClient.Builder b = base.length > 0 ? base[0]
        : TetherClient.builder(URI.create(server + "?user=" + user));
    return stub.track(b.delegate(log).reconnect(FAST).build());
  }

  private static Ack join(TetherClient c) throws Exception {
    c.open();
    return c.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
  }

  private static void say(TetherClient c, String prefix, int count) throws Exception {
    List<CompletableFuture<Ack>> acks = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      acks.add(c.send(Envelope.chat(ROOM, prefix + i)));
    }
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
  }

  /** alice and bob, each with its log, members of the room; {@code epoch} is the room's when bob joined. */
  private record Members(TetherClient alice, RoomLog aliceLog, TetherClient bob, RoomLog bobLog, String epoch) {}

  /** alice and bob join the room on {@code server}; alice says {@code count} chats, which bob gets. */
  private Members aliceToldBob(URI server, String prefix, int count) throws Exception {
    RoomLog aliceLog = new RoomLog();
    RoomLog bobLog = new RoomLog();
    TetherClient alice = client(server, "alice", aliceLog);
    TetherClient bob = client(server, "bob", bobLog);
    join(alice);
    String epoch = join(bob).epoch();
    say(alice, prefix, count);
    bobLog.awaitLines(count);
    return new Members(alice, aliceLog, bob, bobLog, epoch);
  }

  /** The scenario: 20 chats, the server's state lost in place, 20 more. */
  @Test
  void aServerThatLosesItsStateIsOneResetThenTheNewStreamOnceInOrder() throws Exception {
    StubServer server = stub.server();
    Members room = aliceToldBob(server.uri(), "before ", 20);

    server.resetState();
    say(room.alice(), "after ", 20);

    List<String> expected = story(chats(1, 20, "alice", "before "), List.of("reset 20"),
        chats(1, 20, "alice", "after "));
    assertThat(room.bobLog().awaitLines(41).lines).isEqualTo(expected);
    assertThat(room.aliceLog().awaitLines(41).lines).as("alice's own copies").isEqualTo(expected);
    assertThat(room.bob().stats().duplicatesDropped()).isZero();
    assertThat(room.bobLog().failures).isEmpty();
    room.bobLog().assertNothingMoreWithin(Duration.ofMillis(200));
  }

  @Test
  void aNewServerOnTheSamePortIsOneResetThenTheNewStream() throws Exception {
    StubServer server = stub.server();
    Members room = aliceToldBob(server.uri(), "before ", 20);

    StubServer fresh = stub.start(StubServer.builder().port(server.port()));
    room.bobLog().awaitLines(21); // bob's resume named the old epoch: epoch_changed
    say(room.alice(), "after ", 20);

    List<String> expected = story(chats(1, 20, "alice", "before "), List.of("reset 20"),
        chats(1, 20, "alice", "after "));
    assertThat(room.bobLog().awaitLines(41).lines).isEqualTo(expected);
    assertThat(room.aliceLog().awaitLines(41).lines).isEqualTo(expected);
    assertThat(fresh.stats().resumes()).isGreaterThanOrEqualTo(2);
    room.bobLog().assertNothingMoreWithin(Duration.ofMillis(200));
  }

  @Test
  void aResetWhileTheReceiverIsOfflineIsReportedWhenItResumes() throws Exception {
    StubServer server = stub.server();
    FaultProxy proxy = stub.proxy();
    NetworkMonitor.Manual bobsNetwork = NetworkMonitor.manual(true);
    RoomLog aliceLog = new RoomLog();
    RoomLog bobLog = new RoomLog();
    TetherClient alice = client(server.uri(), "alice", aliceLog);
    TetherClient bob = client(proxy.uri(), "bob", bobLog,
        TetherClient.builder(URI.create(proxy.uri() + "?user=bob")).networkMonitor(bobsNetwork));
    join(alice);
    join(bob);
    say(alice, "before ", 20);
    bobLog.awaitLines(20);

    bobsNetwork.setAvailable(false);
    proxy.cutAll();
    await().atMost(Duration.ofSeconds(30)).until(() -> bob.readyState() != ReadyState.OPEN);
    say(alice, "unseen ", 5); // seqs 21..25 of the old stream: lost with it
    server.resetState();
    say(alice, "after ", 20);
    bobsNetwork.setAvailable(true);

    assertThat(bobLog.awaitLines(41).lines).isEqualTo(story(chats(1, 20, "alice", "before "),
        List.of("reset 20"), chats(1, 20, "alice", "after ")));
    assertThat(aliceLog.awaitLines(46).lines).isEqualTo(story(chats(1, 20, "alice", "before "),
        chats(21, 5, "alice", "unseen "), List.of("reset 25"), chats(1, 20, "alice", "after ")));
    bobLog.assertNothingMoreWithin(Duration.ofMillis(200));
  }

  /**
   * A chat past a gap makes the client resume; that resume reaches a server that lost the stream.
   * The chat (injected by the test, seq 23 of the old epoch) was received, so it is delivered, the
   * hole before it reported, and the reset after it; then the new stream.
   */
  @Test
  void aResetFoundByTheResumeOfASeqJump() throws Exception {
    StubServer server = stub.server();
    Members room = aliceToldBob(server.uri(), "before ", 20);

    server.resetState();
    server.sendToAll(EnvelopeCodec.shared().encode(Envelope.chat(ROOM, "held ahead of a gap").withId("c-23")
        .withEpoch(room.epoch()).accepted("carol", 23, 1)));
    room.bobLog().awaitLines(23);
    say(room.alice(), "after ", 20);

    assertThat(room.bobLog().awaitLines(43).lines).isEqualTo(story(chats(1, 20, "alice", "before "),
        List.of("gap 21..22", "chat 23 carol: held ahead of a gap", "reset 23"), chats(1, 20, "alice", "after ")));
    room.bobLog().assertNothingMoreWithin(Duration.ofMillis(200));
  }

  @Test
  void aClientRestartedOnItsSqliteOutboxAcrossAServerResetIsToldOfTheReset(@TempDir Path dir) throws Exception {
    StubServer server = stub.server();
    Path file = dir.resolve("bob.db");
    RoomLog aliceLog = new RoomLog();
    TetherClient alice = client(server.uri(), "alice", aliceLog);
    join(alice);
    String oldEpoch;
    try (OutboxStore store = OutboxStore.sqlite(file)) {
      RoomLog first = new RoomLog();
      TetherClient bob = client(server.uri(), "bob", first,
          TetherClient.builder(URI.create(server.uri() + "?user=bob")).outboxStore(store));
      oldEpoch = join(bob).epoch();
      say(alice, "before ", 20);
      first.awaitLines(20);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(store.rooms()).containsEntry(ROOM, 20L));
      bob.close();
      assertThat(store.roomEpochs()).containsEntry(ROOM, oldEpoch);
    }

    server.resetState();
    say(alice, "after ", 5);
    aliceLog.awaitLines(26);
    String newEpoch = aliceLog.chats.get(20).epoch();

    try (OutboxStore store = OutboxStore.sqlite(file)) {
      RoomLog second = new RoomLog();
      TetherClient bob = client(server.uri(), "bob", second,
          TetherClient.builder(URI.create(server.uri() + "?user=bob")).outboxStore(store));
      bob.open(); // no join: the room is restored from the file and resumed
      assertThat(second.awaitLines(6).lines).isEqualTo(story(List.of("reset 20"), chats(1, 5, "alice", "after ")));
      Envelope resume = resumeFrom(server, "bob");
      assertThat(resume.seq()).isEqualTo(20);
      assertThat(resume.epoch()).isEqualTo(oldEpoch);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(store.rooms()).containsEntry(ROOM, 5L));
      await().atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(store.roomEpochs()).containsEntry(ROOM, newEpoch));
      bob.close();
    }
  }

  /** The first resume {@code user} sent that the server's log still holds. */
  private static Envelope resumeFrom(StubServer server, String user) throws Exception {
    while (true) {
      Received r = server.takeReceived(Duration.ofSeconds(10));
      if (r.user().equals(user) && r.envelope() != null && r.envelope().type() == Envelope.Type.RESUME) {
        return r.envelope();
      }
    }
  }

  /** Rule 4: a server without epochs. Its reset is found by a resume acked below the position. */
  @Test
  void aServerWithoutEpochsThatLostItsStateIsFoundByTheResumeAckedBelowThePosition() throws Exception {
    LegacyServer legacy = stub.closeAfter(LegacyServer.start());
    Members room = aliceToldBob(legacy.uri(), "before ", 20);

    legacy.loseState(); // and ends the connections, as a crash would
    room.bobLog().awaitLines(21);
    room.aliceLog().awaitLines(21);
    say(room.alice(), "after ", 20);

    List<String> expected = story(chats(1, 20, "alice", "before "), List.of("reset 20"),
        chats(1, 20, "alice", "after "));
    assertThat(room.bobLog().awaitLines(41).lines).isEqualTo(expected);
    assertThat(room.aliceLog().awaitLines(41).lines).isEqualTo(expected);
    assertThat(room.bobLog().chats).allMatch(e -> e.epoch() == null);
    room.bobLog().assertNothingMoreWithin(Duration.ofMillis(200));
  }

  /**
   * The server forgot which chats it accepted: a chat alice's client resends after the reset (its
   * process died before the ack came, and its outbox store still holds it) is a new chat of the new
   * stream, with a new seq. bob delivered it before the reset and does not deliver it again.
   */
  @Test
  void aChatResentAfterTheResetIsNotDeliveredAgain() throws Exception {
    StubServer server = stub.server();
    RoomLog bobLog = new RoomLog();
    TetherClient bob = client(server.uri(), "bob", bobLog);
    join(bob);
    TetherClient first = client(server.uri(), "alice", new RoomLog());
    join(first);
    say(first, "before ", 3);
    bobLog.awaitLines(3);
    Envelope unacked = bobLog.chats.get(2);
    first.close();

    // What a process that died before the ack of "before 3" leaves in its store.
    OutboxStore store = OutboxStore.inMemory();
    Envelope asSent = Envelope.chat(ROOM, unacked.text()).withId(unacked.id());
    store.add(asSent, EnvelopeCodec.shared().encode(asSent));
    store.saveRoom(ROOM, 3, unacked.epoch());
    server.resetState();
    TetherClient again = client(server.uri(), "alice", new RoomLog(),
        TetherClient.builder(URI.create(server.uri() + "?user=alice")).outboxStore(store));
    again.open();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(again.outboxSize()).isZero());
    say(again, "after ", 2);

    assertThat(bobLog.awaitLines(6).lines).isEqualTo(story(chats(1, 3, "alice", "before "),
        List.of("reset 3"), List.of("chat 2 alice: after 1", "chat 3 alice: after 2")));
    assertThat(bob.stats().duplicatesDropped()).isEqualTo(1);
    bobLog.assertNothingMoreWithin(Duration.ofMillis(200));
  }

  @Test
  void aRestartThatKeepsTheStateOrADroppedConnectionIsNoReset() throws Exception {
    StubServer server = stub.server();
    Members room = aliceToldBob(server.uri(), "first ", 5);
    TetherClient alice = room.alice();
    TetherClient bob = room.bob();
    RoomLog bobLog = room.bobLog();
    server.restart();
    await().atMost(Duration.ofSeconds(30)).until(() ->
        alice.readyState() == ReadyState.OPEN && bob.readyState() == ReadyState.OPEN);
    say(alice, "second ", 5);
    bobLog.awaitLines(10);
    await().atMost(Duration.ofSeconds(30)).until(() -> server.connectionCount() == 2);
    server.dropAllConnections();
    say(alice, "third ", 5);

    assertThat(bobLog.awaitLines(15).lines).isEqualTo(story(chats(1, 5, "alice", "first "),
        chats(6, 5, "alice", "second "), chats(11, 5, "alice", "third ")));
    bobLog.assertNothingMoreWithin(Duration.ofMillis(200));
  }
}

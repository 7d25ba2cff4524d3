package dev.tether.stub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ErrorReply;
import dev.tether.api.Wire;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Room epochs on a {@link StubServer}: kept while the state is ({@link StubServer#restart()},
 * {@link StubServer#dropAllConnections()}), new when it is lost ({@link StubServer#resetState()}, a
 * new server on the same port), and what members and resumes see of a reset.
 */
class EpochsTest {
  private static final Duration TIMEOUT = WsRecorder.TIMEOUT;

  @RegisterExtension final Stubs stubs = new Stubs();

  /** Sends a chat from a member; takes its ack and own copy; returns the copy. */
  private static Envelope said(WsRecorder member, String room, String text) throws Exception {
    Envelope chat = Envelope.chat(room, text);
    member.send(chat);
    WsRecorder.Replies replies = member.ownChat(chat);
    assertThat(replies.ack()).isEqualTo(new Ack(chat.id(), replies.copy().seq()));
    return replies.copy();
  }

  private static Envelope chat(WsRecorder client) throws Exception {
    Wire w = client.nextWire();
    assertThat(w).isInstanceOf(Envelope.class);
    return (Envelope) w;
  }

  @Test
  void restartAndDroppedConnectionsKeepTheEpoch() throws Exception {
    StubServer server = stubs.start(StubServer.builder());
    WsRecorder alice = stubs.connect(server, "alice");
    String epoch = alice.joined("lobby").epoch();
    assertThat(said(alice, "lobby", "one").epoch()).isEqualTo(epoch);

    server.restart();
    assertThat(alice.nextClose().code()).isEqualTo(1006);
    WsRecorder again = stubs.connect(server, "alice");
    assertThat(again.joined("lobby")).extracting(Ack::seq, Ack::epoch).containsExactly(1L, epoch);
    assertThat(said(again, "lobby", "two")).extracting(Envelope::seq, Envelope::epoch).containsExactly(2L, epoch);

    await().atMost(TIMEOUT).until(() -> server.connectionCount() == 1);
    server.dropAllConnections();
    assertThat(again.nextClose().code()).isEqualTo(1006);
    WsRecorder third = stubs.connect(server, "alice");
    assertThat(third.joined("lobby")).extracting(Ack::seq, Ack::epoch).containsExactly(2L, epoch);
  }

  @Test
  void resetStateStartsEveryRoomAnewOnANewEpochAndForgetsAcceptedIds() throws Exception {
    StubServer server = stubs.start(StubServer.builder());
    WsRecorder alice = stubs.connect(server, "alice");
    String lobby = alice.joined("lobby").epoch();
    String kitchen = alice.joined("kitchen").epoch();
    Envelope first = Envelope.chat("lobby", "before");
    alice.send(first);
    assertThat(alice.ownChat(first).ack()).isEqualTo(new Ack(first.id(), 1));
    alice.close();

    server.resetState();

    WsRecorder bob = stubs.connect(server, "bob");
    Ack lobbyAfter = bob.joined("lobby");
    assertThat(lobbyAfter.seq()).isZero();
    assertThat(lobbyAfter.epoch()).isNotEqualTo(lobby);
    assertThat(bob.joined("kitchen").epoch()).isNotEqualTo(kitchen);
    // The dedup memory is gone too: the same chat is a new one, with a new seq in the new stream.
    WsRecorder aliceAgain = stubs.connect(server, "alice");
    aliceAgain.joined("lobby");
    aliceAgain.send(first);
    assertThat(aliceAgain.nextWire()).isEqualTo(new Ack(first.id(), 1));
    assertThat(chat(bob)).extracting(Envelope::id, Envelope::seq, Envelope::epoch)
        .containsExactly(first.id(), 1L, lobbyAfter.epoch());
  }

  /**
   * A member whose connection outlives the reset gets the new stream from seq 1, each chat naming
   * the new epoch. Guards the subscription that dropped every seq up to its old position.
   */
  @Test
  void aMemberThatStaysConnectedGetsTheNewStreamFromSeqOneWithItsEpoch() throws Exception {
    StubServer server = stubs.start(StubServer.builder());
    WsRecorder alice = stubs.connect(server, "alice");
    WsRecorder bob = stubs.connect(server, "bob");
    String before = alice.joined("lobby").epoch();
    bob.joined("lobby");
    for (int i = 1; i <= 3; i++) {
      said(alice, "lobby", "old " + i);
      assertThat(chat(bob).seq()).isEqualTo(i);
    }

    server.resetState();

    for (int i = 1; i <= 3; i++) {
      Envelope copy = said(alice, "lobby", "new " + i);
      assertThat(copy.seq()).isEqualTo(i);
      assertThat(copy.epoch()).isNotEqualTo(before);
      assertThat(chat(bob)).isEqualTo(copy);
    }
    bob.assertNothingWithin(Duration.ofMillis(200));
  }

  @Test
  void aResumeNamingTheLostEpochGetsEpochChangedThenTheNewStreamThenTheAck() throws Exception {
    StubServer server = stubs.start(StubServer.builder());
    WsRecorder alice = stubs.connect(server, "alice");
    String old = alice.joined("lobby").epoch();
    for (int i = 1; i <= 5; i++) {
      said(alice, "lobby", "old " + i);
    }
    server.resetState();
    server.dropAllConnections();
    assertThat(alice.nextClose().code()).isEqualTo(1006);

    WsRecorder carol = stubs.connect(server, "carol");
    String current = carol.joined("lobby").epoch();
    said(carol, "lobby", "new 1");
    said(carol, "lobby", "new 2");

    // alice's position 5 is of the lost stream: she is told, and gets the new one from its start.
    WsRecorder back = stubs.connect(server, "alice");
    Envelope resume = Envelope.resume("lobby", 5, old);
    back.send(resume);
    assertThat(back.nextWire()).isEqualTo(ErrorReply.epochChanged(resume.id(), "lobby", old, current));
    assertThat(chat(back)).extracting(Envelope::seq, Envelope::text, Envelope::epoch)
        .containsExactly(1L, "new 1", current);
    assertThat(chat(back)).extracting(Envelope::seq, Envelope::text).containsExactly(2L, "new 2");
    assertThat(back.nextWire()).isEqualTo(new Ack(resume.id(), 2, current));
    // Live from there on.
    Envelope live = said(carol, "lobby", "new 3");
    assertThat(chat(back)).isEqualTo(live);
  }

  @Test
  void aMemberThatResumesWithTheLostEpochOnTheSameConnectionIsToldToo() throws Exception {
    StubServer server = stubs.start(StubServer.builder());
    WsRecorder alice = stubs.connect(server, "alice");
    String old = alice.joined("lobby").epoch();
    said(alice, "lobby", "old");
    server.resetState();
    Envelope resume = Envelope.resume("lobby", 1, old);
    alice.send(resume);
    Wire changed = alice.nextWire();
    assertThat(changed).isInstanceOfSatisfying(ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorReply.EPOCH_CHANGED);
      assertThat(e.oldEpoch()).isEqualTo(old);
      assertThat(e.newEpoch()).isNotEqualTo(old);
      assertThat(e.refused()).isFalse();
    });
    String current = ((ErrorReply) changed).newEpoch();
    assertThat(alice.nextWire()).isEqualTo(new Ack(resume.id(), 0, current));
    assertThat(said(alice, "lobby", "new")).extracting(Envelope::seq, Envelope::epoch)
        .containsExactly(1L, current);
  }

  /** What a client without epochs sees: a resume's ack below its position is its only sign. */
  @Test
  void aResumeWithoutAnEpochAfterAResetIsAckedBelowTheClientsPosition() throws Exception {
    StubServer server = stubs.start(StubServer.builder());
    WsRecorder alice = stubs.connect(server, "alice");
    alice.joined("lobby");
    for (int i = 1; i <= 5; i++) {
      said(alice, "lobby", "old " + i);
    }
    server.resetState();
    said(alice, "lobby", "new 1");

    WsRecorder bob = stubs.connect(server, "bob");
    Envelope resume = Envelope.resume("lobby", 5);
    bob.send(resume);
    Wire answer = bob.nextWire();
    assertThat(answer).isInstanceOf(Ack.class);
    assertThat(((Ack) answer).seq()).isEqualTo(1);
    bob.assertNothingWithin(Duration.ofMillis(200));
  }

  @Test
  void aNewServerOnTheSamePortHasNewEpochs() throws Exception {
    StubServer first = stubs.start(StubServer.builder());
    WsRecorder alice = stubs.connect(first, "alice");
    String before = alice.joined("lobby").epoch();
    int port = first.port();
    first.close();
    assertThat(alice.nextClose().code()).isEqualTo(1006);

    StubServer second = stubs.start(StubServer.builder().port(port));
    WsRecorder again = stubs.connect(second, "alice");
    Ack after = again.joined("lobby");
    assertThat(after.seq()).isZero();
    assertThat(after.epoch()).isNotEqualTo(before);
  }

  @Test
  void resetStateWorksWhileStoppedAndNotAfterClose() throws Exception {
    StubServer server = stubs.start(StubServer.builder());
    WsRecorder alice = stubs.connect(server, "alice");
    String before = alice.joined("lobby").epoch();
    server.stop();
    server.resetState();
    server.restart();
    WsRecorder again = stubs.connect(server, "alice");
    assertThat(again.joined("lobby").epoch()).isNotEqualTo(before);
    server.close();
    assertThatThrownBy(server::resetState).isInstanceOf(IllegalStateException.class).hasMessage("closed");
  }

  @Test
  void receivedFramesCarryTheirSenderCounterApartFromTheEnvelope() throws Exception {
    StubServer server = stubs.start(StubServer.builder());
    WsRecorder alice = stubs.connect(server, "alice");
    EnvelopeCodec codec = EnvelopeCodec.shared();
    Envelope join = Envelope.join("lobby");
    alice.send(codec.withCounter(codec.encode(join), 1));
    alice.send(join);
    alice.send("plain");
    Received counted = server.takeReceived(TIMEOUT);
    assertThat(counted.envelope()).isEqualTo(join);
    assertThat(counted.n()).isEqualTo(1);
    assertThat(server.takeReceived(TIMEOUT)).extracting(Received::envelope, Received::n).containsExactly(join, 0L);
    assertThat(server.takeReceived(TIMEOUT).n()).isZero();
  }
}

package dev.tether.stub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.ErrorReply;
import dev.tether.api.Wire;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code resume}: join plus replay of the room's history after a seq, then an ack. */
class ResumeTest {
  @RegisterExtension final Stubs stubs = new Stubs();

  /** Sends chats {@code texts} from a member and consumes its acks and own copies. */
  private static void say(WsRecorder member, String room, String... texts) throws Exception {
    for (String text : texts) {
      Envelope chat = Envelope.chat(room, text);
      member.send(chat);
      member.ownChat(chat).ack();
    }
  }

  private static Envelope nextChat(WsRecorder client) throws Exception {
    Wire wire = client.nextWire();
    assertThat(wire).isInstanceOf(Envelope.class);
    return (Envelope) wire;
  }

  @Test
  void resumeReplaysMissedChatsInOrderThenAcksWithLatest() throws Exception {
    StubServer server = stubs.start(StubServer.builder());
    WsRecorder alice = stubs.connect(server, "alice");
    WsRecorder bob = stubs.connect(server, "bob");
    String epoch = alice.joined("lobby").epoch();
    bob.joined("lobby");
    say(alice, "lobby", "one");
    assertThat(nextChat(bob).seq()).isEqualTo(1);
    bob.close();
    say(alice, "lobby", "two", "three");

    WsRecorder bobAgain = stubs.connect(server, "bob");
    Envelope resume = Envelope.resume("lobby", 1);
    bobAgain.send(resume);

    Envelope two = nextChat(bobAgain);
    assertThat(two.seq()).isEqualTo(2);
    assertThat(two.text()).isEqualTo("two");
    assertThat(two.from()).isEqualTo("alice");
    Envelope three = nextChat(bobAgain);
    assertThat(three.seq()).isEqualTo(3);
    assertThat(three.text()).isEqualTo("three");
    assertThat(three.epoch()).isEqualTo(epoch);
    assertThat(bobAgain.nextWire()).isEqualTo(new Ack(resume.id(), 3, epoch));
  }

  @Test
  void resumeWithoutJoinMakesTheConnectionAMember() throws Exception {
    StubServer server = stubs.start(StubServer.builder());
    WsRecorder bob = stubs.connect(server, "bob");
    Envelope resume = Envelope.resume("lobby", 0);
    bob.send(resume);
    Wire resumed = bob.nextWire();
    assertThat(resumed).isInstanceOf(Ack.class).extracting(a -> ((Ack) a).seq()).isEqualTo(0L);

    WsRecorder alice = stubs.connect(server, "alice");
    assertThat(alice.joined("lobby").epoch()).isEqualTo(((Ack) resumed).epoch());
    say(alice, "lobby", "live");
    Envelope live = nextChat(bob);
    assertThat(live.seq()).isEqualTo(1);
    assertThat(live.text()).isEqualTo("live");

    // and bob may chat in it: no not_member
    Envelope reply = Envelope.chat("lobby", "heard you");
    bob.send(reply);
    assertThat(bob.ownChat(reply).ack()).isEqualTo(new Ack(reply.id(), 2));
  }

  @Test
  void resumeFromLatestOrBeyondReplaysNothing() throws Exception {
    StubServer server = stubs.start(StubServer.builder());
    WsRecorder alice = stubs.connect(server, "alice");
    String epoch = alice.joined("lobby").epoch();
    say(alice, "lobby", "one", "two");

    WsRecorder bob = stubs.connect(server, "bob");
    for (long after : new long[] {2, 5, Long.MAX_VALUE}) {
      Envelope resume = Envelope.resume("lobby", after);
      bob.send(resume);
      assertThat(bob.nextWire()).as("after " + after).isEqualTo(new Ack(resume.id(), 2, epoch));
    }
    Envelope unknownRoom = Envelope.resume("attic", 7);
    bob.send(unknownRoom);
    assertThat(bob.nextWire()).isInstanceOfSatisfying(Ack.class, a -> {
      assertThat(a).extracting(Ack::id, Ack::seq).containsExactly(unknownRoom.id(), 0L);
      assertThat(a.epoch()).isNotEmpty().isNotEqualTo(epoch);
    });
    bob.assertNothingWithin(Duration.ofMillis(100));
  }

  @Test
  void resumeBeyondTheHistoryReportsTheGapThenReplaysWhatIsHeld() throws Exception {
    StubServer server = stubs.start(StubServer.builder().historyPerRoom(5));
    WsRecorder alice = stubs.connect(server, "alice");
    String epoch = alice.joined("lobby").epoch();
    for (int i = 1; i <= 12; i++) {
      say(alice, "lobby", "m" + i);
    }

    WsRecorder bob = stubs.connect(server, "bob");
    Envelope resume = Envelope.resume("lobby", 1);
    bob.send(resume);

    ErrorReply gap = (ErrorReply) bob.nextWire();
    assertThat(gap).isEqualTo(ErrorReply.historyGap(resume.id(), "lobby", 2, 7));
    assertThat(gap.code()).isEqualTo("history_gap");
    for (int seq = 8; seq <= 12; seq++) {
      Envelope chat = nextChat(bob);
      assertThat(chat.seq()).isEqualTo(seq);
      assertThat(chat.text()).isEqualTo("m" + seq);
    }
    assertThat(bob.nextWire()).isEqualTo(new Ack(resume.id(), 12, epoch));
  }

  @Test
  void resumeRightAfterTheHistoryHasNoGap() throws Exception {
    StubServer server = stubs.start(StubServer.builder().historyPerRoom(5));
    WsRecorder alice = stubs.connect(server, "alice");
    alice.joined("lobby");
    for (int i = 1; i <= 12; i++) {
      say(alice, "lobby", "m" + i);
    }

    WsRecorder bob = stubs.connect(server, "bob");
    Envelope resume = Envelope.resume("lobby", 7);
    bob.send(resume);
    assertThat(nextChat(bob).seq()).isEqualTo(8);
  }

  @Test
  void resumeIsNotDeduplicated() throws Exception {
    StubServer server = stubs.start(StubServer.builder());
    WsRecorder alice = stubs.connect(server, "alice");
    String epoch = alice.joined("lobby").epoch();
    say(alice, "lobby", "one");

    WsRecorder bob = stubs.connect(server, "bob");
    Envelope resume = Envelope.resume("lobby", 0);
    for (int i = 0; i < 2; i++) {
      bob.send(resume);
      assertThat(nextChat(bob).seq()).isEqualTo(1);
      assertThat(bob.nextWire()).isEqualTo(new Ack(resume.id(), 1, epoch));
    }
  }

  @Test
  void resumeAfterRestartReplaysTheKeptHistory() throws Exception {
    StubServer server = stubs.start(StubServer.builder());
    WsRecorder alice = stubs.connect(server, "alice");
    String epoch = alice.joined("lobby").epoch();
    say(alice, "lobby", "one", "two", "three");

    server.restart();
    assertThat(alice.nextClose().code()).isEqualTo(1006);

    WsRecorder again = stubs.connect(server, "alice");
    // The stream goes on across the restart: same epoch, so no epoch_changed.
    Envelope resume = Envelope.resume("lobby", 1, epoch);
    again.send(resume);
    assertThat(nextChat(again).text()).isEqualTo("two");
    assertThat(nextChat(again).text()).isEqualTo("three");
    assertThat(again.nextWire()).isEqualTo(new Ack(resume.id(), 3, epoch));
  }
}

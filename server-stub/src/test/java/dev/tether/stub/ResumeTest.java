package dev.tether.stub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.ErrorReply;
import dev.tether.api.Wire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code resume}: join plus replay of the room's history after a seq, then an ack. */
class ResumeTest {
  private final List<StubServer> servers = new ArrayList<>();
  private final List<WsRecorder> clients = new ArrayList<>();

  @AfterEach
  void tearDown() {
    clients.forEach(WsRecorder::close);
    servers.forEach(StubServer::close);
  }

  private StubServer start(StubServer.Builder builder) {
    StubServer server = builder.start();
    servers.add(server);
    return server;
  }

  private WsRecorder connect(StubServer server, String user) throws Exception {
    WsRecorder client = WsRecorder.connect(server.uri(), user);
    clients.add(client);
    return client;
  }

  /** Joins; returns the room's epoch, named by the join's ack. */
  private static String join(WsRecorder client, String room) throws Exception {
    Envelope join = Envelope.join(room);
    client.send(join);
    Wire w = client.nextWire();
    assertThat(w).isInstanceOf(Ack.class).extracting(a -> ((Ack) a).id()).isEqualTo(join.id());
    assertThat(((Ack) w).epoch()).isNotEmpty();
    return ((Ack) w).epoch();
  }

  /** Sends chats {@code texts} from a member and consumes its acks and own copies. */
  private static void say(WsRecorder member, String room, String... texts) throws Exception {
    for (String text : texts) {
      Envelope chat = Envelope.chat(room, text);
      member.send(chat);
      assertThat(member.nextWire()).isInstanceOf(Ack.class);
      assertThat(((Envelope) member.nextWire()).id()).isEqualTo(chat.id());
    }
  }

  private static Envelope nextChat(WsRecorder client) throws Exception {
    Wire wire = client.nextWire();
    assertThat(wire).isInstanceOf(Envelope.class);
    return (Envelope) wire;
  }

  @Test
  void resumeReplaysMissedChatsInOrderThenAcksWithLatest() throws Exception {
    StubServer server = start(StubServer.builder());
    WsRecorder alice = connect(server, "alice");
    WsRecorder bob = connect(server, "bob");
    String epoch = join(alice, "lobby");
    join(bob, "lobby");
    say(alice, "lobby", "one");
    assertThat(nextChat(bob).seq()).isEqualTo(1);
    bob.close();
    say(alice, "lobby", "two", "three");

    WsRecorder bobAgain = connect(server, "bob");
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
    StubServer server = start(StubServer.builder());
    WsRecorder bob = connect(server, "bob");
    Envelope resume = Envelope.resume("lobby", 0);
    bob.send(resume);
    Wire resumed = bob.nextWire();
    assertThat(resumed).isInstanceOf(Ack.class).extracting(a -> ((Ack) a).seq()).isEqualTo(0L);

    WsRecorder alice = connect(server, "alice");
    assertThat(join(alice, "lobby")).isEqualTo(((Ack) resumed).epoch());
    say(alice, "lobby", "live");
    Envelope live = nextChat(bob);
    assertThat(live.seq()).isEqualTo(1);
    assertThat(live.text()).isEqualTo("live");

    // and bob may chat in it: no not_member
    Envelope reply = Envelope.chat("lobby", "heard you");
    bob.send(reply);
    assertThat(bob.nextWire()).isEqualTo(new Ack(reply.id(), 2));
  }

  @Test
  void resumeFromLatestOrBeyondReplaysNothing() throws Exception {
    StubServer server = start(StubServer.builder());
    WsRecorder alice = connect(server, "alice");
    String epoch = join(alice, "lobby");
    say(alice, "lobby", "one", "two");

    WsRecorder bob = connect(server, "bob");
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
    StubServer server = start(StubServer.builder().historyPerRoom(5));
    WsRecorder alice = connect(server, "alice");
    String epoch = join(alice, "lobby");
    for (int i = 1; i <= 12; i++) {
      say(alice, "lobby", "m" + i);
    }

    WsRecorder bob = connect(server, "bob");
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
    StubServer server = start(StubServer.builder().historyPerRoom(5));
    WsRecorder alice = connect(server, "alice");
    join(alice, "lobby");
    for (int i = 1; i <= 12; i++) {
      say(alice, "lobby", "m" + i);
    }

    WsRecorder bob = connect(server, "bob");
    Envelope resume = Envelope.resume("lobby", 7);
    bob.send(resume);
    assertThat(nextChat(bob).seq()).isEqualTo(8);
  }

  @Test
  void resumeIsNotDeduplicated() throws Exception {
    StubServer server = start(StubServer.builder());
    WsRecorder alice = connect(server, "alice");
    String epoch = join(alice, "lobby");
    say(alice, "lobby", "one");

    WsRecorder bob = connect(server, "bob");
    Envelope resume = Envelope.resume("lobby", 0);
    for (int i = 0; i < 2; i++) {
      bob.send(resume);
      assertThat(nextChat(bob).seq()).isEqualTo(1);
      assertThat(bob.nextWire()).isEqualTo(new Ack(resume.id(), 1, epoch));
    }
  }

  @Test
  void resumeAfterRestartReplaysTheKeptHistory() throws Exception {
    StubServer server = start(StubServer.builder());
    WsRecorder alice = connect(server, "alice");
    String epoch = join(alice, "lobby");
    say(alice, "lobby", "one", "two", "three");

    server.restart();
    assertThat(alice.nextClose().code()).isEqualTo(1006);

    WsRecorder again = connect(server, "alice");
    // The stream goes on across the restart: same epoch, so no epoch_changed.
    Envelope resume = Envelope.resume("lobby", 1, epoch);
    again.send(resume);
    assertThat(nextChat(again).text()).isEqualTo("two");
    assertThat(nextChat(again).text()).isEqualTo("three");
    assertThat(again.nextWire()).isEqualTo(new Ack(resume.id(), 3, epoch));
  }
}

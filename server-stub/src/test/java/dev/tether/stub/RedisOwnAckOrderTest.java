package dev.tether.stub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.ErrorReply;
import dev.tether.api.Wire;
import dev.tether.api.WireRules;
import dev.tether.server.TetherServer;
import dev.tether.server.internal.RedisRoomStore;
import io.lettuce.core.RedisURI;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Protocol v2 on a cluster node whose {@link RedisRoomStore} feed is behind Redis: the ack of a
 * member's own chat comes from the chat script's reply, the chats stored before it reach the node
 * through pub/sub (or the feed's catch-up read after a reconnect), and the two race. PROTOCOL.md
 * v2 rule 2 says the ack comes at the chat's place in the room's order on the sender's connection;
 * an ack carrying its chat that came ahead of chats stored before it is a seq jump for the client,
 * whose resume then raced the catch-up (ANALYSIS.md finding 6: 15 chats reported by {@code onGap}
 * although Redis held them). The node's pub/sub connection goes through a {@link FaultProxy} so
 * that the feed's lag is made, not hoped for; the command connection goes straight to Redis.
 */
class RedisOwnAckOrderTest {
  private static final Duration LONG = Duration.ofMinutes(2);
  /** Far beyond the test: the probe must not replace the wedged pub/sub connection by itself. */
  private static final Duration NO_PROBE = Duration.ofMinutes(30);

  private LocalRedis redis;
  private FaultProxy pubSub;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void startRedis() {
    redis = LocalRedis.builder().persistent(true).start();
    pubSub = FaultProxy.start(redis.uri());
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    pubSub.close();
    redis.close();
  }

  /** A node on {@link #redis} whose pub/sub goes through {@link #pubSub}; its ws:// URI. */
  private URI node() {
    return listen(store());
  }

  private RedisRoomStore store() {
    return RedisRoomStore.open(RedisRoomStore.Options.of(redis.uri()).withProbeInterval(NO_PROBE)
        .withFirstPubSub(RedisURI.create(pubSub.uri().toString())));
  }

  private URI listen(RedisRoomStore store) {
    TetherServer server = TetherServer.builder().store(store).rateLimit(0).build();
    closing.add(server);
    return server.listen("127.0.0.1", 0).uri();
  }

  /** A member of {@code room} on {@code node}: protocol v2 if {@code v2}, else v1. */
  private Member member(URI node, String user, boolean v2, String room) throws Exception {
    WsRecorder c = v2
        ? WsRecorder.connect(URI.create(node + "?user=" + user),
            Map.of("Sec-WebSocket-Protocol", List.of(WireRules.PROTOCOL_V2)))
        : WsRecorder.connect(node, user);
    closing.add(c::close);
    Member m = new Member(user, c);
    Envelope join = Envelope.join(room);
    c.send(join);
    Wire answer = c.nextWire();
    assertThat(answer).isInstanceOfSatisfying(Ack.class, ack -> assertThat(ack.id()).isEqualTo(join.id()));
    m.epoch = ((Ack) answer).epoch();
    m.position = ((Ack) answer).seq();
    return m;
  }

  @Test
  void aV2AckComesAfterTheChatsStoredBeforeItWhileTheNodesFeedIsBehind() throws Exception {
    URI a = node();
    Member alice = member(a, "alice", true, "lobby");
    Member bob = member(a, "bob", false, "lobby");

    pubSub.blackhole(); // node A stores and acks, and hears nothing of what it stored
    for (int i = 1; i <= 3; i++) {
      assertThat(bob.chat("lobby", "b" + i)).isEqualTo(i);
    }
    assertThat(alice.chat("lobby", "a1")).isEqualTo(4);
    pubSub.heal();

    alice.awaitPosition(4);
    bob.awaitPosition(4);
    System.out.println("v2 ack while node A's feed was 3 chats behind: alice got " + alice.frames);
    assertThat(alice.delivered).containsExactly("b1", "b2", "b3", "a1");
    assertThat(bob.delivered).containsExactly("b1", "b2", "b3", "a1");
    alice.assertNothingMore(); // no second copy of anything
  }

  @Test
  void aV2AckStillStandsForItsCopyWhenTheNodeHasEveryChatBeforeIt() throws Exception {
    URI a = node();
    Member alice = member(a, "alice", true, "lobby");
    Member bob = member(a, "bob", false, "lobby");
    assertThat(bob.chat("lobby", "b1")).isEqualTo(1);
    alice.awaitPosition(1);

    pubSub.blackhole(); // the copy of alice's chat cannot reach node A before its ack
    assertThat(alice.chat("lobby", "a1")).isEqualTo(2);
    assertThat(alice.frames).last().isEqualTo("ack+chat 2");
    assertThat(alice.delivered).containsExactly("b1", "a1");
    pubSub.heal();
    bob.awaitPosition(2);
    System.out.println("v2 ack with node A's feed caught up: alice got " + alice.frames);
    alice.assertNothingMore(); // the copy that came through the feed is not sent to her
  }

  @Test
  void afterARedisRestartAV2MemberWhoseConnectionStayedOpenGetsEveryChatInOrder() throws Exception {
    RedisRoomStore store = store();
    URI a = listen(store);
    Member alice = member(a, "alice", true, "lobby");
    Member bob = member(a, "bob", false, "lobby");
    Member carol = member(a, "carol", false, "lobby");
    assertThat(bob.chat("lobby", "b1")).isEqualTo(1);
    assertThat(carol.chat("lobby", "c1")).isEqualTo(2);
    assertThat(alice.chat("lobby", "a1")).isEqualTo(3);
    for (Member m : List.of(alice, bob, carol)) {
      m.awaitPosition(3);
    }

    // The node's subscription hears nothing from here until after the restart: its catch-up
    // comes after the chats below are stored and acked, however the reconnects race.
    pubSub.blackhole();
    redis.stop(); // SIGTERM; its data is kept (appendfsync always)
    await().atMost(LONG).until(() -> !store.connected());
    Envelope b2 = Envelope.chat("lobby", "b2");
    Envelope a2 = Envelope.chat("lobby", "a2");
    assertThat(bob.answer(b2)).isInstanceOfSatisfying(ErrorReply.class,
        e -> assertThat(e.code()).isEqualTo(ErrorReply.UNAVAILABLE));
    assertThat(alice.answer(a2)).isInstanceOfSatisfying(ErrorReply.class,
        e -> assertThat(e.code()).isEqualTo(ErrorReply.UNAVAILABLE));
    redis.startAgain();
    await().atMost(LONG).until(store::connected);
    assertThat(bob.answer(b2)).isEqualTo(new Ack(b2.id(), 4)); // sent again, as the client rules say
    assertThat(carol.chat("lobby", "c2")).isEqualTo(5);
    assertThat(alice.answer(a2)).isInstanceOfSatisfying(Ack.class, ack -> assertThat(ack.seq()).isEqualTo(6));
    assertThat(alice.chat("lobby", "a3")).isEqualTo(7);
    pubSub.heal();

    for (Member m : List.of(alice, bob, carol)) {
      m.awaitPosition(7);
      System.out.println("Redis restarted, feed behind: " + m.user + " got " + m.frames);
      assertThat(m.delivered).containsExactly("b1", "c1", "a1", "b2", "c2", "a2", "a3");
    }
    alice.assertNothingMore();
  }

  /**
   * One member's connection as its app would see it by PROTOCOL.md's rules for clients, on a
   * connection that stays open: chat frames, and (protocol v2) acks that carry the member's own
   * chat, deliver in seq order. Anything that would be a seq jump, an error other than the ones a
   * test asks for, or a frame of another epoch fails the test: nothing was lost on this connection,
   * so nothing may arrive ahead of its place.
   */
  private static final class Member {
    final String user;
    final WsRecorder c;
    String epoch;
    long position;
    /** The own chats sent, by id: what an ack carrying a chat delivers. */
    final Map<String, Envelope> sent = new HashMap<>();
    final List<String> delivered = new ArrayList<>();
    final List<String> frames = new ArrayList<>();

    Member(String user, WsRecorder c) {
      this.user = user;
      this.c = c;
    }

    /** Sends a new chat and takes frames until it is acked; its seq. */
    long chat(String room, String text) throws Exception {
      Wire answer = answer(Envelope.chat(room, text));
      assertThat(answer).as(user + "'s answer to " + text).isInstanceOf(Ack.class);
      return ((Ack) answer).seq();
    }

    /** Sends {@code chat} and takes frames until its answer comes; the answer. */
    Wire answer(Envelope chat) throws Exception {
      sent.put(chat.id(), chat);
      c.send(chat);
      while (true) {
        Wire w = c.nextWire();
        if (w instanceof ErrorReply e && chat.id().equals(e.id())) {
          frames.add("error " + e.code());
          return e;
        }
        take(w);
        if (w instanceof Ack ack && chat.id().equals(ack.id())) {
          return ack;
        }
      }
    }

    void awaitPosition(long seq) throws Exception {
      while (position < seq) {
        take(c.nextWire());
      }
    }

    void assertNothingMore() throws InterruptedException {
      c.assertNothingWithin(Duration.ofMillis(300));
    }

    private void take(Wire w) {
      if (w instanceof Envelope chat && chat.type() == Envelope.Type.CHAT) {
        frames.add("chat " + chat.seq());
        deliver(chat.seq(), chat.epoch(), chat.text(), "chat frame");
      } else if (w instanceof Ack ack && ack.carriesChat()) {
        frames.add("ack+chat " + ack.seq());
        Envelope own = sent.get(ack.id());
        assertThat(own).as("the chat " + user + " sent with id " + ack.id()).isNotNull();
        deliver(ack.seq(), ack.epoch(), own.text(), "ack carrying " + user + "'s chat");
      } else if (w instanceof Ack ack) {
        frames.add("ack " + ack.seq());
      } else {
        fail(user + " got " + w + " after " + frames);
      }
    }

    private void deliver(long seq, String chatEpoch, String text, String what) {
      assertThat(chatEpoch).as(what + " " + seq).isEqualTo(epoch);
      if (seq <= position) {
        return; // a duplicate by seq
      }
      if (seq != position + 1) {
        fail(what + " at seq " + seq + " while " + user + " had seq " + position + ": a seq jump on a connection"
            + " that lost nothing (frames so far " + frames + ")");
      }
      position = seq;
      delivered.add(text);
    }
  }
}

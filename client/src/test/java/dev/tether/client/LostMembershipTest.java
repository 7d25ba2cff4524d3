package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.DeliveryState;
import dev.tether.api.Envelope;
import dev.tether.api.RejectedException;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.Received;
import dev.tether.stub.StubServer;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A {@code not_member} for a room the client is in (it joined and did not leave) means the server
 * lost the membership: the client resumes the room and writes the chat again, with its id, so it
 * is taken once and in its sender's order, and its future does not fail. Only a chat in a room the
 * app left or never joined fails with {@code not_member}. Guards the soak's finding 3
 * (soak/ANALYSIS.md): chats refused after a resume was lost on a link failed the app's messages.
 */
class LostMembershipTest {
  private static final String ROOM = "lobby";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();

  /** Chats of one room as a member sees them, and delivery states of the sender's envelopes. */
  private static final class Member implements SocketDelegate {
    final List<Envelope> chats = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final List<String> states = new CopyOnWriteArrayList<>();

    @Override
    public void onEnvelope(TetherSocket socket, Envelope e) {
      if (e.type() == Envelope.Type.CHAT) {
        chats.add(e);
      }
    }

    @Override
    public void onFailure(TetherSocket socket, Throwable error) {
      failures.add(String.valueOf(error));
    }

    @Override
    public void onDeliveryState(TetherSocket socket, Envelope envelope, DeliveryState state) {
      if (envelope.type() == Envelope.Type.CHAT) {
        states.add(envelope.text() + " " + state);
      }
    }

    List<String> texts() {
      return chats.stream().map(Envelope::text).toList();
    }
  }

  private TetherClient member(URI server, String user, Member delegate) throws Exception {
    TetherClient c = stub.client(TetherClient.builder(URI.create(server + "?user=" + user)).delegate(delegate));
    c.open();
    c.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    return c;
  }

  /** Every frame the server received so far. */
  private static List<Received> received(StubServer server) throws InterruptedException {
    List<Received> out = new ArrayList<>();
    try {
      while (true) {
        out.add(server.takeReceived(Duration.ofMillis(100)));
      }
    } catch (TimeoutException allTaken) {
      return out;
    }
  }

  private static List<String> texts(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      out.add("m" + i);
    }
    return out;
  }

  @Test
  void chatsRefusedNotMemberInARoomTheClientIsInAreResentAfterAResumeAndDeliveredOnceInOrder() throws Exception {
    StubServer server = stub.server();
    Member bob = new Member();
    member(server.uri(), "bob", bob);
    Member alice = new Member();
    TetherClient a = member(server.uri(), "alice", alice);
    a.send(Envelope.chat(ROOM, "before")).get(10, TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> alice.chats.size() == 1 && bob.chats.size() == 1);

    assertThat(server.dropMembership("alice", ROOM)).isEqualTo(1);
    List<CompletableFuture<Ack>> futures = new ArrayList<>();
    for (String text : texts(20)) {
      futures.add(a.send(Envelope.chat(ROOM, text)));
    }
    List<Long> seqs = new ArrayList<>();
    for (CompletableFuture<Ack> f : futures) {
      seqs.add(f.get(WAIT.toSeconds(), TimeUnit.SECONDS).seq());
    }
    assertThat(seqs).as("taken in send order").isSorted().doesNotHaveDuplicates();

    List<String> expected = new ArrayList<>(List.of("before"));
    expected.addAll(texts(20));
    await().atMost(WAIT).untilAsserted(() -> assertThat(bob.texts()).isEqualTo(expected));
    await().atMost(WAIT).untilAsserted(() -> assertThat(alice.texts()).as("alice's own copies, after the resume")
        .isEqualTo(expected));
    assertThat(alice.failures).isEmpty();
    assertThat(alice.states).doesNotContain("m1 FAILED").contains("m1 QUEUED");
    List<String> resumed = new ArrayList<>();
    for (Received r : received(server)) {
      if ("alice".equals(r.user()) && r.envelope() != null && r.envelope().type() == Envelope.Type.RESUME) {
        resumed.add(r.envelope().room());
      }
    }
    assertThat(resumed).as("alice's resumes").containsExactly(ROOM);
  }

  @Test
  void aResumeLostOnALinkThatDropsFramesDoesNotFailTheChatsAfterIt() throws Exception {
    // A server that does not count frames (no out_of_order) cannot tell the client its resume was lost.
    LegacyServer legacy = stub.closeAfter(LegacyServer.start());
    FaultProxy link = stub.closeAfter(FaultProxy.start(legacy.uri()));
    Member bob = new Member();
    member(legacy.uri(), "bob", bob);
    Member alice = new Member();
    TetherClient a = stub.client(TetherClient.builder(URI.create(link.uri() + "?user=alice")).delegate(alice)
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(200))));
    a.open();
    a.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);

    link.dropNextFrames(1); // alice is idle: the next message she writes is the resume after the cut
    link.cutAll();
    await().atMost(WAIT).until(() -> a.stats().reconnects() == 1 && link.droppedFrames() == 1);
    List<CompletableFuture<Ack>> futures = new ArrayList<>();
    for (String text : texts(10)) {
      futures.add(a.send(Envelope.chat(ROOM, text)));
    }
    for (CompletableFuture<Ack> f : futures) {
      f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    await().atMost(WAIT).untilAsserted(() -> assertThat(bob.texts()).isEqualTo(texts(10)));
    await().atMost(WAIT).untilAsserted(() -> assertThat(alice.texts()).isEqualTo(texts(10)));
    assertThat(alice.failures).as("only the cut").noneMatch(f -> f.contains("not_member"));
  }

  @Test
  void aChatInARoomTheAppLeftFailsWithNotMember() throws Exception {
    StubServer server = stub.server();
    Member alice = new Member();
    TetherClient a = member(server.uri(), "alice", alice);
    a.send(Envelope.leave(ROOM)).get(10, TimeUnit.SECONDS);
    CompletableFuture<Ack> f = a.send(Envelope.chat(ROOM, "after leaving"));
    assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(RejectedException.class)
        .satisfies(e -> assertThat(((RejectedException) e).code()).isEqualTo("not_member"));
    // The future completes on the reading thread, not in order with onDeliveryState (TetherSocket.send).
    await().atMost(WAIT).untilAsserted(() ->
        assertThat(alice.states).containsExactly("after leaving SENT", "after leaving FAILED"));
  }

  @Test
  void aChatStillRefusedAfterThreeResumesFailsWithNotMember() throws Exception {
    LegacyServer legacy = stub.closeAfter(LegacyServer.start());
    Member alice = new Member();
    TetherClient a = member(legacy.uri(), "alice", alice);
    legacy.refuseChatsIn(ROOM);
    CompletableFuture<Ack> f = a.send(Envelope.chat(ROOM, "refused"));
    assertThatThrownBy(() -> f.get(WAIT.toSeconds(), TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(RejectedException.class)
        .satisfies(e -> assertThat(((RejectedException) e).code()).isEqualTo("not_member"));
    await().atMost(WAIT).untilAsserted(() -> assertThat(alice.states).as("written once, then again after each of 3 resumes")
        .containsExactly("refused SENT", "refused QUEUED", "refused SENT", "refused QUEUED", "refused SENT",
            "refused QUEUED", "refused SENT", "refused FAILED"));
  }
}

package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.WireRules;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a connection may make the server hold, measured as the member queue's javadoc says: text in
 * UTF-8 bytes, and a resume's history read in pages bounded by bytes as well as by count.
 */
class MemberQueueTest {
  private TetherServer server;
  private final List<WsClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() {
    clients.forEach(WsClient::close);
    if (server != null) {
      server.close();
    }
  }

  private URI start(TetherServer.Builder builder) {
    server = builder.build();
    return server.listen("127.0.0.1", 0).uri();
  }

  private WsClient connect(URI uri, String user) throws Exception {
    WsClient c = WsClient.connect(TyrusClients.container(), URI.create(uri + "?user=" + user), Map.of());
    clients.add(c);
    return c;
  }

  private static void join(WsClient c, String room) throws Exception {
    Envelope join = Envelope.join(room);
    c.send(join);
    assertThat(((Ack) c.nextWire()).id()).isEqualTo(join.id());
  }

  /** Sends a chat and takes its ack and the sender's own copy; returns the copy. */
  private static Envelope said(WsClient c, String room, String text) throws Exception {
    Envelope chat = Envelope.chat(room, text);
    c.send(chat);
    return c.ownChat(chat).copy();
  }

  /** Guards review 11 finding 10: a replay read 100 chats a page whatever their size (100 MiB by default). */
  @Test
  void aResumeReadsTheHistoryInPagesOfAtMostHalfTheMemberQueuesBytes() throws Exception {
    GatedStore store = new GatedStore(RoomStore.inMemory());
    long queueBytes = 64 * 1024;
    URI uri = start(TetherServer.builder().store(store).memberQueue(4096, queueBytes));
    WsClient alice = connect(uri, "alice");
    join(alice, "lobby");
    int chats = 60;
    for (int i = 1; i <= chats; i++) {
      said(alice, "lobby", i + " " + "x".repeat(5_000));
    }
    WsClient bob = connect(uri, "bob");
    Envelope resume = Envelope.resume("lobby", 0);
    bob.send(resume);
    for (long seq = 1; seq <= chats; seq++) {
      assertThat(((Envelope) bob.nextWire()).seq()).isEqualTo(seq);
    }
    assertThat(bob.nextWire()).isInstanceOfSatisfying(Ack.class,
        a -> assertThat(a).extracting(Ack::id, Ack::seq).containsExactly(resume.id(), (long) chats));
    List<Long> pages = store.pageBytes();
    System.out.printf("a replay of %d chats of 5 KB read %d pages of at most %,d bytes: %s%n", chats,
        pages.size(), queueBytes / 2, pages);
    assertThat(pages).allSatisfy(bytes -> assertThat(bytes).isLessThanOrEqualTo(queueBytes / 2));
    assertThat(pages.stream().mapToLong(Long::longValue).sum()).isGreaterThan(chats * 5_000L);
  }

  /**
   * Guards review 11 finding 10: the member queue counted a text frame's chars as its bytes, which
   * is a half or a third of what non-ASCII text takes. Chats held for a member whose replay waits
   * are counted in the queue without being sent, so the bound is met exactly where it lies.
   */
  @Test
  void theMemberQueueCountsTextInUtf8Bytes() throws Exception {
    GatedStore store = new GatedStore(RoomStore.inMemory());
    URI uri = start(TetherServer.builder().store(store).memberQueue(4096, 5_000));
    WsClient alice = connect(uri, "alice");
    join(alice, "lobby");
    said(alice, "lobby", "before");
    store.hold(after -> true);
    WsClient bob = connect(uri, "bob");
    bob.send(Envelope.resume("lobby", 0));
    await().atMost(WsClient.TIMEOUT).until(() -> store.heldReads() == 1);

    String text = "é".repeat(1_000); // 1,000 chars, 2,000 bytes of UTF-8
    String frame = dev.tether.api.EnvelopeCodec.shared().encode(said(alice, "lobby", text));
    long bytes = WireRules.utf8Length(frame);
    assertThat(bytes).isBetween(2_000L, 2_500L); // in chars, under 1,500
    said(alice, "lobby", text);
    // Two held chats take under 5,000 bytes: bob stays.
    assertThat(server.stats().slowMembersClosed()).isZero();
    said(alice, "lobby", text);
    // The third passes 5,000 bytes (in chars, under 4,500: it would have fit).
    await().atMost(WsClient.TIMEOUT).until(() -> server.stats().slowMembersClosed() == 1);
    store.release();
    assertThat(bob.nextClose().code()).isEqualTo(1013);
  }

  /**
   * Guards review 11 finding 12: the server logged a slow member from the queue's overflow, under
   * the room's lock (and the memory store's, which every sender to the room waits for), writing to
   * a console synchronously. The line is written by a send thread ({@code tether-server-N-i}),
   * where no lock is held, not by the connection thread that fanned the chat out.
   */
  @Test
  void aSlowMemberIsLoggedOnASendThreadNotUnderTheRoomsLock() throws Exception {
    GatedStore store = new GatedStore(RoomStore.inMemory());
    // Bob's bound falls at his third held chat (each a frame of about 1,150 bytes); alice's own
    // queue, an ack and a copy or two in flight, stays under it.
    URI uri = start(TetherServer.builder().store(store).memberQueue(4096, 3_000));
    WsClient alice = connect(uri, "alice");
    join(alice, "lobby");
    said(alice, "lobby", "before");
    store.hold(after -> true);
    WsClient bob = connect(uri, "bob");
    bob.send(Envelope.resume("lobby", 0));
    await().atMost(WsClient.TIMEOUT).until(() -> store.heldReads() == 1);
    java.io.PrintStream old = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    String line;
    try {
      for (int i = 0; i < 3; i++) {
        said(alice, "lobby", i + " " + "x".repeat(1_000)); // the third passes bob's 3,000 bytes
      }
      await().atMost(WsClient.TIMEOUT).until(() -> err.toString(java.nio.charset.StandardCharsets.UTF_8)
          .contains("does not read fast enough"));
      line = err.toString(java.nio.charset.StandardCharsets.UTF_8).lines()
          .filter(l -> l.contains("does not read fast enough")).findFirst().orElseThrow();
    } finally {
      System.setErr(old);
    }
    store.release();
    System.out.println("logged: " + line);
    assertThat(line).startsWith("[tether-server-").contains("Peer{bob,").contains("bytes > 3000");
    assertThat(server.stats().slowMembersClosed()).isEqualTo(1);
  }
}

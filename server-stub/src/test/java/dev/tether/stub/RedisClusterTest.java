package dev.tether.stub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Envelope;
import dev.tether.server.RoomStore;
import dev.tether.server.TetherServer;
import dev.tether.server.internal.RedisRoomStore;
import dev.tether.stub.ClusterClient.Delivered;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several {@link TetherServer}s on one real Redis ({@code RoomStore.redis}), with clients on
 * different nodes, through the faults a cluster meets: a node killed with SIGKILL, Redis restarted
 * empty, frozen, or down, a wedged subscription, a lost script cache, a member that stops reading.
 * Each case prints its figures. Clients are {@link ClusterClient}s: PROTOCOL.md's rules for
 * clients on raw frames, failing over between node URIs.
 */
class RedisClusterTest {
  private static final Duration LONG = Duration.ofMinutes(2);
  private static final dev.tether.api.EnvelopeCodec CODEC = dev.tether.api.EnvelopeCodec.shared();

  @TempDir Path dir;
  private LocalRedis redis;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();

  @BeforeEach
  void startRedis() {
    redis = LocalRedis.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    for (Process p : processes) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    if (redis != null) {
      redis.close();
    }
  }

  private <T extends AutoCloseable> T closeLater(T t) {
    closing.add(t);
    return t;
  }

  /** A node on {@link #redis}, listening on a free port; its ws:// URI. */
  private URI node(UnaryOperator<TetherServer.Builder> tune) {
    return node(tune, RoomStore.redis(redis.uri()));
  }

  private URI node(UnaryOperator<TetherServer.Builder> tune, RoomStore store) {
    TetherServer server = closeLater(tune.apply(TetherServer.builder().store(store).rateLimit(0)).build());
    lastServer = server;
    return server.listen("127.0.0.1", 0).uri();
  }

  private TetherServer lastServer;

  private ClusterClient client(String user, List<String> rooms, URI... nodes) {
    return closeLater(new ClusterClient(user, Arrays.asList(nodes), rooms)).start();
  }

  private static void awaitReady(ClusterClient... clients) {
    for (ClusterClient c : clients) {
      await().atMost(LONG).until(c::ready);
    }
  }

  private static void send(ClusterClient c, String room, String prefix, int count) {
    for (int i = 0; i < count; i++) {
      c.send(Envelope.chat(room, prefix + i).withId(c.user + "-" + room + "-" + prefix + i));
    }
  }

  /** Lets a fault last this long (what the test is about, not a wait for an outcome). */
  private static void lastFor(Duration fault) throws InterruptedException {
    Thread.sleep(fault.toMillis());
  }

  /** How long a Redis fault lasts in the tests that count the acks given during it. */
  private static final Duration FAULT = Duration.ofSeconds(5);
  /**
   * The start of a fault during which acks are not counted: the answers to what Redis stored just
   * before it may still be on their way, and a loaded machine can take a second or more to hand
   * them to the client.
   */
  private static final Duration IN_FLIGHT = Duration.ofSeconds(2);

  /** How many of {@code c}'s chats were acked during a fault from {@code startNanos} to {@code endNanos}. */
  private static long ackedDuring(ClusterClient c, long startNanos, long endNanos) {
    return c.ackedAt.values().stream().filter(t -> t > startNanos + IN_FLIGHT.toNanos() && t < endNanos).count();
  }

  /** Seqs 1..n in order, one epoch, each chat once. */
  private static void assertWholeStream(List<Delivered> got, int n) {
    assertThat(got).hasSize(n);
    assertThat(got.stream().map(Delivered::epoch).distinct()).hasSize(1);
    assertThat(got.stream().map(Delivered::id).distinct().count()).isEqualTo(n);
    for (int i = 0; i < n; i++) {
      assertThat(got.get(i).seq()).isEqualTo(i + 1);
    }
  }

  /** {@code from}'s chats came in the order they were sent: prefix0, prefix1, ... */
  private static void assertSenderOrder(List<Delivered> got, String from, String prefix, int count) {
    List<String> texts = got.stream().filter(d -> d.from().equals(from)).map(Delivered::text).toList();
    assertThat(texts).hasSize(count);
    for (int i = 0; i < count; i++) {
      assertThat(texts.get(i)).isEqualTo(prefix + i);
    }
  }

  /** Every ack names the seq its chat has in Redis's history. */
  private void assertAcksMatchRedis(String room, ClusterClient... senders) {
    try (RedisClient admin = RedisClient.create(RedisURI.create(redis.uri().toString()));
        StatefulRedisConnection<String, String> c = admin.connect()) {
      Map<String, Long> stored = new HashMap<>();
      for (StreamMessage<String, String> m : c.sync().xrange("tether:r:{" + room + "}:h", io.lettuce.core.Range.create("-", "+"))) {
        Envelope chat = (Envelope) dev.tether.api.EnvelopeCodec.shared().decode(m.getBody().get("f"));
        stored.put(chat.id(), chat.seq());
      }
      for (ClusterClient s : senders) {
        s.ackedSeqs.forEach((id, seq) -> assertThat(stored.get(id)).as("stored seq of acked " + id).isEqualTo(seq));
      }
    }
  }

  @Test
  void twoNodesCarryTenThousandChatsBothWaysEachOnceInSeqOrder() {
    System.out.println("Redis: " + redis.version());
    URI a = node(b -> b);
    URI b = node(b2 -> b2);
    ClusterClient alice = client("alice", List.of("lobby"), a);
    ClusterClient bob = client("bob", List.of("lobby"), b);
    awaitReady(alice, bob);

    long start = System.nanoTime();
    send(alice, "lobby", "a", 5_000);
    send(bob, "lobby", "b", 5_000);
    for (ClusterClient c : List.of(alice, bob)) {
      await().atMost(LONG).until(() -> c.delivered.size() >= 10_000);
    }
    double seconds = (System.nanoTime() - start) / 1e9;

    for (ClusterClient c : List.of(alice, bob)) {
      List<Delivered> got = c.delivered("lobby");
      System.out.printf("two nodes, %s: %d chats delivered in %.1f s (%.0f/s), %d distinct, %d resets, %d gaps,"
              + " %d dropped by id%n", c.user, got.size(), seconds, got.size() / seconds,
          got.stream().map(Delivered::id).distinct().count(), c.resets.size(), c.gaps.size(), c.droppedById.get());
      assertWholeStream(got, 10_000);
      assertSenderOrder(got, "alice", "a", 5_000);
      assertSenderOrder(got, "bob", "b", 5_000);
      assertThat(c.resets).isEmpty();
      assertThat(c.gaps).isEmpty();
      assertThat(c.droppedById.get()).isZero();
    }
    // Both saw the same stream, and each ack names the seq its chat was delivered at. A chat reaches
    // the other member as soon as it is stored, maybe before its sender has read the ack.
    for (ClusterClient c : List.of(alice, bob)) {
      await().atMost(LONG).until(() -> c.ackedSeqs.size() == 5_000);
    }
    assertThat(alice.delivered("lobby").stream().map(Delivered::id).toList())
        .isEqualTo(bob.delivered("lobby").stream().map(Delivered::id).toList());
    for (Delivered d : bob.delivered("lobby")) {
      ClusterClient sender = d.from().equals("alice") ? alice : bob;
      assertThat(sender.ackedSeqs.get(d.id())).isEqualTo(d.seq());
    }
  }

  @Test
  void anyNodeServesAResumeFromRedisAndNamesExactlyTheGap() throws Exception {
    URI a = node(x -> x.historyPerRoom(10));
    URI b = node(x -> x.historyPerRoom(10));
    ClusterClient alice = client("alice", List.of("lobby"), a);
    awaitReady(alice);
    send(alice, "lobby", "a", 30);
    await().atMost(LONG).until(() -> alice.ackedSeqs.size() == 30);
    // An ack future completes on the reader thread, before the callback thread hands alice her own chat.
    await().atMost(LONG).until(() -> alice.delivered.size() >= 1);
    String epoch = alice.delivered("lobby").get(0).epoch();

    WsRecorder carol = WsRecorder.connect(b, "carol"); // node B never had a member of lobby
    closing.add(carol::close);
    Envelope resume = Envelope.resume("lobby", 5, epoch);
    carol.send(resume);
    assertThat(carol.nextWire()).isEqualTo(dev.tether.api.ErrorReply.historyGap(resume.id(), "lobby", 6, 20));
    for (long seq = 21; seq <= 30; seq++) {
      Envelope chat = (Envelope) carol.nextWire();
      assertThat(chat.seq()).isEqualTo(seq);
      assertThat(chat.text()).isEqualTo("a" + (seq - 1));
      assertThat(chat.epoch()).isEqualTo(epoch);
    }
    assertThat(carol.nextWire()).isEqualTo(new dev.tether.api.Ack(resume.id(), 30, epoch));
    System.out.println("resume on another node: history_gap 6..20, then seqs 21..30, ack 30 (alice connected "
        + alice.connects.get() + " times, gaps " + alice.gaps + ")");
  }

  @Test
  void clientsOfANodeKilledMidStreamFailOverToTheOtherAndLoseAndDuplicateNothing() throws Exception {
    URI a = startNodeProcess();
    URI b = node(x -> x);
    ClusterClient alice = client("alice", List.of("lobby"), a, b);
    ClusterClient carol = client("carol", List.of("lobby"), a, b);
    ClusterClient bob = client("bob", List.of("lobby"), b, a);
    awaitReady(alice, carol, bob);

    send(alice, "lobby", "a", 3_000);
    await().atMost(LONG).until(() -> carol.delivered.size() >= 1_000);
    int atKill = carol.delivered.size();
    processes.get(0).destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL
    for (ClusterClient c : List.of(alice, carol, bob)) {
      await().atMost(LONG).until(() -> c.delivered.size() >= 3_000);
    }
    await().atMost(LONG).until(() -> alice.ackedSeqs.size() == 3_000);

    for (ClusterClient c : List.of(carol, bob, alice)) {
      List<Delivered> got = c.delivered("lobby");
      System.out.printf("node killed after %d deliveries, %s: %d chats, %d distinct, %d lost, %d duplicated,"
              + " connections to %s, %d gaps%n", atKill, c.user, got.size(),
          got.stream().map(Delivered::id).distinct().count(),
          3_000 - got.stream().map(Delivered::id).distinct().count(), c.droppedById.get(), c.connectedTo, c.gaps.size());
      assertWholeStream(got, 3_000);
      assertSenderOrder(got, "alice", "a", 3_000);
      assertThat(c.gaps).isEmpty();
      assertThat(c.resets).isEmpty();
      assertThat(c.droppedById.get()).isZero();
    }
    assertThat(alice.connectedTo).contains(b);
    assertThat(carol.connectedTo).contains(b);
    assertAcksMatchRedis("lobby", alice);
  }

  private URI startNodeProcess() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        RedisNodeMain.class.getName(), redis.uri().toString())
        .redirectError(dir.resolve("node.log").toFile())
        .start();
    processes.add(p);
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = out.readLine()) != null; ) {
      if (line.startsWith("listening ")) {
        return URI.create(line.substring("listening ".length()));
      }
    }
    throw new IOException("node ended before listening, exit " + p.waitFor());
  }

  @Test
  void redisRestartedWithoutPersistenceResetsEveryRoomOnceThenTheNewStreamComesOnce() {
    URI a = node(x -> x);
    URI b = node(x -> x);
    List<String> rooms = List.of("lobby", "kitchen");
    ClusterClient alice = client("alice", rooms, a);
    ClusterClient bob = client("bob", rooms, b);
    awaitReady(alice, bob);
    for (String room : rooms) {
      send(alice, room, "old", 50);
    }
    for (ClusterClient c : List.of(alice, bob)) {
      await().atMost(LONG).until(() -> c.delivered.size() >= 100);
    }

    redis.restart();
    for (String room : rooms) {
      send(alice, room, "new", 50);
    }
    for (ClusterClient c : List.of(alice, bob)) {
      await().atMost(LONG).until(() -> c.delivered.size() >= 200);
    }

    for (ClusterClient c : List.of(alice, bob)) {
      for (String room : rooms) {
        List<Delivered> got = c.delivered(room);
        List<ClusterClient.Reset> resets = c.resets.stream().filter(r -> r.room().equals(room)).toList();
        System.out.printf("Redis restarted empty, %s in %s: %d chats, %d resets %s, epochs %s%n", c.user, room,
            got.size(), resets.size(), resets, got.stream().map(Delivered::epoch).distinct().toList());
        assertThat(resets).hasSize(1);
        String oldEpoch = got.get(0).epoch();
        assertThat(resets.get(0)).isEqualTo(new ClusterClient.Reset(room, oldEpoch, 50));
        assertWholeStream(got.subList(0, 50), 50);
        assertWholeStream(got.subList(50, 100), 50);
        assertThat(got.get(50).epoch()).isNotEqualTo(oldEpoch);
        assertSenderOrder(got.subList(50, 100), "alice", "new", 50);
      }
      assertThat(c.droppedById.get()).isZero();
    }
  }

  @Test
  void aRoomRolledBackInRedisBecomesAResetNotSeqsGivenTwice() {
    URI a = node(x -> x);
    URI b = node(x -> x);
    ClusterClient alice = client("alice", List.of("lobby"), a);
    ClusterClient bob = client("bob", List.of("lobby"), b);
    awaitReady(alice, bob);
    send(alice, "lobby", "before", 10);
    await().atMost(LONG).until(() -> bob.delivered.size() >= 10);
    List<String> keys = List.of("tether:r:{lobby}:m", "tether:r:{lobby}:h", "tether:u:{alice}:d", "tether:u:{alice}:o");
    try (RedisClient admin = RedisClient.create(RedisURI.create(redis.uri().toString()));
        StatefulRedisConnection<byte[], byte[]> c = admin.connect(io.lettuce.core.codec.ByteArrayCodec.INSTANCE)) {
      Map<String, byte[]> image = new HashMap<>();
      for (String k : keys) {
        image.put(k, c.sync().dump(k.getBytes(StandardCharsets.UTF_8)));
      }
      send(alice, "lobby", "lost", 10);
      await().atMost(LONG).until(() -> bob.delivered.size() >= 20);
      // The writes lost must have been acknowledged, and alice must have had them too: bob on node B
      // can get a chat from Redis before node A has answered alice and handed her its copy.
      await().atMost(LONG).until(() -> alice.ackedSeqs.size() == 20 && alice.delivered.size() >= 20);
      // A failover that lost acknowledged writes (redis/redis#6062): Redis is back at seq 10.
      for (String k : keys) {
        c.sync().restore(k.getBytes(StandardCharsets.UTF_8), image.get(k), new io.lettuce.core.RestoreArgs().replace());
      }
    }
    send(alice, "lobby", "after", 5);
    for (ClusterClient cl : List.of(alice, bob)) {
      await().atMost(LONG).until(() -> cl.delivered.size() >= 25);
    }
    for (ClusterClient cl : List.of(alice, bob)) {
      List<Delivered> got = cl.delivered("lobby");
      System.out.printf("room rolled back from seq 20 to 10, %s: %d chats, resets %s, epochs %s%n", cl.user,
          got.size(), cl.resets, got.stream().map(Delivered::epoch).distinct().toList());
      assertWholeStream(got.subList(0, 20), 20);
      assertThat(cl.resets).hasSize(1);
      assertThat(cl.resets.get(0).position()).isEqualTo(20);
      assertWholeStream(got.subList(20, 25), 5);
      assertThat(got.get(20).epoch()).isNotEqualTo(got.get(0).epoch());
      assertSenderOrder(got.subList(20, 25), "alice", "after", 5);
    }
  }

  /** What {@link #threeThousandChatsThroughAFault} saw: bob's chats, and the acks alice got during the fault. */
  private record FaultRun(ClusterClient alice, ClusterClient bob, List<Delivered> got, long ackedDuring) {}

  /**
   * alice on node A sends 3,000 chats to bob on node B; once bob has 500, {@code fault} starts and
   * lasts {@link #FAULT}, then {@code recovery} ends it. Returns when bob has every chat and alice
   * every ack.
   */
  private FaultRun threeThousandChatsThroughAFault(Runnable fault, Runnable recovery) throws Exception {
    URI a = node(x -> x);
    URI b = node(x -> x);
    ClusterClient alice = client("alice", List.of("lobby"), a);
    ClusterClient bob = client("bob", List.of("lobby"), b);
    awaitReady(alice, bob);

    send(alice, "lobby", "a", 3_000);
    await().atMost(LONG).until(() -> bob.delivered.size() >= 500);
    fault.run();
    long startedAt = System.nanoTime();
    lastFor(FAULT);
    long endedAt = System.nanoTime();
    recovery.run();
    await().atMost(LONG).until(() -> bob.delivered.size() >= 3_000);
    await().atMost(LONG).until(() -> alice.ackedSeqs.size() == 3_000);
    return new FaultRun(alice, bob, bob.delivered("lobby"), ackedDuring(alice, startedAt, endedAt));
  }

  @Test
  void redisFrozenForFiveSecondsAcksNothingBeforeItIsStoredAndEverythingComesOnceAfter() throws Exception {
    FaultRun run = threeThousandChatsThroughAFault(redis::freeze, redis::thaw);
    List<Delivered> got = run.got();
    System.out.printf("Redis frozen %d s: bob got %d chats, %d distinct; %d acked while frozen; alice connected %d"
            + " times (%d closed with 1011)%n", FAULT.toSeconds(), got.size(),
        got.stream().map(Delivered::id).distinct().count(), run.ackedDuring(), run.alice().connects.get(),
        run.alice().closeCodes.stream().filter(c -> c == 1011).count());
    assertThat(run.ackedDuring()).isZero();
    assertWholeStream(got, 3_000);
    assertSenderOrder(got, "alice", "a", 3_000);
    assertThat(run.bob().droppedById.get()).isZero();
    assertAcksMatchRedis("lobby", run.alice());
  }

  @Test
  void redisDownForFiveSecondsRefusesChatsAsUnavailableAndTakesThemOnceWhenBack() throws Exception {
    redis.close();
    redis = LocalRedis.builder().persistent(true).start();
    FaultRun run = threeThousandChatsThroughAFault(redis::stop, redis::startAgain);
    List<Delivered> got = run.got();
    System.out.printf("Redis down %d s: bob got %d chats, %d distinct; %d acked while down; alice: %d unavailable,"
            + " %d connections (%d closed with 1011)%n", FAULT.toSeconds(), got.size(),
        got.stream().map(Delivered::id).distinct().count(), run.ackedDuring(), run.alice().unavailable.get(),
        run.alice().connects.get(), run.alice().closeCodes.stream().filter(c -> c == 1011).count());
    assertThat(run.ackedDuring()).isZero();
    assertWholeStream(got, 3_000);
    assertSenderOrder(got, "alice", "a", 3_000);
    assertThat(run.bob().resets).isEmpty();
    assertAcksMatchRedis("lobby", run.alice());
  }

  @Test
  void aChatSentWhileRedisIsDownIsAnsweredUnavailableOnAnOpenConnectionAndTakenOnceWhenSentAgain() throws Exception {
    RedisRoomStore store = RedisRoomStore.open(redis.uri());
    URI a = node(x -> x, store);
    WsRecorder alice = WsRecorder.connect(a, "alice");
    closing.add(alice::close);
    alice.send(CODEC.withCounter(CODEC.encode(Envelope.join("lobby")), 1));
    assertThat(alice.nextWire()).isInstanceOf(dev.tether.api.Ack.class);

    redis.stop();
    await().atMost(LONG).until(() -> !store.connected());
    Envelope chat = Envelope.chat("lobby", "while down");
    alice.send(CODEC.withCounter(CODEC.encode(chat), 2));
    dev.tether.api.Wire answer = alice.nextWire();
    System.out.println("a chat while Redis is down is answered " + answer);
    assertThat(answer).isInstanceOfSatisfying(dev.tether.api.ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo(dev.tether.api.ErrorReply.UNAVAILABLE);
      assertThat(e.id()).isEqualTo(chat.id());
      assertThat(e.n()).isEqualTo(2);
      assertThat(e.retryAfterMillis()).isPositive();
    });

    redis.startAgain();
    await().atMost(LONG).until(store::connected);
    alice.send(CODEC.withCounter(CODEC.encode(chat), 2));
    alice.send(CODEC.withCounter(CODEC.encode(chat), 2)); // again: dedup answers it with the same seq
    List<dev.tether.api.Wire> got = new ArrayList<>();
    while (got.stream().filter(w -> w instanceof dev.tether.api.Ack).count() < 2
        || got.stream().noneMatch(w -> w instanceof Envelope)) {
      got.add(alice.nextWire());
    }
    List<Long> seqs = got.stream().filter(w -> w instanceof dev.tether.api.Ack).map(w -> ((dev.tether.api.Ack) w).seq())
        .toList();
    List<Envelope> copies = got.stream().filter(w -> w instanceof Envelope).map(w -> (Envelope) w).toList();
    assertThat(seqs).containsExactly(1L, 1L);
    assertThat(copies).extracting(Envelope::id, Envelope::seq).containsExactly(org.assertj.core.groups.Tuple.tuple(chat.id(), 1L));
    alice.assertNothingWithin(Duration.ofMillis(300)); // no second copy, and the connection stays open
  }

  @Test
  void aMemberThatStopsReadingOnOneNodeDoesNotSlowTheRoomOnTheOther() throws Exception {
    URI a = node(x -> x);
    URI b = node(x -> x.memberQueue(64, 64 * 1024));
    TetherServer nodeB = lastServer;
    FaultProxy toB = closeLater(FaultProxy.start(b));
    ClusterClient alice = client("alice", List.of("lobby"), a);
    ClusterClient carol = client("carol", List.of("lobby"), a);
    ClusterClient dave = client("dave", List.of("lobby"), toB.uri());
    awaitReady(alice, carol, dave);

    toB.stopReading();
    long start = System.nanoTime();
    send(alice, "lobby", "a", 5_000);
    await().atMost(LONG).until(() -> carol.delivered.size() >= 5_000);
    double seconds = (System.nanoTime() - start) / 1e9;
    await().atMost(LONG).until(() -> nodeB.stats().slowMembersClosed() >= 1);
    int daveHad = dave.delivered.size();
    toB.heal();
    await().atMost(LONG).until(() -> dave.delivered.size() >= 5_000);

    System.out.printf("slow member on node B: carol on node A got %d chats in %.1f s while dave read nothing"
            + " (dave had %d; node B closed %d slow members); dave resumed and got %d, %d distinct%n",
        carol.delivered.size(), seconds, daveHad, nodeB.stats().slowMembersClosed(), dave.delivered.size(),
        dave.delivered.stream().map(Delivered::id).distinct().count());
    assertWholeStream(carol.delivered("lobby"), 5_000);
    assertThat(daveHad).isLessThan(5_000);
    assertWholeStream(dave.delivered("lobby"), 5_000);
    assertThat(dave.gaps).isEmpty();
  }

  @Test
  void aWedgedSubscriptionIsFoundByTheProbeAndReplacedAndItsRoomsCatchUp() {
    FaultProxy toRedis = closeLater(FaultProxy.start(redis.uri()));
    RedisRoomStore.Options options = RedisRoomStore.Options.of(redis.uri()).withProbeInterval(Duration.ofMillis(200))
        .withFirstPubSub(RedisURI.create(toRedis.uri().toString()));
    RedisRoomStore wedged = RedisRoomStore.open(options);
    URI a = node(x -> x, wedged);
    URI b = node(x -> x);
    ClusterClient carol = client("carol", List.of("lobby"), a);
    ClusterClient alice = client("alice", List.of("lobby"), b);
    awaitReady(carol, alice);

    toRedis.blackhole(); // carol's node hears nothing more on its subscription; TCP looks fine
    send(alice, "lobby", "a", 200);
    await().atMost(LONG).until(() -> carol.delivered.size() >= 200);
    System.out.printf("wedged subscription: carol got %d chats; pub/sub connections replaced: %d%n",
        carol.delivered.size(), wedged.stats().pubSubReplacements());
    assertThat(wedged.stats().pubSubReplacements()).isPositive();
    assertWholeStream(carol.delivered("lobby"), 200);
  }

  @Test
  void aLostScriptCacheKeepsEveryChatOnceAndInSenderOrder() {
    URI a = node(x -> x);
    URI b = node(x -> x);
    ClusterClient alice = client("alice", List.of("lobby"), a);
    ClusterClient bob = client("bob", List.of("lobby"), b);
    awaitReady(alice, bob);

    send(alice, "lobby", "a", 3_000);
    try (RedisClient admin = RedisClient.create(RedisURI.create(redis.uri().toString()));
        StatefulRedisConnection<String, String> c = admin.connect()) {
      for (int flushes = 0; flushes < 5; flushes++) {
        int at = 500 * (flushes + 1);
        await().atMost(LONG).until(() -> bob.delivered.size() >= at);
        c.sync().scriptFlush();
      }
    }
    await().atMost(LONG).until(() -> bob.delivered.size() >= 3_000);
    List<Delivered> got = bob.delivered("lobby");
    System.out.printf("script cache flushed 5 times: bob got %d chats, %d distinct; alice connected %d times%n",
        got.size(), got.stream().map(Delivered::id).distinct().count(), alice.connects.get());
    assertWholeStream(got, 3_000);
    assertSenderOrder(got, "alice", "a", 3_000);
  }
}

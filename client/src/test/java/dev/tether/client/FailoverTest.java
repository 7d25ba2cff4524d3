package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.client.RecordingDelegate.Event;
import dev.tether.client.RecordingDelegate.Failure;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.client.RecordingDelegate.Pong;
import dev.tether.client.RecordingDelegate.Reconnecting;
import dev.tether.client.internal.FakeScheduler;
import dev.tether.server.RoomStore;
import dev.tether.server.TetherServer;
import dev.tether.stub.LocalRedis;
import dev.tether.stub.StubServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code TetherClient.builder(first, others...)}: its arguments, the rotation through real servers
 * that refuse or drop connections (timing on fake time), what the log says, and a client of a node
 * that is closed landing on the other node of a cluster on a real Redis and resuming there.
 */
class FailoverTest {
  private static final Duration LONG = Duration.ofMinutes(2);

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();
  private final StubServer first = stub.server();
  private final StubServer second = stub.closeAfter(StubServer.start());
  @TempDir Path dir;

  private static long count(RoomLog log, String kind) {
    return log.lines.stream().filter(l -> l.startsWith(kind)).count();
  }

  private static URI as(URI node, String user) {
    return URI.create(node + "?user=" + user);
  }

  @Test
  void builderRejectsMissingDuplicateAndNonWebSocketUrisNamingWhatCame() {
    URI a = URI.create("ws://a.example/im");
    URI b = URI.create("wss://b.example/im");
    assertThatThrownBy(() -> TetherClient.builder(null, b)).isInstanceOf(NullPointerException.class)
        .hasMessage("first == null");
    assertThatThrownBy(() -> TetherClient.builder(a, (URI[]) null)).isInstanceOf(NullPointerException.class)
        .hasMessage("others == null");
    assertThatThrownBy(() -> TetherClient.builder(a, b, null)).isInstanceOf(NullPointerException.class)
        .hasMessage("others[1] == null");
    assertThatThrownBy(() -> TetherClient.builder(a, URI.create("http://b.example/im")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a ws:// or wss:// URI, was http://b.example/im");
    assertThatThrownBy(() -> TetherClient.builder(URI.create("tcp://a.example:1"), b))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a ws:// or wss:// URI, was tcp://a.example:1");
    assertThatThrownBy(() -> TetherClient.builder(a, URI.create("ws:///im")))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("URI has no host: ws:///im");
    assertThatThrownBy(() -> TetherClient.builder(a, b, URI.create("ws://a.example/im")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("duplicate URI: ws://a.example/im (others[1]) is given twice");
    assertThatThrownBy(() -> TetherClient.builder(a, URI.create("WS://A.example/im")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("duplicate URI: WS://A.example/im");

    assertThat(TetherClient.builder(a, b).build().uris()).containsExactly(a, b);
    assertThat(TetherClient.builder(a, b).build().uri()).isEqualTo(a);
    assertThat(TetherClient.builder(a, new URI[0]).build().uris()).containsExactly(a);
    assertThat(TetherClient.builder(a).build().uris()).containsExactly(a);
  }

  @Test
  void aFailedAttemptTriesTheNextServerAtOnceAndEachRoundOfFailuresIsOneWait() {
    FakeScheduler clock = new FakeScheduler();
    RecordingDelegate d = new RecordingDelegate();
    first.rejectNewConnections(true);
    second.rejectNewConnections(true);
    TetherClient c = stub.track(TetherClient.builder(first.uri(), second.uri()).delegate(d)
        .reconnect(ReconnectPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(4)))
        .heartbeat(Duration.ZERO, Duration.ofSeconds(1)).scheduler(clock).random(new SplittableRandom(7)).build());
    c.open();
    for (int round = 1; round <= 3; round++) {
      assertThat(d.take(Failure.class).error()).hasMessageContaining("cannot connect to " + first.uri() + ":");
      assertThat(d.take(Failure.class).error()).hasMessageContaining("cannot connect to " + second.uri() + ":");
      Reconnecting r = d.take(Reconnecting.class);
      assertThat(r.attempt()).isEqualTo(round);
      assertThat(r.delay()).isEqualTo(Duration.ofSeconds(Math.min(4, 1L << (round - 1))));
      assertThat(first.handshakeCount()).isEqualTo(round);
      assertThat(second.handshakeCount()).isEqualTo(round);
      assertThat(c.uri()).isEqualTo(first.uri());
      clock.advance(r.delay().minusMillis(1));
      d.assertNoEvent(Duration.ofMillis(100));
      if (round < 3) {
        clock.advance(Duration.ofMillis(1));
      }
    }
    second.rejectNewConnections(false);
    clock.advance(Duration.ofMillis(1));
    assertThat(d.take(Failure.class).error()).hasMessageContaining(first.uri().toString());
    d.take(Open.class);
    assertThat(c.uri()).isEqualTo(second.uri());
    assertThat(first.handshakeCount()).isEqualTo(4);
    assertThat(second.handshakeCount()).isEqualTo(4);
    d.assertNoProblems();
  }

  @Test
  void aLostConnectionMovesToTheOtherServerAtOnceWithoutAWait() throws Exception {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = stub.track(TetherClient.builder(as(first.uri(), "alice"), as(second.uri(), "alice"))
        .delegate(d).heartbeat(Duration.ZERO, Duration.ofSeconds(1)).build());
    c.open();
    d.take(Open.class);
    c.sendPing(ByteBuffer.wrap(new byte[] {1}));
    d.take(Pong.class); // the first node answered: it worked
    first.stop();
    List<Event> untilOpen = new ArrayList<>();
    for (Event e = d.take(Event.class, LONG); !(e instanceof Open); e = d.take(Event.class, LONG)) {
      untilOpen.add(e);
    }
    assertThat(untilOpen).noneMatch(e -> e instanceof Reconnecting);
    assertThat(c.uri()).isEqualTo(as(second.uri(), "alice"));
    await().atMost(LONG).until(() -> second.connectionCount() == 1);
    assertThat(c.stats().reconnects()).isEqualTo(1);
    d.assertNoProblems();
  }

  @Test
  void theLogNamesEachUriWithItsQueryValuesRedacted() throws Exception {
    first.rejectNewConnections(true);
    URI a = URI.create(first.uri() + "?user=alice&token=s3cret");
    URI b = URI.create(second.uri() + "?user=alice&token=s3cret");
    Path log = dir.resolve("client.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dorg.slf4j.simpleLogger.log.dev.tether.client=info", "-cp", System.getProperty("java.class.path"),
        FailoverLogMain.class.getName(), a.toString(), b.toString())
        .redirectError(log.toFile()).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(out.readLine()).isEqualTo("open " + b);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly();
    }
    String text = Files.readString(log);
    System.out.println("failover log:\n" + text.strip());
    assertThat(text).contains("cannot connect to " + first.uri() + "?user=***&token=***: ")
        .contains("; trying " + second.uri() + "?user=***&token=*** next")
        .doesNotContain("s3cret");
  }

  @Test
  void aClientOfAClosedNodeLandsOnTheOtherAndResumesThereLosingAndDuplicatingNothing() throws Exception {
    int total = 4_000;
    try (LocalRedis redis = LocalRedis.start()) {
      TetherServer nodeA = TetherServer.builder().store(RoomStore.redis(redis.uri())).rateLimit(0).build();
      TetherServer nodeB = TetherServer.builder().store(RoomStore.redis(redis.uri())).rateLimit(0).build();
      URI a = nodeA.listen("127.0.0.1", 0).uri();
      URI b = nodeB.listen("127.0.0.1", 0).uri();
      List<TetherClient> clients = new ArrayList<>();
      try {
        RoomLog carolLog = new RoomLog();
        RoomLog bobLog = new RoomLog();
        TetherClient alice = TetherClient.builder(as(a, "alice"), as(b, "alice")).build();
        TetherClient carol = TetherClient.builder(as(a, "carol"), as(b, "carol")).delegate(carolLog).build();
        TetherClient bob = TetherClient.builder(as(b, "bob")).delegate(bobLog).build();
        clients.addAll(List.of(alice, carol, bob));
        for (TetherClient c : clients) {
          c.open();
          c.send(Envelope.join("lobby")).get(30, TimeUnit.SECONDS);
        }

        List<CompletableFuture<Ack>> acks = new ArrayList<>();
        Thread sender = new Thread(() -> {
          for (int i = 0; i < total; i++) {
            acks.add(alice.send(Envelope.chat("lobby", "a" + i).withId("alice-" + i)));
            if (i % 200 == 199) {
              acks.get(i - 100).join(); // a bounded number in flight, as an app's own flow control would
            }
          }
        }, "failover-sender");
        sender.start();
        await().atMost(LONG).until(() -> carolLog.chats.size() >= 1_000);
        int atClose = carolLog.chats.size();
        long closedAt = System.nanoTime();
        nodeA.close();
        sender.join(LONG.toMillis());
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
        await().atMost(LONG).until(() -> carolLog.chats.size() >= total && bobLog.chats.size() >= total);
        double seconds = (System.nanoTime() - closedAt) / 1e9;

        assertThat(acks.stream().map(f -> f.join().seq()).distinct().count()).isEqualTo(total);
        for (RoomLog log : List.of(carolLog, bobLog)) {
          List<Envelope> got = log.chats;
          long distinct = got.stream().map(Envelope::id).distinct().count();
          System.out.printf("failover, node A closed after %d deliveries: %s got %d chats, %d distinct, %d lost,"
                  + " %d duplicated, %d gaps, %d resets; alice resent %d, reconnected %d time(s) to %s; carol"
                  + " dropped %d duplicates; all in %.1f s after the close%n", atClose,
              log == carolLog ? "carol" : "bob", got.size(), distinct, total - distinct, got.size() - distinct,
              count(log, "gap "), count(log, "reset "), alice.stats().resends(), alice.stats().reconnects(), alice.uri(),
              carol.stats().duplicatesDropped(), seconds);
          assertThat(got).hasSize(total);
          assertThat(distinct).isEqualTo(total);
          for (int i = 0; i < total; i++) {
            assertThat(got.get(i).seq()).isEqualTo(i + 1);
            assertThat(got.get(i).text()).isEqualTo("a" + i);
          }
          assertThat(count(log, "gap ")).isZero();
          assertThat(count(log, "reset ")).isZero();
        }
        assertThat(alice.uri()).isEqualTo(as(b, "alice"));
        assertThat(carol.uri()).isEqualTo(as(b, "carol"));
        assertThat(alice.stats().reconnects()).isEqualTo(1);
        assertThat(carol.stats().reconnects()).isEqualTo(1);
      } finally {
        clients.forEach(TetherClient::close);
        nodeA.close();
        nodeB.close();
      }
    }
  }
}

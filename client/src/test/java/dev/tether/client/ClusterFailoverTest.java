package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.server.RoomStore;
import dev.tether.server.TetherServer;
import dev.tether.stub.LocalRedis;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two cluster nodes on a real Redis, one of them in a process of its own that is killed with
 * SIGKILL mid-stream; {@code TetherClient}s built with both node URIs fail over to the survivor,
 * resume and resend there: every chat is acked, and every member gets each chat once, in seq order
 * and in the sender's order, with no gap and no reset.
 */
class ClusterFailoverTest {
  private static final Duration LONG = Duration.ofMinutes(2);
  private static final int TOTAL = 5_000;

  @TempDir Path dir;
  private LocalRedis redis;
  private Process killed;
  private TetherServer survivor;
  private final List<TetherClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    clients.forEach(TetherClient::close);
    if (survivor != null) {
      survivor.close();
    }
    if (killed != null) {
      killed.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    if (redis != null) {
      redis.close();
    }
  }

  private TetherClient client(String user, RoomLog log, URI first, URI... others) {
    URI[] more = new URI[others.length];
    for (int i = 0; i < others.length; i++) {
      more[i] = URI.create(others[i] + "?user=" + user);
    }
    TetherClient c = TetherClient.builder(URI.create(first + "?user=" + user), more).delegate(log)
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(50), Duration.ofSeconds(1)).withJitter(0.5))
        .ackTimeout(Duration.ofSeconds(5)).build();
    clients.add(c);
    c.open();
    return c;
  }

  @Test
  void clientsOfANodeKilledMidStreamFailOverToTheOtherAndLoseAndDuplicateNothing() throws Exception {
    redis = LocalRedis.start();
    URI a = startNodeProcess();
    survivor = TetherServer.builder().store(RoomStore.redis(redis.uri())).rateLimit(0).build();
    URI b = survivor.listen("127.0.0.1", 0).uri();

    RoomLog aliceLog = new RoomLog();
    RoomLog carolLog = new RoomLog();
    RoomLog bobLog = new RoomLog();
    TetherClient alice = client("alice", aliceLog, a, b);
    TetherClient carol = client("carol", carolLog, a, b);
    TetherClient bob = client("bob", bobLog, b, a);
    for (TetherClient c : clients) {
      c.send(Envelope.join("lobby")).get(30, TimeUnit.SECONDS);
    }

    List<CompletableFuture<Ack>> acks = new ArrayList<>();
    Thread sender = new Thread(() -> {
      for (int i = 0; i < TOTAL; i++) {
        acks.add(alice.send(Envelope.chat("lobby", "a" + i).withId("alice-" + i)));
        if (i % 200 == 199) {
          acks.get(i - 100).join(); // a bounded number in flight, as an app's own flow control would
        }
      }
    }, "cluster-sender");
    sender.start();
    await().atMost(LONG).until(() -> carolLog.chats.size() >= 1_500);
    int atKill = carolLog.chats.size();
    long killedAt = System.nanoTime();
    killed.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL
    sender.join(LONG.toMillis());
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
    for (RoomLog log : List.of(aliceLog, carolLog, bobLog)) {
      await().atMost(LONG).until(() -> log.chats.size() >= TOTAL);
    }
    double seconds = (System.nanoTime() - killedAt) / 1e9;

    assertThat(acks.stream().map(f -> f.join().seq()).distinct().count()).isEqualTo(TOTAL);
    String[] names = {"alice", "carol", "bob"};
    List<RoomLog> logs = List.of(aliceLog, carolLog, bobLog);
    for (int m = 0; m < names.length; m++) {
      List<Envelope> got = logs.get(m).chats;
      TetherClient c = clients.get(m);
      long distinct = got.stream().map(Envelope::id).distinct().count();
      System.out.printf("node killed (SIGKILL) after %d deliveries, %s: %d chats, %d distinct, %d lost, %d duplicated,"
              + " %d gaps, %d resets; on %s after %d reconnect(s), %d resent, %d duplicates dropped; done %.1f s"
              + " after the kill%n", atKill, names[m], got.size(), distinct, TOTAL - distinct, got.size() - distinct,
          lines(logs.get(m), "gap "), lines(logs.get(m), "reset "), c.uri(), c.stats().reconnects(),
          c.stats().resends(), c.stats().duplicatesDropped(), seconds);
      assertThat(got).hasSize(TOTAL);
      assertThat(distinct).isEqualTo(TOTAL);
      for (int i = 0; i < TOTAL; i++) {
        assertThat(got.get(i).seq()).isEqualTo(i + 1);
        assertThat(got.get(i).text()).isEqualTo("a" + i);
      }
      assertThat(lines(logs.get(m), "gap ")).isZero();
      assertThat(lines(logs.get(m), "reset ")).isZero();
    }
    for (TetherClient c : List.of(alice, carol)) {
      assertThat(c.uri().toString()).as("landed on the survivor").startsWith(b + "?user=");
      assertThat(c.stats().reconnects()).isGreaterThanOrEqualTo(1);
    }
    assertThat(bob.stats().reconnects()).isZero();
    // Each ack names the seq its members saw the chat at.
    for (int i = 0; i < TOTAL; i++) {
      assertThat(carolLog.chats.get((int) acks.get(i).join().seq() - 1).id()).isEqualTo("alice-" + i);
    }
  }

  private static long lines(RoomLog log, String kind) {
    return log.lines.stream().filter(l -> l.startsWith(kind)).count();
  }

  private URI startNodeProcess() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    killed = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        ClusterNodeMain.class.getName(), redis.uri().toString())
        .redirectError(dir.resolve("node.log").toFile())
        .start();
    BufferedReader out = new BufferedReader(new InputStreamReader(killed.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = out.readLine()) != null; ) {
      if (line.startsWith("listening ")) {
        return URI.create(line.substring("listening ".length()));
      }
    }
    throw new IOException("node ended before listening, exit " + killed.waitFor());
  }
}

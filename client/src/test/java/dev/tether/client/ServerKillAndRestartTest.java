package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link dev.tether.server.TetherServer} on SQLite, in its own process, killed with SIGKILL twice
 * while two senders send 10,000 chats to two receivers, and started again on the same file each
 * time: every future is acked, each receiver gets every chat once, in seq order and in each
 * sender's order, and nothing is reported lost. What a server promised before it died, it keeps.
 */
class ServerKillAndRestartTest {
  private static final String ROOM = "durable";
  private static final int PER_SENDER = 5_000;
  private static final int TOTAL = 2 * PER_SENDER;
  private static final ReconnectPolicy FAST = ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(200));

  @TempDir Path dir;
  private Process server;
  private final List<TetherClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    clients.forEach(TetherClient::close);
    if (server != null) {
      server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** A receiver: every chat it is given, and any gap it is told of. */
  private static final class Receiver implements SocketDelegate {
    final List<Envelope> chats = new CopyOnWriteArrayList<>();
    final AtomicInteger gaps = new AtomicInteger();

    @Override
    public void onEnvelope(TetherSocket socket, Envelope e) {
      if (e.type() == Envelope.Type.CHAT) {
        chats.add(e);
      }
    }

    @Override
    public void onGap(TetherSocket socket, String room, long fromSeq, long toSeq) {
      gaps.incrementAndGet();
    }
  }

  private TetherClient client(URI uri, String user, SocketDelegate delegate) {
    TetherClient c = TetherClient.builder(URI.create(uri + "?user=" + user)).delegate(delegate).reconnect(FAST)
        .ackTimeout(Duration.ofSeconds(5)).build();
    clients.add(c);
    c.open();
    return c;
  }

  @Test
  void aServerKilledTwiceMidStreamLosesAndDuplicatesNothing() throws Exception {
    // Restarted on the same port twice while clients retry: not an ephemeral one (review 11 finding 8).
    int port = RestartPorts.free();
    Path db = dir.resolve("rooms.db");
    URI uri = URI.create("ws://127.0.0.1:" + port + "/im");
    server = start(port, db, "first");

    Receiver[] receivers = {new Receiver(), new Receiver()};
    for (int r = 0; r < receivers.length; r++) {
      client(uri, "receiver" + r, receivers[r]).send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    }
    TetherClient[] senders = {client(uri, "sender0", new SocketDelegate() { }),
        client(uri, "sender1", new SocketDelegate() { })};
    for (TetherClient s : senders) {
      s.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    }

    List<CompletableFuture<Ack>> acks = new ArrayList<>();
    Thread[] sending = new Thread[2];
    List<List<CompletableFuture<Ack>>> perSender = List.of(new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>());
    for (int s = 0; s < 2; s++) {
      int sender = s;
      sending[s] = new Thread(() -> {
        for (int i = 0; i < PER_SENDER; i++) {
          perSender.get(sender).add(senders[sender].send(
              Envelope.chat(ROOM, sender + ":" + i).withId("s" + sender + "-" + i)));
          if (i % 500 == 499) {
            // Keep a bounded number in flight, as an app's own flow control would.
            perSender.get(sender).get(i - 250).join();
          }
        }
      }, "sender-" + s);
      sending[s].start();
    }

    long firstKillAt = awaitDelivered(receivers[0], 2_000);
    server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    server = start(port, db, "second");
    long secondKillAt = awaitDelivered(receivers[0], 6_000);
    server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    server = start(port, db, "third");

    for (Thread t : sending) {
      t.join(TimeUnit.MINUTES.toMillis(2));
    }
    perSender.forEach(acks::addAll);
    assertThat(acks).hasSize(TOTAL);
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
    List<Long> ackedSeqs = acks.stream().map(f -> f.join().seq()).toList();
    assertThat(ackedSeqs).doesNotHaveDuplicates();

    for (Receiver r : receivers) {
      await().atMost(Duration.ofMinutes(1)).until(() -> r.chats.size() >= TOTAL);
    }
    for (int r = 0; r < receivers.length; r++) {
      List<Envelope> got = receivers[r].chats;
      long distinct = got.stream().map(Envelope::id).distinct().count();
      System.out.printf("server kill and restart, receiver %d: killed after %d and %d deliveries; got %d chats,"
          + " %d distinct, %d lost, %d duplicated, %d gaps reported%n", r, firstKillAt, secondKillAt,
          got.size(), distinct, TOTAL - distinct, got.size() - distinct, receivers[r].gaps.get());
      assertThat(got).hasSize(TOTAL);
      assertThat(distinct).isEqualTo(TOTAL);
      assertThat(receivers[r].gaps.get()).isZero();
      for (int i = 0; i < TOTAL; i++) {
        assertThat(got.get(i).seq()).isEqualTo(i + 1);
      }
      int[] next = new int[2];
      for (Envelope e : got) {
        int sender = e.from().equals("sender0") ? 0 : 1;
        assertThat(e.text()).isEqualTo(sender + ":" + next[sender]++);
      }
    }
    // Each chat's ack names the seq its receivers saw it at.
    for (int s = 0; s < 2; s++) {
      for (int i = 0; i < PER_SENDER; i++) {
        String id = "s" + s + "-" + i;
        long seq = perSender.get(s).get(i).join().seq();
        assertThat(receivers[0].chats.get((int) seq - 1).id()).isEqualTo(id);
      }
    }
  }

  private static long awaitDelivered(Receiver r, int count) {
    await().atMost(Duration.ofMinutes(1)).until(() -> r.chats.size() >= count);
    return r.chats.size();
  }

  private Process start(int port, Path db, String name) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        ServerMain.class.getName(), Integer.toString(port), db.toString())
        .redirectError(dir.resolve(name + ".log").toFile())
        .start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      if (line.equals("listening")) {
        return p;
      }
    }
    throw new IOException("server ended before listening, exit " + p.waitFor());
  }
}

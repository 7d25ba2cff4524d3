package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.ReadyState;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.internal.FakeScheduler;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.StubServer;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@link ClientEventListener} against a real StubServer: what it is told, in which order with
 * the delegate's callbacks, and the durations it is given (exact on fake time).
 */
class ClientEventListenerTest {
  private static final ReconnectPolicy FAST =
      ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(200));
  private static final String ROOM = "lobby";

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();

  /** Listener and delegate write to one log, so that their order shows; RTTs and acks go aside. */
  private static final class Recorder implements ClientEventListener, SocketDelegate {
    final List<String> log = new CopyOnWriteArrayList<>();
    final List<Duration> rtts = new CopyOnWriteArrayList<>();
    final List<String> acked = new CopyOnWriteArrayList<>();
    final List<Duration> ackLatencies = new CopyOnWriteArrayList<>();
    final List<TetherClient> created = new CopyOnWriteArrayList<>();

    @Override
    public void clientCreated(TetherClient client) {
      created.add(client);
    }

    @Override
    public void connected() {
      log.add("connected");
    }

    @Override
    public void disconnected() {
      log.add("disconnected");
    }

    @Override
    public void rttMeasured(Duration rtt) {
      rtts.add(rtt);
    }

    @Override
    public void acked(Envelope envelope, Duration sinceFirstWrite) {
      acked.add(envelope.type() + (envelope.text() == null ? "" : " " + envelope.text()));
      ackLatencies.add(sinceFirstWrite);
    }

    @Override
    public void gap(String room, long fromSeq, long toSeq) {
      log.add("gap " + room + " " + fromSeq + ".." + toSeq);
    }

    @Override
    public void reset(String room, long lastSeqBefore) {
      log.add("reset " + room + " after " + lastSeqBefore);
    }

    @Override
    public void onOpen(TetherSocket socket) {
      log.add("onOpen");
    }

    @Override
    public void onClose(TetherSocket socket, int code, String reason, boolean wasClean) {
      log.add("onClose " + code);
    }

    @Override
    public void onGap(TetherSocket socket, String room, long fromSeq, long toSeq) {
      log.add("onGap " + room + " " + fromSeq + ".." + toSeq);
    }

    @Override
    public void onReset(TetherSocket socket, String room, long lastSeqBefore) {
      log.add("onReset " + room + " after " + lastSeqBefore);
    }

    @Override
    public void onEnvelope(TetherSocket socket, Envelope envelope) {
      if (envelope.type() == Envelope.Type.CHAT) {
        log.add("chat " + envelope.seq());
      }
    }
  }

  private static void say(TetherClient c, String text) throws Exception {
    c.send(Envelope.chat(ROOM, text)).get(10, TimeUnit.SECONDS);
  }

  @Test
  void connectionsGapsAndResetsAreHeardJustBeforeTheDelegate() throws Exception {
    StubServer server = stub.start(StubServer.builder().historyPerRoom(2));
    FaultProxy bobsLink = stub.proxy();
    Recorder bob = new Recorder();
    NetworkMonitor.Manual bobsNetwork = NetworkMonitor.manual(true);
    TetherClient bobClient = stub.track(TetherClient.builder(URI.create(bobsLink.uri() + "?user=bob"))
        .delegate(bob).eventListener(bob).networkMonitor(bobsNetwork).reconnect(FAST).build());
    TetherClient alice = stub.client(TetherClient.builder(URI.create(server.uri() + "?user=alice")));
    bobClient.open();
    bobClient.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    alice.open();
    alice.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    say(alice, "one");
    await().atMost(Duration.ofSeconds(30)).until(() -> bob.log.contains("chat 1"));

    // Bob's network goes and his connection with it; alice says 4 more, the history keeps 2.
    bobsNetwork.setAvailable(false);
    bobsLink.cutAll();
    await().atMost(Duration.ofSeconds(30)).until(() -> bobClient.readyState() != ReadyState.OPEN);
    for (String text : List.of("two", "three", "four", "five")) {
      say(alice, text);
    }
    bobsNetwork.setAvailable(true);
    await().atMost(Duration.ofSeconds(30)).until(() -> bob.log.contains("chat 5"));

    server.resetState();
    say(alice, "after the reset");
    await().atMost(Duration.ofSeconds(30)).until(() -> bob.log.contains("onReset lobby after 5"));
    bobClient.close();
    await().atMost(Duration.ofSeconds(30)).until(() -> bob.log.contains("onClose 1000"));

    assertThat(bob.log).containsExactly(
        "connected", "onOpen", "chat 1",
        "disconnected", "onClose 1006",
        "connected", "onOpen", "gap lobby 2..3", "onGap lobby 2..3", "chat 4", "chat 5",
        "reset lobby after 5", "onReset lobby after 5", "chat 1",
        "disconnected", "onClose 1000");
    assertThat(bob.created).containsExactly(bobClient);
  }

  @Test
  void heartbeatRoundTripsAndAckLatenciesAreMeasuredBeforeTheFutureCompletes() throws Exception {
    StubServer server = stub.server();
    Recorder r = new Recorder();
    TetherClient c = stub.client(TetherClient.builder(URI.create(server.uri() + "?user=alice"))
        .eventListener(r).heartbeat(Duration.ofMillis(20), Duration.ofSeconds(10)));
    c.open();
    c.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    assertThat(r.acked).containsExactly("JOIN");
    say(c, "hello");
    assertThat(r.acked).containsExactly("JOIN", "CHAT hello");
    assertThat(r.ackLatencies).allSatisfy(d -> assertThat(d).isPositive().isLessThan(Duration.ofSeconds(10)));

    await().atMost(Duration.ofSeconds(30)).until(() -> r.rtts.size() >= 3);
    assertThat(r.rtts).allSatisfy(d -> assertThat(d).isPositive().isLessThan(Duration.ofSeconds(10)));
    assertThat(c.stats().lastRtt()).isNotNull();
  }

  /**
   * On fake time the latency is exact: it counts from the first write, so the minute spent offline
   * does not count, and the time the ack took does.
   */
  @Test
  void ackLatencyCountsFromTheFirstWriteNotFromTheSend() throws Exception {
    StubServer server = stub.server();
    FaultProxy proxy = stub.proxy();
    FakeScheduler clock = new FakeScheduler();
    NetworkMonitor.Manual network = NetworkMonitor.manual(false);
    Recorder r = new Recorder();
    TetherClient c = stub.client(TetherClient.builder(URI.create(proxy.uri() + "?user=alice"))
        .delegate(r).eventListener(r).heartbeat(Duration.ZERO, Duration.ofSeconds(1))
        .networkMonitor(network).scheduler(clock));
    c.open();
    CompletableFuture<Ack> offline = c.send(Envelope.join(ROOM));
    clock.advance(Duration.ofMinutes(1));
    network.setAvailable(true);
    offline.get(10, TimeUnit.SECONDS);
    assertThat(r.ackLatencies).containsExactly(Duration.ZERO); // the write and the ack: the same fake instant

    proxy.blackhole();
    CompletableFuture<Ack> held = c.send(Envelope.chat(ROOM, "held"));
    clock.advance(Duration.ofSeconds(3));
    proxy.heal();
    held.get(10, TimeUnit.SECONDS);
    assertThat(r.ackLatencies).containsExactly(Duration.ZERO, Duration.ofSeconds(3));
  }

  @Test
  void eachBuildTellsTheListenerItsClient() {
    StubServer server = stub.server();
    Recorder r = new Recorder();
    TetherClient.Builder builder = TetherClient.builder(server.uri()).eventListener(r);
    List<TetherClient> built = new ArrayList<>(List.of(stub.client(builder), stub.client(builder)));
    assertThat(r.created).containsExactlyElementsOf(built);
    assertThat(r.log).isEmpty();
  }
}

package dev.tether.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ReadyState;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.NetworkMonitor;
import dev.tether.client.ReconnectPolicy;
import dev.tether.client.TetherClient;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.StubServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A real client's counters, gauges and timers, read through Micrometer and scraped as Prometheus
 * text, after real traffic through a real StubServer and real faults: a lost frame (a resend), a
 * duplicate, a dropped connection (a reconnect), history too short for the time away (a gap) and
 * the server's state lost (a reset).
 */
class TetherClientMetricsTest {
  private static final ReconnectPolicy FAST =
      ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(200));
  private static final String ROOM = "lobby";
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final List<AutoCloseable> closeAfter = new CopyOnWriteArrayList<>();

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = closeAfter.size() - 1; i >= 0; i--) {
      closeAfter.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closing(T resource) {
    closeAfter.add(resource);
    return resource;
  }

  /** Keeps the chats a client is given. */
  private static final class Chats implements SocketDelegate {
    final List<Envelope> chats = new CopyOnWriteArrayList<>();

    @Override
    public void onEnvelope(TetherSocket socket, Envelope envelope) {
      if (envelope.type() == Envelope.Type.CHAT) {
        chats.add(envelope);
      }
    }

    boolean has(String text) {
      return chats.stream().anyMatch(e -> text.equals(e.text()));
    }
  }

  private static void say(TetherClient c, String text) throws Exception {
    c.send(Envelope.chat(ROOM, text)).get(10, TimeUnit.SECONDS);
  }

  private static double count(MeterRegistry r, String name) {
    return r.get(name).tag("client", "bob").functionCounter().count();
  }

  private static double gauge(MeterRegistry r, String name) {
    return r.get(name).tag("client", "bob").gauge().value();
  }

  @Test
  void theClientsCountersGaugesAndTimersReadWhatItLived() throws Exception {
    StubServer server = closing(StubServer.builder().historyPerRoom(2).start());
    FaultProxy bobsLink = closing(FaultProxy.start(server.uri()));
    SimpleMeterRegistry simple = new SimpleMeterRegistry();
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    TetherClientMetrics metrics = closing(TetherClientMetrics.builder()
        .tags(Tags.of("client", "bob")).percentileHistogram(true).build());
    NetworkMonitor.Manual bobsNetwork = NetworkMonitor.manual(true);
    Chats bobsChats = new Chats();
    TetherClient bob = closing(TetherClient.builder(URI.create(bobsLink.uri() + "?user=bob"))
        .delegate(bobsChats).eventListener(metrics).networkMonitor(bobsNetwork).reconnect(FAST)
        .heartbeat(Duration.ofMillis(20), Duration.ofSeconds(10)).build());
    TetherClient alice = closing(TetherClient.builder(URI.create(server.uri() + "?user=alice"))
        .reconnect(FAST).build());
    metrics.bindTo(simple);
    metrics.bindTo(prometheus);
    metrics.bindTo(simple); // a no-op: nothing is registered or recorded twice

    // Before the first connection: a join waits in the outbox.
    var joined = bob.send(Envelope.join(ROOM));
    assertThat(gauge(simple, "tether.client.outbox.depth")).isEqualTo(1);
    assertThat(gauge(simple, "tether.client.connections")).isZero();
    bob.open();
    joined.get(10, TimeUnit.SECONDS);
    assertThat(gauge(simple, "tether.client.connections")).isEqualTo(1);
    assertThat(gauge(simple, "tether.client.outbox.depth")).isZero();
    alice.open();
    alice.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    say(alice, "one");
    await().atMost(WAIT).until(() -> bobsChats.has("one"));

    // A frame lost on the way: the next one is refused as out of order and both are written again.
    bobsLink.dropNextFrames(1);
    var lost = bob.send(Envelope.chat(ROOM, "lost"));
    var after = bob.send(Envelope.chat(ROOM, "after"));
    lost.get(10, TimeUnit.SECONDS);
    after.get(10, TimeUnit.SECONDS);
    assertThat(count(simple, "tether.client.resends")).isPositive().isEqualTo(bob.stats().resends());

    // A chat delivered again: dropped.
    server.sendToAll(EnvelopeCodec.shared().encode(bobsChats.chats.get(0)));
    await().atMost(WAIT).until(() -> count(simple, "tether.client.duplicates.dropped") == 1);

    // Bob's connection goes while his network is down; alice says 4 more; the history keeps 2.
    bobsNetwork.setAvailable(false);
    await().atMost(WAIT).until(() -> server.connectionCount() == 2);
    server.dropAllConnections();
    await().atMost(WAIT).until(() -> bob.readyState() != ReadyState.OPEN);
    assertThat(gauge(simple, "tether.client.connections")).isZero();
    for (String text : List.of("two", "three", "four", "five")) {
      say(alice, text);
    }
    bobsNetwork.setAvailable(true);
    await().atMost(WAIT).until(() -> bobsChats.has("five"));
    assertThat(count(simple, "tether.client.reconnects")).isEqualTo(1);
    assertThat(count(simple, "tether.client.gaps")).isEqualTo(1);
    assertThat(count(simple, "tether.client.chats.missed")).as("seqs 4 and 5").isEqualTo(2);

    // The server loses its state: one reset.
    server.resetState();
    say(alice, "after the reset");
    await().atMost(WAIT).until(() -> bobsChats.has("after the reset"));
    assertThat(count(simple, "tether.client.resets")).isEqualTo(1);

    await().atMost(WAIT).until(() -> simple.get("tether.client.rtt").timer().count() >= 3);
    Timer rtt = simple.get("tether.client.rtt").tag("client", "bob").timer();
    assertThat(rtt.max(TimeUnit.NANOSECONDS)).isPositive();
    Timer ack = simple.get("tether.client.ack.latency").tag("client", "bob").timer();
    assertThat(ack.count()).as("join, lost, after").isEqualTo(3);
    assertThat(ack.totalTime(TimeUnit.NANOSECONDS)).isPositive();
    assertThat(count(simple, "tether.client.acks")).isEqualTo(3).isEqualTo(bob.stats().acks());
    assertThat(count(simple, "tether.client.resends")).isEqualTo(bob.stats().resends());
    assertThat(count(simple, "tether.client.duplicates.dropped")).isEqualTo(bob.stats().duplicatesDropped());
    assertThat(gauge(simple, "tether.client.connections")).isEqualTo(1);
    assertThat(gauge(simple, "tether.client.outbox.depth")).isZero();

    String scrape = prometheus.scrape();
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "client-scrape.txt"), scrape); // the README's example comes from here
    assertThat(scrape)
        .contains("tether_client_connections{client=\"bob\"} 1.0")
        .contains("tether_client_outbox_depth_messages{client=\"bob\"} 0.0")
        .contains("tether_client_reconnects_total{client=\"bob\"} 1.0")
        .contains("tether_client_acks_total{client=\"bob\"} 3.0")
        .contains("tether_client_gaps_total{client=\"bob\"} 1.0")
        .contains("tether_client_chats_missed_total{client=\"bob\"} 2.0")
        .contains("tether_client_resets_total{client=\"bob\"} 1.0")
        .contains("tether_client_duplicates_dropped_total{client=\"bob\"} " + bob.stats().duplicatesDropped() + ".0")
        .contains("tether_client_ack_latency_seconds_count{client=\"bob\"} 3")
        .contains("tether_client_ack_latency_seconds_bucket{client=\"bob\",le=\"+Inf\"} 3")
        .contains("tether_client_rtt_seconds_bucket{client=\"bob\",le=")
        .contains("# HELP tether_client_reconnects_total connections opened after the first");

    bob.close();
    await().atMost(WAIT).until(() -> gauge(simple, "tether.client.connections") == 0);
    metrics.close();
    assertThat(simple.getMeters()).isEmpty();
    assertThat(prometheus.scrape()).doesNotContain("tether_client");
  }

  @Test
  void timersPublishNoHistogramUnlessAskedTo() throws Exception {
    StubServer server = closing(StubServer.start());
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    TetherClientMetrics metrics = closing(TetherClientMetrics.of(Tags.of("client", "bob")));
    TetherClient bob = closing(TetherClient.builder(URI.create(server.uri() + "?user=bob"))
        .eventListener(metrics).build());
    metrics.bindTo(prometheus);
    bob.open();
    bob.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    String scrape = prometheus.scrape();
    assertThat(scrape).contains("tether_client_ack_latency_seconds_count{client=\"bob\"} 1")
        .contains("tether_client_ack_latency_seconds_max{client=\"bob\"}")
        .doesNotContain("_bucket");
  }

  @Test
  void oneMetricsMeasuresOneClientAndBindsOnlyOnceItIsBuilt() {
    TetherClientMetrics metrics = closing(TetherClientMetrics.of());
    assertThatThrownBy(() -> metrics.bindTo(new SimpleMeterRegistry()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("eventListener(metrics)");
    TetherClient.Builder builder = TetherClient.builder(URI.create("ws://127.0.0.1:1/im")).eventListener(metrics);
    TetherClient first = closing(builder.build());
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("one TetherClientMetrics per client");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    metrics.bindTo(registry);
    assertThat(registry.get("tether.client.connections").gauge().value()).isZero();
    assertThat(metrics.toString()).contains(first.toString());
  }
}

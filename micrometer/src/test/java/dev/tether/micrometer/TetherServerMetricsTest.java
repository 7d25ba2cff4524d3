package dev.tether.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.Envelope;
import dev.tether.client.TetherClient;
import dev.tether.server.TetherServer;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** A real server's counters and gauges, read through Micrometer and scraped as Prometheus text. */
class TetherServerMetricsTest {

  @Test
  void theServersCountersAndGaugesReadWhatItDid() throws Exception {
    SimpleMeterRegistry simple = new SimpleMeterRegistry();
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (TetherServer server = TetherServer.builder().historyPerRoom(2).build()) {
      URI uri = server.listen("127.0.0.1", 0).uri();
      TetherServerMetrics metrics = TetherServerMetrics.of(server, Tags.of("server", "test"));
      metrics.bindTo(simple);
      metrics.bindTo(prometheus);
      TetherClient alice = TetherClient.builder(URI.create(uri + "?user=alice")).build();
      TetherClient bob = TetherClient.builder(URI.create(uri + "?user=bob")).build();
      try {
        alice.open();
        bob.open();
        alice.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS);
        Envelope first = Envelope.chat("lobby", "one");
        alice.send(first).get(10, TimeUnit.SECONDS);
        alice.send(Envelope.chat("lobby", "two")).get(10, TimeUnit.SECONDS);
        alice.send(Envelope.chat("lobby", "three")).get(10, TimeUnit.SECONDS);
        alice.send(first).get(10, TimeUnit.SECONDS); // the same id again: acked from the dedup memory
        bob.send(Envelope.resume("lobby", 0, null)).get(10, TimeUnit.SECONDS); // history holds 2 of 3: a gap

        assertThat(simple.get("tether.server.chats.accepted").tag("server", "test").functionCounter().count())
            .isEqualTo(3);
        assertThat(simple.get("tether.server.dedup.hits").functionCounter().count()).isEqualTo(1);
        assertThat(simple.get("tether.server.resumes").functionCounter().count()).isEqualTo(1);
        assertThat(simple.get("tether.server.history.gaps").functionCounter().count()).isEqualTo(1);
        assertThat(simple.get("tether.server.slow.members.closed").functionCounter().count()).isZero();
        assertThat(simple.get("tether.server.connections").gauge().value()).isEqualTo(2);
        assertThat(simple.get("tether.server.rooms").gauge().value()).isEqualTo(1);

        String scrape = prometheus.scrape();
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "server-scrape.txt"), scrape); // the README's example comes from here
        assertThat(scrape)
            .contains("tether_server_chats_accepted_total{server=\"test\"} 3.0")
            .contains("tether_server_dedup_hits_total{server=\"test\"} 1.0")
            .contains("tether_server_history_gaps_total{server=\"test\"} 1.0")
            .contains("tether_server_connections{server=\"test\"} 2.0")
            .contains("# HELP tether_server_chats_accepted_total chats given a seq");
      } finally {
        alice.close();
        bob.close();
      }
      Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> simple.get("tether.server.connections").gauge().value() == 0);

      metrics.close();
      assertThat(simple.find("tether.server.chats.accepted").functionCounter()).isNull();
      assertThat(simple.getMeters()).isEmpty();
      assertThat(prometheus.scrape()).doesNotContain("tether_server");
    }
  }
}

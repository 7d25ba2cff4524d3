package dev.tether.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link PubSubProbe} on fake time: each {@link PubSubProbe#tick()} is one probe interval. */
class PubSubProbeTest {
  private final AtomicLong received = new AtomicLong();
  private final List<CompletableFuture<Long>> publishes = new ArrayList<>();
  private final List<String> replacements = new ArrayList<>();
  private boolean connected = true;
  private final PubSubProbe probe = new PubSubProbe(new PubSubProbe.Target() {
    @Override
    public boolean connected() {
      return connected;
    }

    @Override
    public CompletionStage<Long> publishProbe() {
      CompletableFuture<Long> f = new CompletableFuture<>();
      publishes.add(f);
      return f;
    }

    @Override
    public void replace(String why) {
      replacements.add(why);
    }
  }, received::get);

  @Test
  void aConnectionThatKeepsDeliveringIsNeverProbed() {
    for (int i = 0; i < 10; i++) {
      received.incrementAndGet();
      probe.tick();
    }
    assertThat(publishes).isEmpty();
    assertThat(replacements).isEmpty();
  }

  @Test
  void aQuietConnectionIsProbedAndKeptWhenTheProbeComesBack() {
    probe.tick();
    probe.tick(); // quiet for an interval: probe
    assertThat(publishes).hasSize(1);
    publishes.get(0).complete(1L);
    received.incrementAndGet(); // the probe came back
    probe.tick();
    probe.tick();
    assertThat(publishes).hasSize(2); // quiet again: another probe, no replacement
    assertThat(replacements).isEmpty();
  }

  @Test
  void aProbeThatFindsNoSubscriberReplacesTheConnectionAtOnce() {
    probe.tick();
    probe.tick();
    publishes.get(0).complete(0L);
    assertThat(replacements).singleElement().asString().contains("no subscriber");
  }

  @Test
  void aProbeNotBackByTheNextTickReplacesTheConnection() {
    probe.tick();
    probe.tick();
    publishes.get(0).complete(1L);
    assertThat(replacements).isEmpty();
    probe.tick();
    assertThat(replacements).singleElement().asString().contains("not even the probe");
  }

  @Test
  void aPublishThatFailsReplacesNothing() {
    probe.tick();
    for (int i = 0; i < 5; i++) {
      probe.tick();
      publishes.get(i).completeExceptionally(new IllegalStateException("not connected"));
    }
    assertThat(publishes).hasSize(5);
    assertThat(replacements).isEmpty();
  }

  @Test
  void aClosedConnectionIsReplaced() {
    probe.tick();
    connected = false;
    probe.tick();
    assertThat(replacements).singleElement().asString().contains("closed");
    assertThat(publishes).isEmpty();
  }

  @Test
  void replacementsInARowBackOffUpToTenIntervals() {
    probe.tick();
    List<Integer> gaps = new ArrayList<>();
    int since = 0;
    for (int tick = 0; tick < 200 && gaps.size() < 7; tick++) {
      int before = replacements.size();
      probe.tick();
      since++;
      if (!publishes.isEmpty() && !publishes.get(publishes.size() - 1).isDone()) {
        publishes.get(publishes.size() - 1).complete(0L); // Redis never knows our subscription
      }
      if (replacements.size() > before) {
        gaps.add(since);
        since = 0;
      }
    }
    // A replacement right away, then 1, 2, 4, 8, 10, 10 intervals skipped before the next probe.
    assertThat(gaps).containsExactly(1, 2, 3, 5, 9, 11, 11);
  }

  @Test
  void somethingArrivingEndsTheBackOff() {
    probe.tick();
    probe.tick();
    publishes.get(0).complete(0L);
    assertThat(replacements).hasSize(1);
    received.incrementAndGet(); // the new connection delivers
    probe.tick();
    probe.tick();
    assertThat(publishes).hasSize(2); // probed after one quiet interval again, no skipping
  }
}

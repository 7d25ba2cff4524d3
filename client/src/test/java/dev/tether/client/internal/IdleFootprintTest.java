package dev.tether.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/**
 * What an idle connection does not need is not created: the parts every client has allocate their
 * queues and collections on first use (the bench's {@code connections} workload measures the heap;
 * this guards the laziness it relies on).
 */
class IdleFootprintTest {
  private final List<Runnable> submitted = new ArrayList<>();
  private final Executor recording = submitted::add;

  @Test
  void serialExecutorHoldsNoQueueUntilItsFirstTask() {
    SerialExecutor executor = new SerialExecutor(recording, "test task");
    executor.start();
    assertThat(submitted).as("nothing to drain").isEmpty();
    assertThat(executor.claim()).isTrue();
    executor.runClaimed(); // a claimed drain of nothing ends the claim
    assertThat(executor.neverUsed()).as("no queue after starts and an empty drain").isTrue();

    List<String> ran = new ArrayList<>();
    executor.enqueue(() -> ran.add("a"));
    executor.enqueue(() -> ran.add("b"));
    assertThat(executor.neverUsed()).isFalse();
    executor.start();
    assertThat(submitted).hasSize(1);
    submitted.get(0).run();
    assertThat(ran).containsExactly("a", "b");
    assertThat(executor.claim()).as("the drain ended its turn").isTrue();
  }

  @Test
  void connectionThatWroteNothingHoldsNoFrameQueueNorPingQueueNorLostRooms() {
    Connection c = new Connection(null, 1, URI.create("ws://127.0.0.1:1/im"));
    c.writer.drain();
    assertThat(c.writer.neverUsed()).as("frame queue").isTrue();
    assertThat(c.pings.neverUsed()).as("ping queue").isTrue();
    assertThat(c.noLostRooms()).as("lost rooms").isTrue();
    assertThat(c.claimHeartbeatPing()).isTrue();
    assertThat(c.claimHeartbeatPing()).as("one heartbeat ping pending at a time").isFalse();
    c.heartbeatPingWritten();
    assertThat(c.claimHeartbeatPing()).isTrue();

    c.lostRooms().add("r");
    assertThat(c.noLostRooms()).isFalse();
    assertThat(c.lostRooms()).containsExactly("r");
  }

  @Test
  void emptyOutboxAndSenderOrderAnswerWithoutCollections() {
    Outbox outbox = new Outbox(10, 1_000);
    assertThat(outbox.size()).isZero();
    assertThat(outbox.envelope("x")).isNull();
    assertThat(outbox.removeEnvelope("x")).isNull();
    assertThat(outbox.firstWritten()).isNull();
    assertThat(outbox.drain()).isEmpty();
    outbox.forEach(e -> true);
    assertThat(outbox.holdsNoMap()).isTrue();

    SenderOrder order = new SenderOrder();
    assertThat(order.answered("x")).isFalse();
    assertThat(order.oldestInFlight()).isNull();
    assertThat(order.pump(0)).isEmpty();
    assertThat(order.liftBarrier()).isFalse();
    assertThat(order.holdsNoFrames()).isTrue();
  }
}

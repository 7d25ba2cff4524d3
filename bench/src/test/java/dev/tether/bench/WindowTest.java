package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The compare harness's window: a message is finished only once delivered and (with acks) acked,
 * in either order, so no more than the window is ever unfinished; a run drains; a message that is
 * never delivered shows as a run that did not drain.
 */
class WindowTest {
  /**
   * A system that delivers each message at once on the sender's thread and acks later from another
   * thread, in bursts: once more than the window waits, or when nothing was sent for 5 ms. A window
   * released by deliveries alone would so have more than its size unacked. Messages whose number
   * {@code dropEvery} divides are lost: neither delivered nor acked.
   */
  private static final class LaggingAcks implements Messenger {
    final Messenger.Events events;
    final boolean acks;
    final ConcurrentLinkedQueue<Long> toAck = new ConcurrentLinkedQueue<>();
    final AtomicLong sent = new AtomicLong();
    final AtomicLong mostUnfinished = new AtomicLong();
    final AtomicLong ackedSoFar = new AtomicLong();
    final long dropEvery;
    final Thread acker;

    LaggingAcks(Messenger.Events events, boolean acks, long dropEvery) {
      this.events = events;
      this.acks = acks;
      this.dropEvery = dropEvery;
      this.acker = new Thread(() -> {
        long quietSince = System.nanoTime();
        long lastSent = 0;
        while (!Thread.currentThread().isInterrupted()) {
          long s = sent.get();
          if (s != lastSent) {
            lastSent = s;
            quietSince = System.nanoTime();
          }
          if (toAck.size() > Workload.WINDOW || (!toAck.isEmpty() && System.nanoTime() - quietSince > 5_000_000)) {
            for (Long n; (n = toAck.poll()) != null; ) {
              ackedSoFar.incrementAndGet();
              events.acked();
            }
          }
          java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
      });
      acker.setDaemon(true);
      acker.start();
    }

    @Override
    public void send(String text) {
      long n = sent.incrementAndGet();
      mostUnfinished.accumulateAndGet(n - (acks ? ackedSoFar.get() : n - 1), Math::max);
      if (dropEvery > 0 && n % dropEvery == 0) {
        return; // lost: neither delivered nor acked
      }
      events.delivered();
      if (acks) {
        toAck.add(n);
      }
    }

    @Override
    public boolean acks() {
      return acks;
    }

    @Override
    public void close() {
      acker.interrupt();
    }
  }

  @Test
  void aMessageDeliveredButNotYetAckedStaysInTheWindow() throws Exception {
    Window window = new Window(Workload.WINDOW);
    LaggingAcks m = new LaggingAcks(window, true, 0);
    window.attach(m);
    Window.Run run = window.run(200, 10_000, new ProcessMeter());
    m.close();
    assertThat(run.drained()).isTrue();
    assertThat(run.sent()).isPositive();
    assertThat(run.acked()).isEqualTo(run.sent());
    assertThat(run.delivered()).isEqualTo(run.sent());
    assertThat(m.mostUnfinished.get()).isLessThanOrEqualTo(Workload.WINDOW);
  }

  @Test
  void aLostMessageLeavesTheRunUndrainedAndUndelivered() throws Exception {
    Window window = new Window(Workload.WINDOW);
    LaggingAcks m = new LaggingAcks(window, false, 1000);
    window.attach(m);
    Window.Run run = window.run(200, 200, new ProcessMeter());
    m.close();
    assertThat(run.drained()).isFalse();
    assertThat(run.sent() - run.delivered()).isPositive();
  }

  @Test
  void consecutiveRunsEachCountTheirOwnMessages() throws Exception {
    Window window = new Window(4);
    LaggingAcks m = new LaggingAcks(window, true, 0);
    window.attach(m);
    Window.Run first = window.run(100, 10_000, new ProcessMeter());
    Window.Run second = window.run(100, 10_000, new ProcessMeter());
    m.close();
    assertThat(first.sent() + second.sent()).isEqualTo(m.sent.get());
    assertThat(second.delivered()).isEqualTo(second.sent());
    assertThat(second.acked()).isEqualTo(second.sent());
  }
}

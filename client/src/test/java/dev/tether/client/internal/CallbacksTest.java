package dev.tether.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.client.ClientEventListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** The callback queue's handling of the event listener: queued in order, and not at all without one. */
class CallbacksTest {
  private final List<Runnable> submitted = new ArrayList<>();
  private final Executor recording = submitted::add;

  @Test
  void aBurstOfEnvelopesIsOneHandOffAndOneDrainInOrder() {
    List<String> delivered = new ArrayList<>();
    Callbacks callbacks = new Callbacks(recording, new SocketDelegate() {
      @Override
      public void onEnvelope(dev.tether.api.TetherSocket socket, Envelope envelope) {
        delivered.add(envelope.text());
      }
    }, null);
    // As the reading thread does per frame: queue under the lock, start after releasing it.
    for (int k = 0; k < 50; k++) {
      callbacks.envelope(Envelope.chat("r", "m" + k));
      callbacks.startCallbacks();
    }
    assertThat(submitted).as("one hand-off to the executor for the burst").hasSize(1);
    submitted.remove(0).run();
    assertThat(delivered).hasSize(50).startsWith("m0", "m1").endsWith("m49");
    SerialExecutor queue = callbacks.callbackQueue();
    assertThat(queue.drains()).isEqualTo(1);
    assertThat(queue.tasksRun()).isEqualTo(50);
    assertThat(submitted).as("nothing left to drain").isEmpty();
  }

  @Test
  void withoutAListenerItsEventsQueueNothing() {
    Callbacks callbacks = new Callbacks(recording, new SocketDelegate() {}, null);
    callbacks.rttMeasured(1_000);
    callbacks.acked(Envelope.chat("r", "x"), 2_000);
    callbacks.disconnected();
    callbacks.start();
    assertThat(submitted).as("no drain was needed").isEmpty();
  }

  @Test
  void listenerEventsRunInTheQueueInOrderWithTheirDurations() {
    List<String> heard = new ArrayList<>();
    ClientEventListener listener = new ClientEventListener() {
      @Override
      public void connected() {
        heard.add("connected");
      }

      @Override
      public void rttMeasured(Duration rtt) {
        heard.add("rtt " + rtt);
      }

      @Override
      public void acked(Envelope envelope, Duration sinceFirstWrite) {
        heard.add("acked " + envelope.text() + " " + sinceFirstWrite);
      }

      @Override
      public void gap(String room, long fromSeq, long toSeq) {
        heard.add("gap " + room + " " + fromSeq + ".." + toSeq);
      }

      @Override
      public void reset(String room, long lastSeqBefore) {
        heard.add("reset " + room + " " + lastSeqBefore);
      }

      @Override
      public void disconnected() {
        heard.add("disconnected");
      }
    };
    Callbacks callbacks = new Callbacks(Runnable::run, new SocketDelegate() {}, null, listener);
    callbacks.open();
    callbacks.rttMeasured(1_500_000);
    callbacks.acked(Envelope.chat("r", "x"), 2_000_000);
    callbacks.gap("r", 2, 3);
    callbacks.reset("r", 7);
    callbacks.disconnected();
    assertThat(heard).as("nothing runs before start()").isEmpty();
    callbacks.start();
    assertThat(heard).containsExactly("connected", "rtt PT0.0015S", "acked x PT0.002S", "gap r 2..3",
        "reset r 7", "disconnected");
  }
}

package dev.tether.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.api.Ack;
import dev.tether.api.DeliveryState;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ErrorReply;
import dev.tether.api.RejectedException;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherException;
import dev.tether.api.TetherSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The delivery tracker on fake time: states, resend order, ack timeout, expiry. */
class DeliveryTrackerTest {
  private static final Duration ACK_TIMEOUT = Duration.ofSeconds(2);

  private final Object lock = new Object();
  private final FakeScheduler clock = new FakeScheduler();
  /** "id STATE" for every delivery state reported. */
  private final List<String> states = new ArrayList<>();
  private final Callbacks callbacks = new Callbacks(Runnable::run, new SocketDelegate() {
    @Override
    public void onDeliveryState(TetherSocket socket, Envelope envelope, DeliveryState state) {
      states.add(envelope.id() + " " + state);
    }
  }, null);
  private final Counters counters = new Counters();
  private int ticks;
  private final DeliveryTracker tracker = new DeliveryTracker(lock, new Outbox(100, 1 << 20), callbacks,
      new StoreSync(null, lock, callbacks), counters, clock, ACK_TIMEOUT, () -> ticks++);
  private final RoomTracker rooms = new RoomTracker(16);

  private <T> T locked(Supplier<T> action) {
    T result;
    synchronized (lock) {
      result = action.get();
    }
    callbacks.start();
    return result;
  }

  private static Outbox.Entry envelope(String id) {
    Envelope e = Envelope.chat("r", "text of " + id).withId(id);
    return Outbox.Entry.envelope(e, EnvelopeCodec.shared().encode(e), new CompletableFuture<>());
  }

  private List<String> written() {
    return locked(() -> tracker.takeUnwritten().stream()
        .map(e -> e.envelope != null ? e.envelope.id() : "text " + e.text).toList());
  }

  private void queue(Outbox.Entry e) {
    locked(() -> {
      tracker.queue(e);
      return null;
    });
  }

  private void sendNow(Outbox.Entry e) {
    locked(() -> {
      tracker.sendNow(e);
      return null;
    });
  }

  private void connectionLost() {
    locked(() -> {
      tracker.connectionLost();
      return null;
    });
  }

  @Test
  void anEnvelopeQueuedWhileClosedIsSentOnOpenAndAcked() throws Exception {
    Outbox.Entry a = envelope("a");
    queue(a);
    assertThat(written()).containsExactly("a");
    clock.advance(Duration.ofMillis(30));
    assertThat(locked(() -> tracker.acked(new Ack("a", 7)))).isEqualTo(a.envelope);
    assertThat(states).containsExactly("a QUEUED", "a SENT", "a ACKED");
    assertThat(a.future.get()).isEqualTo(new Ack("a", 7));
    assertThat(locked(tracker::size)).isZero();
    assertThat(counters.acks).isEqualTo(1);
    assertThat(counters.lastRttNanos).isEqualTo(Duration.ofMillis(30).toNanos());
  }

  /** Guards issue 9, defect 2. */
  @Test
  void anEnvelopeLostWithItsConnectionIsQueuedAgainThenResent() {
    Outbox.Entry a = envelope("a");
    sendNow(a);
    connectionLost();
    assertThat(written()).containsExactly("a");
    locked(() -> tracker.acked(new Ack("a", 1)));
    assertThat(states).containsExactly("a SENT", "a QUEUED", "a SENT", "a ACKED");
    assertThat(counters.resends).isEqualTo(1);
  }

  @Test
  void aNewConnectionWritesResumesThenUnackedInFirstSendOrderThenWhatWasNeverSent() {
    locked(() -> {
      rooms.joined("lobby", 4);
      rooms.joined("kitchen", 9);
      return null;
    });
    queue(envelope("never-1"));
    sendNow(envelope("sent-1"));
    queue(Outbox.Entry.text("plain"));
    sendNow(envelope("sent-2"));
    queue(envelope("never-2"));
    assertThat(written()).containsExactly("never-1", "text plain", "never-2");
    // Both connections' writes are unacked now; sent-1, sent-2 went first, then never-1, never-2.
    connectionLost();

    List<String> resumes = locked(() -> tracker.resumes(rooms));
    assertThat(resumes).hasSize(2);
    assertThat(resumes.get(0)).contains("\"room\":\"lobby\"", "\"after\":4");
    assertThat(resumes.get(1)).contains("\"room\":\"kitchen\"", "\"after\":9");
    assertThat(written()).containsExactly("sent-1", "sent-2", "never-1", "never-2");
    assertThat(locked(tracker::size)).as("the text frame was written once and forgotten").isEqualTo(4);
  }

  @Test
  void aResumeAckIsRecognisedUntilTheConnectionEnds() {
    locked(() -> {
      rooms.joined("lobby", 0);
      return null;
    });
    String frame = locked(() -> tracker.resumes(rooms)).get(0);
    String id = ((Envelope) EnvelopeCodec.shared().decode(frame)).id();
    assertThat(locked(() -> tracker.resumeAcked(new Ack(id, 3)))).isEqualTo("lobby");
    assertThat(locked(() -> tracker.resumeAcked(new Ack(id, 3)))).as("once").isNull();
    String again = ((Envelope) EnvelopeCodec.shared().decode(locked(() -> tracker.resumes(rooms)).get(0))).id();
    connectionLost();
    assertThat(locked(() -> tracker.resumeAcked(new Ack(again, 3)))).isNull();
  }

  @Test
  void anAckOverdueOnTheOpenConnectionIsFoundByTheTick() {
    sendNow(envelope("a"));
    clock.advance(ACK_TIMEOUT.minusMillis(1));
    assertThat(locked(() -> tracker.tick(true))).isNull();
    clock.advance(Duration.ofMillis(1));
    assertThat(locked(() -> tracker.tick(false))).as("not while closed").isNull();
    assertThat(locked(() -> tracker.tick(true))).isEqualTo("a");
  }

  @Test
  void anEnvelopeThatExpiresFailsAndLeavesTheOutbox() {
    Outbox.Entry a = envelope("a");
    a.expiresAt = clock.nanoTime() + Duration.ofMillis(100).toNanos();
    Outbox.Entry b = envelope("b");
    queue(a);
    queue(b);
    clock.advance(Duration.ofMillis(100));
    locked(() -> tracker.tick(false));
    assertThat(states).containsExactly("a QUEUED", "b QUEUED", "a FAILED");
    assertThatThrownBy(a.future::get).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(TetherException.class).hasMessage("expired: a was not acknowledged in time");
    assertThat(locked(tracker::size)).isEqualTo(1);
  }

  @Test
  void theTickRunsOnlyWhileTheOutboxHoldsSomething() {
    assertThat(clock.pending()).isEmpty();
    queue(envelope("a"));
    assertThat(clock.pending()).containsExactly(Duration.ofMillis(500)); // a quarter of the ack timeout
    clock.advance(Duration.ofMillis(500));
    assertThat(ticks).isEqualTo(1);
    locked(() -> tracker.acked(new Ack("a", 1)));
    locked(() -> tracker.tick(false));
    assertThat(clock.pending()).isEmpty();
  }

  @Test
  void failAllFailsEveryEnvelopeAndDropsFrames() {
    Outbox.Entry a = envelope("a");
    queue(a);
    queue(Outbox.Entry.text("t"));
    locked(() -> {
      tracker.failAll(new TetherException("not delivered: closed"), false);
      return null;
    });
    assertThat(a.future).isCompletedExceptionally();
    assertThat(states).containsExactly("a QUEUED", "a FAILED");
    assertThat(locked(tracker::size)).isZero();
  }

  @Test
  void aServerErrorFailsTheEnvelopeItNames() {
    Outbox.Entry a = envelope("a");
    sendNow(a);
    ErrorReply notMember = new ErrorReply("a", "not_member", "join first");
    assertThat(locked(() -> tracker.rejected(notMember))).isTrue();
    assertThatThrownBy(a.future::get).cause().isInstanceOf(RejectedException.class);
    assertThat(locked(() -> tracker.rejected(notMember))).as("only once").isFalse();
    assertThat(states).containsExactly("a SENT", "a FAILED");
  }

  @Test
  void aDuplicateAckIsIgnored() {
    sendNow(envelope("a"));
    locked(() -> tracker.acked(new Ack("a", 1)));
    assertThat(locked(() -> tracker.acked(new Ack("a", 1)))).isNull();
    assertThat(counters.acks).isEqualTo(1);
  }

  /** Issue 10: rate_limited and unavailable take nothing; the envelope waits, then goes again. */
  @Test
  void anEnvelopeRefusedWithoutBeingTakenIsQueuedWithoutAnAckTimeoutUntilWrittenAgain() {
    Outbox.Entry a = envelope("a");
    sendNow(a);
    a.counted = true; // numbered on this connection: it waits there, not among the unwritten
    locked(() -> {
      tracker.held(a);
      return null;
    });
    assertThat(written()).isEmpty();
    clock.advance(ACK_TIMEOUT.multipliedBy(3));
    assertThat(locked(() -> tracker.tick(true))).as("no ack timeout while it waits").isNull();
    locked(() -> {
      tracker.rewritten(a);
      return null;
    });
    clock.advance(ACK_TIMEOUT.minusMillis(1));
    assertThat(locked(() -> tracker.tick(true))).as("the timeout counts from the new write").isNull();
    clock.advance(Duration.ofMillis(1));
    assertThat(locked(() -> tracker.tick(true))).isEqualTo("a");
    assertThat(states).containsExactly("a SENT", "a QUEUED", "a SENT");
    assertThat(counters.resends).isEqualTo(1);
    connectionLost();
    assertThat(written()).as("a new connection takes it again").containsExactly("a");
  }

  @Test
  void anEnvelopeThatExpiredWhileWaitingIsWrittenAgainWithoutAState() {
    Outbox.Entry a = envelope("a");
    a.expiresAt = clock.nanoTime() + Duration.ofMillis(100).toNanos();
    sendNow(a);
    a.counted = true;
    locked(() -> {
      tracker.held(a);
      return null;
    });
    clock.advance(Duration.ofMillis(100));
    locked(() -> tracker.tick(true));
    locked(() -> {
      tracker.rewritten(a);
      return null;
    });
    assertThat(states).containsExactly("a SENT", "a QUEUED", "a FAILED");
  }

  @Test
  void everyMethodAssertsTheLock() {
    assertThatThrownBy(tracker::size).isInstanceOf(AssertionError.class);
  }
}

package dev.tether.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.api.ReadyState;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.ReconnectPolicy;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The lifecycle state machine on fake time, without a container: every transition, close() in each
 * phase, timers that fire after their phase ended, and the network going away at every step. Timer
 * tasks only record what fired; a test applies them when it wants, which is how a timer that raced
 * with another event is modelled.
 */
class LifecycleTest {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
  private static final ReconnectPolicy ONE_TO_FOUR =
      ReconnectPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(4));

  private final Object lock = new Object();
  private final FakeScheduler clock = new FakeScheduler();
  /** Delegate callbacks, as "open", "failure: ...", "close 1000 '' clean", "reconnecting 1 PT1S". */
  private final List<String> heard = new ArrayList<>();
  /** Timer and heartbeat events, in the order they fired; applied by the test. */
  private final List<Object> fired = new ArrayList<>();
  private final List<Connection> pinged = new ArrayList<>();
  private Duration heartbeatInterval = Duration.ZERO;
  /** The socket's URIs; one unless a test fails over. */
  private List<URI> uris = List.of(URI.create("ws://h/im"));
  private Callbacks callbacks;
  private Lifecycle lifecycle = lifecycle(ONE_TO_FOUR);

  private Lifecycle lifecycle(ReconnectPolicy policy) {
    SocketDelegate recorder = new SocketDelegate() {
      @Override
      public void onOpen(TetherSocket socket) {
        heard.add("open");
      }

      @Override
      public void onFailure(TetherSocket socket, Throwable error) {
        heard.add("failure: " + error.getMessage());
      }

      @Override
      public void onClose(TetherSocket socket, int code, String reason, boolean wasClean) {
        heard.add("close " + code + " '" + reason + "' " + (wasClean ? "clean" : "unclean"));
      }

      @Override
      public void onReconnecting(TetherSocket socket, int attempt, Duration delay) {
        heard.add("reconnecting " + attempt + " " + delay);
      }
    };
    Lifecycle.Hooks hooks = new Lifecycle.Hooks() {
      @Override
      public Connection newConnection(long number, URI uri) {
        return new Connection(null, number, uri);
      }

      @Override
      public Heartbeat heartbeat(Connection c) {
        return new Heartbeat(clock, heartbeatInterval, Duration.ofMillis(300), payload -> pinged.add(c),
            timeout -> fired.add(timeout));
      }

      @Override
      public void connectTimedOut(Phase.Attempt attempt) {
        fired.add(attempt);
      }

      @Override
      public void backoffOver(Phase.Backoff backoff) {
        fired.add(backoff);
      }

      @Override
      public void closeTimedOut(Phase.Closing closing) {
        fired.add(closing);
      }
    };
    callbacks = new Callbacks(Runnable::run, recorder, null);
    return new Lifecycle(lock, clock, new ClientConfig.Timeouts(CONNECT_TIMEOUT, CLOSE_TIMEOUT, Duration.ofSeconds(10)),
        policy, new SplittableRandom(1), callbacks, hooks, new UriRotation(uris));
  }

  /** Runs a transition under the lock, then lets the queued callbacks run, as the socket does. */
  private After step(Supplier<After> transition) {
    After after;
    synchronized (lock) {
      after = transition.get();
    }
    callbacks.start();
    return after;
  }

  private Phase phase() {
    synchronized (lock) {
      return lifecycle.phase();
    }
  }

  /** Open with the network up; returns the attempt's connection. */
  private Connection attempt() {
    After after = step(() -> lifecycle.open(true));
    assertThat(after.action()).isEqualTo(After.Action.CONNECT);
    return after.connection();
  }

  private Connection opened() {
    Connection c = attempt();
    assertThat(step(() -> lifecycle.opened(c)).action()).isEqualTo(After.Action.FLUSH);
    return c;
  }

  private After fail(Connection c, boolean networkUp) {
    return step(() -> lifecycle.attemptFailed(c, new TimeoutException("refused"), false, true, networkUp));
  }

  private After lose(Connection c, boolean networkUp) {
    return step(() -> lifecycle.connectionEnded(c, 1006, "lost", false, null, true, networkUp));
  }

  private Phase.Backoff backoff() {
    return (Phase.Backoff) phase();
  }

  @Test
  void aNewLifecycleIsIdleAndClosed() {
    assertThat(phase()).isInstanceOf(Phase.Idle.class);
    assertThat(lifecycle.readyState()).isEqualTo(ReadyState.CLOSED);
  }

  @Test
  void openStartsAnAttemptWithItsConnectTimeout() {
    Connection c = attempt();
    assertThat(phase()).isEqualTo(new Phase.Attempt(0, c));
    assertThat(lifecycle.readyState()).isEqualTo(ReadyState.CONNECTING);
    assertThat(clock.pending()).containsExactly(CONNECT_TIMEOUT);
  }

  @Test
  void openWhileConnectingOrOpenDoesNothing() {
    Connection c = attempt();
    Phase attempt = phase();
    assertThat(step(() -> lifecycle.open(true))).isEqualTo(After.NOTHING);
    assertThat(phase()).isSameAs(attempt);
    step(() -> lifecycle.opened(c));
    assertThat(step(() -> lifecycle.open(true))).isEqualTo(After.NOTHING);
    assertThat(phase()).isInstanceOf(Phase.Open.class);
  }

  @Test
  void theHandshakeOpensTheConnectionCancelsItsTimeoutAndStartsTheHeartbeat() {
    heartbeatInterval = Duration.ofSeconds(1);
    Connection c = opened();
    assertThat(phase()).isEqualTo(new Phase.Open(c));
    assertThat(lifecycle.readyState()).isEqualTo(ReadyState.OPEN);
    assertThat(heard).containsExactly("open");
    assertThat(clock.pending()).containsExactly(Duration.ofSeconds(1)); // the first ping; no connect timeout
    clock.advance(Duration.ofSeconds(1));
    assertThat(pinged).containsExactly(c);
  }

  @Test
  void aFailedAttemptBacksOffAndTheNextAttemptStartsWhenTheWaitIsOver() {
    Connection first = attempt();
    fail(first, true);
    assertThat(heard).containsExactly("failure: refused", "reconnecting 1 PT1S");
    assertThat(backoff().retry()).isEqualTo(1);
    assertThat(clock.pending()).containsExactly(Duration.ofSeconds(1));

    clock.advance(Duration.ofSeconds(1));
    assertThat(fired).containsExactly(backoff());
    After after = step(() -> lifecycle.backoffOver((Phase.Backoff) fired.get(0), true));
    assertThat(after.action()).isEqualTo(After.Action.CONNECT);
    assertThat(after.connection()).isNotSameAs(first);
    assertThat(phase()).isEqualTo(new Phase.Attempt(1, after.connection()));
  }

  @Test
  void retriesCountUpToTheCapAndStartOverOnceAConnectionOpens() {
    Connection c = attempt();
    for (int retry = 1; retry <= 4; retry++) {
      fail(c, true);
      Phase.Backoff b = backoff();
      assertThat(b.retry()).isEqualTo(retry);
      assertThat(b.delay()).isEqualTo(Duration.ofSeconds(Math.min(4, 1L << (retry - 1))));
      c = step(() -> lifecycle.backoffOver(b, true)).connection();
    }
    Connection open = c;
    step(() -> lifecycle.opened(open));
    lose(open, true);
    assertThat(backoff().retry()).isEqualTo(1);
    assertThat(heard).endsWith("close 1006 'lost' unclean", "reconnecting 1 PT1S");
  }

  @Test
  void aTerminalFailureStopsAndFailsWhatWaitsButOpenMayBeCalledAgain() {
    Connection c = attempt();
    After after = step(() -> lifecycle.attemptFailed(c, new IllegalStateException("HTTP 404"), true, true, true));
    assertThat(phase()).isInstanceOf(Phase.Idle.class);
    assertThat(after.dropQueued()).hasMessage("not delivered: HTTP 404");
    assertThat(heard).containsExactly("failure: HTTP 404");
    assertThat(clock.pending()).isEmpty();
    assertThat(step(() -> lifecycle.open(true)).action()).isEqualTo(After.Action.CONNECT);
  }

  @Test
  void aCloseCodeThatForbidsReconnectingStops() {
    Connection c = opened();
    After after = step(() -> lifecycle.connectionEnded(c, 1008, "policy", true, null, false, true));
    assertThat(phase()).isInstanceOf(Phase.Idle.class);
    assertThat(after.dropQueued()).hasMessage(
        "not delivered: connection closed with 1008 policy; the close code does not allow reconnecting");
    assertThat(heard).containsExactly("open", "close 1008 'policy' clean");
  }

  @Test
  void withoutReconnectALostConnectionStops() {
    lifecycle = lifecycle(ReconnectPolicy.none());
    Connection c = opened();
    assertThat(lose(c, true).dropQueued()).hasMessageEndingWith("; reconnect is off");
    assertThat(phase()).isInstanceOf(Phase.Idle.class);
  }

  @Test
  void afterTheLastAllowedAttemptItGivesUpOnce() {
    lifecycle = lifecycle(ONE_TO_FOUR.withMaxAttempts(2));
    Connection c = attempt();
    for (int i = 0; i < 2; i++) {
      fail(c, true);
      Phase.Backoff b = backoff();
      c = step(() -> lifecycle.backoffOver(b, true)).connection();
    }
    After after = fail(c, true);
    assertThat(heard).endsWith("failure: refused", "failure: gave up reconnecting to ws://h/im after 2 attempts");
    assertThat(after.dropQueued()).hasMessageStartingWith("gave up reconnecting");
    assertThat(phase()).isInstanceOf(Phase.Idle.class);
    assertThat(clock.pending()).isEmpty();
  }

  @Test
  void openWithTheNetworkDownWaitsForItAndConnectsAtOnceWhenItReturns() {
    assertThat(step(() -> lifecycle.open(false))).isEqualTo(After.NOTHING);
    assertThat(phase()).isInstanceOf(Phase.WaitingForNetwork.class);
    assertThat(lifecycle.readyState()).isEqualTo(ReadyState.CONNECTING);
    assertThat(clock.pending()).isEmpty();
    After after = step(() -> lifecycle.networkChanged(true));
    assertThat(after.action()).isEqualTo(After.Action.CONNECT);
    assertThat(phase()).isEqualTo(new Phase.Attempt(0, after.connection()));
  }

  @Test
  void theNetworkGoingDownDuringAnAttemptLetsItFinishAndAFailureThenWaitsForTheNetwork() {
    Connection c = attempt();
    Phase attempt = phase();
    assertThat(step(() -> lifecycle.networkChanged(false))).isEqualTo(After.NOTHING);
    assertThat(phase()).isSameAs(attempt);
    fail(c, false);
    assertThat(phase()).isInstanceOf(Phase.WaitingForNetwork.class);
    assertThat(heard).containsExactly("failure: refused"); // no reconnecting: no wait is scheduled
    assertThat(clock.pending()).isEmpty();
    assertThat(step(() -> lifecycle.networkChanged(true)).action()).isEqualTo(After.Action.CONNECT);
    assertThat(((Phase.Attempt) phase()).retry()).as("attempts start over").isZero();
  }

  @Test
  void aBackoffThatEndsWhileTheNetworkIsDownWaitsForItInstead() {
    fail(attempt(), true);
    Phase.Backoff b = backoff();
    assertThat(step(() -> lifecycle.backoffOver(b, false))).isEqualTo(After.NOTHING);
    assertThat(phase()).isInstanceOf(Phase.WaitingForNetwork.class);
    assertThat(step(() -> lifecycle.networkChanged(true)).action()).isEqualTo(After.Action.CONNECT);
  }

  @Test
  void theNetworkGoingDownDuringABackoffCancelsTheWait() {
    fail(attempt(), true);
    step(() -> lifecycle.networkChanged(false));
    assertThat(phase()).isInstanceOf(Phase.WaitingForNetwork.class);
    assertThat(clock.pending()).isEmpty();
    clock.advance(Duration.ofMinutes(1));
    assertThat(fired).isEmpty();
  }

  @Test
  void theNetworkReturningDuringABackoffConnectsAtOnceWithAttemptsReset() {
    Connection c = attempt();
    fail(c, true);
    Phase.Backoff b = backoff();
    c = step(() -> lifecycle.backoffOver(b, true)).connection();
    fail(c, true);
    assertThat(backoff().retry()).isEqualTo(2);
    After after = step(() -> lifecycle.networkChanged(true));
    assertThat(phase()).isEqualTo(new Phase.Attempt(0, after.connection()));
    assertThat(clock.pending()).containsExactly(CONNECT_TIMEOUT);
  }

  @Test
  void aConnectionLostWhileTheNetworkIsDownWaitsForIt() {
    lose(opened(), false);
    assertThat(phase()).isInstanceOf(Phase.WaitingForNetwork.class);
    assertThat(heard).containsExactly("open", "close 1006 'lost' unclean");
  }

  @Test
  void theHeartbeatFindsADeadConnectionWhichIsAborted() {
    heartbeatInterval = Duration.ofMillis(100);
    Connection c = opened();
    clock.advance(Duration.ofMillis(400)); // a ping at 100, its deadline at 400
    assertThat(fired).singleElement().isInstanceOf(TimeoutException.class);
    TimeoutException timeout = (TimeoutException) fired.get(0);
    After after = step(() -> lifecycle.lost(c, "heartbeat timeout", timeout, true, true));
    assertThat(after.action()).isEqualTo(After.Action.ABORT);
    assertThat(after.connection()).isSameAs(c);
    assertThat(heard).containsExactly("open", "failure: no pong within 300 ms (0 pongs before)",
        "close 1006 'heartbeat timeout' unclean", "reconnecting 1 PT1S");
    int pings = pinged.size();
    clock.advance(Duration.ofSeconds(1)); // the heartbeat stopped with the phase; only the backoff fires
    assertThat(pinged).hasSize(pings);
    assertThat(fired).hasSize(2).last().isInstanceOf(Phase.Backoff.class);
  }

  // ------------------------------------------------------------------------- close() in each phase

  @Test
  void closeWhenIdleIsFinalAndSilent() {
    assertThat(step(() -> lifecycle.close(1000, ""))).isEqualTo(After.NOTHING);
    assertThat(phase()).isInstanceOf(Phase.Closed.class);
    assertThat(heard).isEmpty();
    assertThatThrownBy(() -> step(() -> lifecycle.open(true))).isInstanceOf(IllegalStateException.class)
        .hasMessage("open() after close(): a closed socket cannot be reused");
  }

  @Test
  void closeDuringAnAttemptEndsAtOnceAndTheLateHandshakeIsClosed() {
    Connection c = attempt();
    assertThat(step(() -> lifecycle.close(1000, "bye"))).isEqualTo(After.NOTHING);
    assertThat(phase()).isInstanceOf(Phase.Closed.class);
    assertThat(heard).containsExactly("close 1000 'bye' clean");
    assertThat(clock.pending()).as("the connect timeout is cancelled").isEmpty();

    After late = step(() -> lifecycle.opened(c));
    assertThat(late.action()).isEqualTo(After.Action.CLOSE);
    assertThat(late.connection()).isSameAs(c);
    assertThat(step(() -> lifecycle.attemptFailed(c, new TimeoutException("late"), false, true, true)))
        .isEqualTo(After.NOTHING);
    assertThat(phase()).isInstanceOf(Phase.Closed.class);
    assertThat(heard).hasSize(1);
  }

  @Test
  void closeWhenOpenSendsACloseFrameAndThePeersAnswerEndsIt() {
    heartbeatInterval = Duration.ofSeconds(1);
    Connection c = opened();
    After after = step(() -> lifecycle.close(4001, "done"));
    assertThat(after.action()).isEqualTo(After.Action.CLOSE);
    assertThat(after.reason().getCloseCode().getCode()).isEqualTo(4001);
    assertThat(phase()).isEqualTo(new Phase.Closing(c, 4001));
    assertThat(lifecycle.readyState()).isEqualTo(ReadyState.CLOSING);
    assertThat(clock.pending()).as("heartbeat stopped; close timeout set").containsExactly(CLOSE_TIMEOUT);
    assertThat(step(() -> lifecycle.close(1000, ""))).as("idempotent").isEqualTo(After.NOTHING);

    step(() -> lifecycle.connectionEnded(c, 4001, "done", true, null, false, true));
    assertThat(phase()).isInstanceOf(Phase.Closed.class);
    assertThat(heard).containsExactly("open", "close 4001 'done' clean");
    // The close timer still fires, after its phase ended: no callback, but the transport goes.
    clock.advance(CLOSE_TIMEOUT);
    After release = step(() -> lifecycle.closeTimedOut((Phase.Closing) fired.get(0)));
    assertThat(release.action()).isEqualTo(After.Action.ABORT);
    assertThat(heard).hasSize(2);
  }

  @Test
  void aPeerThatNeverAnswersOurCloseIsAbortedAtTheCloseTimeout() {
    opened();
    step(() -> lifecycle.close(1000, ""));
    clock.advance(CLOSE_TIMEOUT);
    After after = step(() -> lifecycle.closeTimedOut((Phase.Closing) fired.get(0)));
    assertThat(after.action()).isEqualTo(After.Action.ABORT);
    assertThat(phase()).isInstanceOf(Phase.Closed.class);
    assertThat(heard).endsWith("close 1000 'no close frame from the peer within 5000 ms' unclean");
  }

  @Test
  void closeDuringABackoffCancelsTheWait() {
    fail(attempt(), true);
    step(() -> lifecycle.close(1000, ""));
    assertThat(phase()).isInstanceOf(Phase.Closed.class);
    assertThat(heard).endsWith("close 1000 '' clean");
    assertThat(clock.pending()).isEmpty();
    assertThat(step(() -> lifecycle.networkChanged(true))).isEqualTo(After.NOTHING);
  }

  @Test
  void closeWhileWaitingForTheNetworkEndsItAndTheNetworkReturningDoesNothing() {
    step(() -> lifecycle.open(false));
    step(() -> lifecycle.close(1001, "away"));
    assertThat(heard).containsExactly("close 1001 'away' clean");
    assertThat(step(() -> lifecycle.networkChanged(true))).isEqualTo(After.NOTHING);
    assertThat(phase()).isInstanceOf(Phase.Closed.class);
  }

  @Test
  void closeWhenClosedDoesNothing() {
    step(() -> lifecycle.close(1000, ""));
    assertThat(step(() -> lifecycle.close(1000, ""))).isEqualTo(After.NOTHING);
    assertThat(heard).isEmpty();
  }

  // ------------------------------------------------------------- timers after their phase ended

  @Test
  void aConnectTimeoutThatFiresAfterTheHandshakeCompletedIsIgnored() {
    Connection c = attempt();
    clock.advance(CONNECT_TIMEOUT); // fires; its handler has not taken the lock yet
    Phase.Attempt timedOut = (Phase.Attempt) fired.get(0);
    step(() -> lifecycle.opened(c));
    Phase open = phase();
    assertThat(step(() -> lifecycle.attemptFailed(timedOut.connection(), new TimeoutException("late"), false,
        true, true))).isEqualTo(After.NOTHING);
    assertThat(phase()).isSameAs(open);
    assertThat(heard).containsExactly("open");
  }

  @Test
  void aBackoffWaitThatFiresAfterTheNetworkReturnedIsIgnored() {
    fail(attempt(), true);
    clock.advance(Duration.ofSeconds(1));
    Phase.Backoff over = (Phase.Backoff) fired.get(0);
    step(() -> lifecycle.networkChanged(true)); // connects at once
    Phase attempt = phase();
    assertThat(step(() -> lifecycle.backoffOver(over, true))).isEqualTo(After.NOTHING);
    assertThat(phase()).as("no second attempt").isSameAs(attempt);
  }

  @Test
  void aHeartbeatDeathReportedAfterTheConnectionEndedIsIgnored() {
    Connection c = opened();
    lose(c, true);
    Phase backoff = phase();
    assertThat(step(() -> lifecycle.lost(c, "heartbeat timeout", new TimeoutException("late"), true, true)))
        .isEqualTo(After.NOTHING);
    assertThat(phase()).isSameAs(backoff);
    assertThat(heard).containsExactly("open", "close 1006 'lost' unclean", "reconnecting 1 PT1S");
  }

  @Test
  void aLateCloseCallbackOfAnEarlierConnectionIsIgnored() {
    Connection first = opened();
    lose(first, true);
    Phase.Backoff b = backoff();
    Connection second = step(() -> lifecycle.backoffOver(b, true)).connection();
    step(() -> lifecycle.opened(second));
    assertThat(lose(first, true)).isEqualTo(After.NOTHING);
    assertThat(phase()).isEqualTo(new Phase.Open(second));
  }

  @Test
  void aLateHandshakeOfAnAbandonedAttemptIsClosed() {
    Connection c = attempt();
    clock.advance(CONNECT_TIMEOUT);
    fail(((Phase.Attempt) fired.get(0)).connection(), true);
    After late = step(() -> lifecycle.opened(c));
    assertThat(late.action()).isEqualTo(After.Action.CLOSE);
    assertThat(phase()).isInstanceOf(Phase.Backoff.class);
  }

  @Test
  void transitionsAssertTheLock() {
    assertThatThrownBy(() -> lifecycle.open(true)).isInstanceOf(AssertionError.class);
  }

  // ------------------------------------------------------------------ failover between several URIs

  private static final URI A = URI.create("ws://a/im?user=alice&token=s3cret");
  private static final URI B = URI.create("ws://b/im?user=alice&token=s3cret");

  private Lifecycle failover(ReconnectPolicy policy) {
    uris = List.of(A, B);
    return lifecycle(policy);
  }

  private long waits() {
    return heard.stream().filter(h -> h.startsWith("reconnecting")).count();
  }

  @Test
  void aFailedAttemptMovesToTheNextUriAtOnceAndEachWholeRoundThatFailedIsOneBackoffStep() {
    lifecycle = failover(ONE_TO_FOUR);
    Connection a = attempt();
    assertThat(a.uri).isEqualTo(A);
    After next = fail(a, true);
    assertThat(next.action()).isEqualTo(After.Action.CONNECT);
    assertThat(next.connection().uri).isEqualTo(B);
    assertThat(phase()).isEqualTo(new Phase.Attempt(0, next.connection()));
    assertThat(heard).containsExactly("failure: refused");
    assertThat(clock.pending()).containsExactly(CONNECT_TIMEOUT);
    fail(next.connection(), true);
    assertThat(heard).containsExactly("failure: refused", "failure: refused", "reconnecting 1 PT1S");
    for (int round = 2; round <= 4; round++) {
      Phase.Backoff wait = backoff();
      clock.advance(wait.delay());
      assertThat(fired).endsWith(wait);
      Connection first = step(() -> lifecycle.backoffOver(wait, true)).connection();
      assertThat(first.uri).isEqualTo(A);
      Connection second = fail(first, true).connection();
      assertThat(second.uri).isEqualTo(B);
      assertThat(phase()).isEqualTo(new Phase.Attempt(round - 1, second));
      fail(second, true);
      assertThat(backoff().retry()).isEqualTo(round);
      assertThat(backoff().delay()).isEqualTo(Duration.ofSeconds(Math.min(4, 1L << (round - 1))));
    }
    assertThat(heard.stream().filter(h -> h.startsWith("reconnecting")))
        .containsExactly("reconnecting 1 PT1S", "reconnecting 2 PT2S", "reconnecting 3 PT4S", "reconnecting 4 PT4S");
    assertThat(heard.stream().filter(h -> h.startsWith("failure"))).hasSize(8);
  }

  @Test
  void aLostConnectionMovesToTheNextUriAtOnceAndTheRoundStartsAtTheLostOne() {
    lifecycle = failover(ONE_TO_FOUR);
    Connection a = opened();
    a.answered = true; // the node worked
    After next = lose(a, true);
    assertThat(next.action()).isEqualTo(After.Action.CONNECT);
    assertThat(next.connection().uri).isEqualTo(B);
    assertThat(heard).containsExactly("open", "close 1006 'lost' unclean");
    assertThat(waits()).isZero();
    fail(next.connection(), true);
    assertThat(heard).endsWith("failure: refused", "reconnecting 1 PT1S");
    Phase.Backoff wait = backoff();
    assertThat(step(() -> lifecycle.backoffOver(wait, true)).connection().uri).isEqualTo(A);
  }

  @Test
  void aFailoverThatOpensAndWorksStartsANewRoundSoTheNextLossMovesOnAtOnce() {
    lifecycle = failover(ONE_TO_FOUR);
    Connection a = attempt();
    Connection b = fail(a, true).connection(); // A is down
    step(() -> lifecycle.opened(b));
    b.answered = true;
    After back = lose(b, true); // B dies later: A is tried at once, not after a wait
    assertThat(back.connection().uri).isEqualTo(A);
    assertThat(waits()).isZero();
  }

  @Test
  void nodesThatDropEveryConnectionWithoutAWordStillCostOneWaitPerRound() {
    lifecycle = failover(ONE_TO_FOUR);
    Connection c = attempt();
    for (int round = 1; round <= 3; round++) {
      Connection first = c;
      step(() -> lifecycle.opened(first));
      Connection second = lose(first, true).connection();
      assertThat(second.uri).isEqualTo(B);
      step(() -> lifecycle.opened(second));
      lose(second, true);
      assertThat(waits()).isEqualTo(round);
      Phase.Backoff wait = backoff();
      c = step(() -> lifecycle.backoffOver(wait, true)).connection();
      assertThat(c.uri).isEqualTo(A);
    }
  }

  @Test
  void maxAttemptsCountsRoundsAndGivingUpNamesEveryUriRedacted() {
    lifecycle = failover(ONE_TO_FOUR.withMaxAttempts(2));
    Connection c = attempt();
    for (int round = 0; round < 2; round++) {
      fail(fail(c, true).connection(), true);
      Phase.Backoff wait = backoff();
      c = step(() -> lifecycle.backoffOver(wait, true)).connection();
    }
    Connection second = fail(c, true).connection();
    After after = fail(second, true);
    assertThat(heard).last().isEqualTo("failure: gave up reconnecting to ws://a/im?user=***&token=***,"
        + " ws://b/im?user=***&token=*** after 2 rounds of 2 URIs");
    assertThat(after.dropQueued()).hasMessageStartingWith("gave up reconnecting").hasMessageNotContaining("s3cret");
    assertThat(phase()).isInstanceOf(Phase.Idle.class);
    assertThat(heard.stream().filter(h -> h.startsWith("failure: refused"))).hasSize(6);
  }

  @Test
  void aFinalAnswerFromOneUriTakesItOutOfTheRotationAndFromTheLastOneStops() {
    lifecycle = failover(ONE_TO_FOUR);
    Connection a = attempt();
    After next = step(() -> lifecycle.attemptFailed(a, new IllegalStateException("HTTP 404"), true, true, true));
    Connection b = next.connection();
    assertThat(b.uri).isEqualTo(B);
    fail(b, true);
    Phase.Backoff wait = backoff();
    Connection again = step(() -> lifecycle.backoffOver(wait, true)).connection();
    assertThat(again.uri).as("A is out").isEqualTo(B);
    After stop = step(() -> lifecycle.attemptFailed(again, new IllegalStateException("HTTP 403"), true, true, true));
    assertThat(stop.dropQueued()).hasMessage("not delivered: HTTP 403");
    assertThat(phase()).isInstanceOf(Phase.Idle.class);
    assertThat(clock.pending()).isEmpty();
  }

  @Test
  void withoutReconnectEachUriIsTriedOnceWhileOpeningAndALostConnectionStops() {
    lifecycle = failover(ReconnectPolicy.none());
    Connection a = attempt();
    Connection b = fail(a, true).connection();
    assertThat(b.uri).isEqualTo(B);
    assertThat(fail(b, true).dropQueued()).hasMessageEndingWith("; reconnect is off");
    assertThat(phase()).isInstanceOf(Phase.Idle.class);

    Connection c = attempt();
    step(() -> lifecycle.opened(c));
    c.answered = true;
    assertThat(lose(c, true).dropQueued()).hasMessageEndingWith("; reconnect is off");
    assertThat(phase()).isInstanceOf(Phase.Idle.class);
  }

  @Test
  void theNetworkComingBackStartsAWholeNewRound() {
    lifecycle = failover(ONE_TO_FOUR);
    Connection a = attempt();
    Connection b = fail(a, true).connection();
    assertThat(fail(b, false)).isEqualTo(After.NOTHING);
    assertThat(phase()).isInstanceOf(Phase.WaitingForNetwork.class);
    Connection back = step(() -> lifecycle.networkChanged(true)).connection();
    assertThat(back.uri).isEqualTo(A);
    assertThat(fail(back, true).connection().uri).as("a new round: B at once").isEqualTo(B);
    assertThat(waits()).isZero();
  }

  @Test
  void oneUriBehavesAsBeforeAConnectionLostIsFollowedByAWait() {
    Connection c = opened();
    c.answered = true;
    assertThat(lose(c, true)).isEqualTo(After.NOTHING);
    assertThat(heard).endsWith("reconnecting 1 PT1S");
    assertThat(backoff().retry()).isEqualTo(1);
  }
}

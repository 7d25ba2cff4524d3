package dev.tether.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.ErrorReply;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The rewind state machine of PROTOCOL.md's rules for a client that counts, on fake time: the
 * rewind point, stale answers, holds for retry_after, pacing; and, driven by a model of the server's
 * rules over a link that loses frames and a token bucket, that what the server takes is exactly what
 * was sent, once each, in order.
 */
class SenderOrderTest {
  private static final long MS = 1_000_000L;
  private final SenderOrder order = new SenderOrder();
  private long now;

  private SenderOrder.Frame write(String id) {
    return order.number(id, "{\"type\":\"chat\",\"id\":\"" + id + "\"}", null, now);
  }

  private static List<Long> ns(List<SenderOrder.Frame> frames) {
    return frames.stream().map(f -> f.n).toList();
  }

  private static ErrorReply outOfOrder(String id, long n, long expected) {
    return ErrorReply.outOfOrder(id, n, expected);
  }

  private static ErrorReply rateLimited(String id, long n, long retryAfterMillis) {
    return ErrorReply.rateLimited(id, n, retryAfterMillis, "too fast");
  }

  @Test
  void unansweredFramesAreFoundByCounterWhateverOrderTheAnswersCameIn() {
    SenderOrder.Unanswered log = new SenderOrder.Unanswered();
    List<SenderOrder.Frame> frames = new ArrayList<>();
    for (int n = 1; n <= 40; n++) { // past the ring's first size
      SenderOrder.Frame f = new SenderOrder.Frame(n, "c" + n, "{}", null);
      frames.add(f);
      log.add(f);
    }
    log.remove(frames.get(4)); // #5, out of order: kept, marked
    log.remove(frames.get(0)); // #1: the oldest goes
    assertThat(log.size()).isEqualTo(38);
    assertThat(log.firstN()).isEqualTo(2);
    assertThat(log.get(5)).isNull();
    assertThat(log.get(1)).isNull();
    assertThat(log.get(6)).isSameAs(frames.get(5));
    assertThat(log.get(41)).isNull();
    assertThat(ns(log.from(4))).startsWith(4L, 6L, 7L).endsWith(40L).hasSize(36);
    for (int n = 2; n <= 4; n++) {
      log.remove(frames.get(n - 1));
    }
    assertThat(log.firstN()).as("#5 was answered before: the oldest is #6").isEqualTo(6);
    SenderOrder.Frame next = new SenderOrder.Frame(41, "c41", "{}", null);
    log.add(next);
    assertThat(log.get(41)).isSameAs(next);
    frames.get(9).inFlight = true;
    assertThat(log.firstInFlight()).isSameAs(frames.get(9));
    for (int n = 6; n <= 40; n++) {
      log.remove(frames.get(n - 1));
    }
    log.remove(next);
    assertThat(log.isEmpty()).isTrue();
    assertThat(log.from(0)).isEmpty();
  }

  @Test
  void everyEnvelopeWrittenGetsTheNextCounterFromOne() {
    assertThat(List.of(write("a").n, write("b").n, write("c").n)).containsExactly(1L, 2L, 3L);
    assertThat(order.mayWriteNew()).isTrue();
    assertThat(order.room()).isEqualTo(SenderOrder.UNLIMITED);
  }

  @Test
  void aBarrierHoldsEverythingNumberedAfterItUntilEveryFrameBeforeItIsAnswered() {
    write("c1");
    write("c2");
    write("c3");
    assertThat(order.answered("c1")).isTrue(); // refused not_member: a lost membership
    order.barrier();
    assertThat(order.mayWriteNew()).isFalse();
    assertThat(order.room()).isZero();
    SenderOrder.Frame resume = write("resume");
    assertThat(resume.inFlight).as("numbered behind the barrier").isFalse();
    assertThat(order.pump(now)).isEmpty();
    assertThat(order.answered("c2")).isTrue();
    assertThat(order.liftBarrier()).as("c3 still unanswered").isFalse();
    order.barrier(); // a second refusal before the lift keeps the barrier where it was
    assertThat(order.answered("c3")).isTrue();
    assertThat(order.liftBarrier()).isTrue();
    assertThat(order.liftBarrier()).as("once").isFalse();
    assertThat(ns(order.pump(now))).containsExactly(4L);
    assertThat(order.mayWriteNew()).isTrue();
  }

  @Test
  void framesBeforeABarrierAreStillWrittenAgainAfterOutOfOrder() {
    write("c1");
    write("c2"); // lost
    write("c3");
    assertThat(order.answered("c1")).isTrue();
    order.barrier();
    write("resume"); // n 4, waits for the barrier
    assertThat(order.refused(outOfOrder("c3", 3, 2)).verdict()).isEqualTo(SenderOrder.Verdict.REWRITE);
    assertThat(ns(order.pump(now))).as("up to the barrier only").containsExactly(2L, 3L);
    assertThat(order.answered("c2")).isTrue();
    assertThat(order.answered("c3")).isTrue();
    assertThat(order.liftBarrier()).isTrue();
    assertThat(ns(order.pump(now))).containsExactly(4L);
  }

  @Test
  void outOfOrderWritesEverythingFromTheExpectedOneAgainAtOnceAndInOrder() {
    write("join");
    write("c1"); // lost
    write("c2");
    write("c3");
    assertThat(order.answered("join")).isTrue();
    SenderOrder.Refusal r = order.refused(outOfOrder("c2", 3, 2));
    assertThat(r.verdict()).isEqualTo(SenderOrder.Verdict.REWRITE);
    assertThat(ns(r.stopped())).containsExactly(2L, 3L, 4L);
    assertThat(ns(order.pump(now))).containsExactly(2L, 3L, 4L);
    assertThat(order.refused(outOfOrder("c3", 4, 2)).verdict()).as("an answer to c3's first write")
        .isEqualTo(SenderOrder.Verdict.STALE);
    order.answered("c1");
    assertThat(order.rewindPoint()).as("the answer about R clears it").isZero();
    order.answered("c2");
    order.answered("c3");
    assertThat(order.oldestInFlight()).isNull();
    assertThat(order.window()).as("no pacing after a mere loss").isEqualTo(SenderOrder.UNLIMITED);
  }

  @Test
  void rateLimitedHoldsEverythingForRetryAfterThenWritesAgainOneAtFirst() {
    write("j1");
    write("c1");
    write("c2");
    write("c3");
    order.answered("j1");
    order.answered("c1");
    SenderOrder.Refusal r = order.refused(rateLimited("c2", 3, 500));
    assertThat(r.verdict()).isEqualTo(SenderOrder.Verdict.HOLD);
    assertThat(r.holdNanos()).isEqualTo(500 * MS);
    assertThat(ns(r.stopped())).containsExactly(3L, 4L);
    assertThat(order.mayWriteNew()).isFalse();
    SenderOrder.Frame c4 = write("c4");
    assertThat(c4.inFlight).as("new envelopes wait too").isFalse();
    assertThat(order.pump(now)).as("nothing while holding").isEmpty();
    assertThat(order.refused(rateLimited("c3", 4, 500)).verdict()).isEqualTo(SenderOrder.Verdict.STALE);

    now += 500 * MS;
    order.holdOver(order.holds());
    assertThat(ns(order.pump(now))).as("window 1").containsExactly(3L);
    order.answered("c2");
    assertThat(order.rewindPoint()).isZero();
    assertThat(ns(order.pump(now))).as("window 2").containsExactly(4L, 5L);
    assertThat(order.mayWriteNew()).isFalse();
    order.answered("c3");
    assertThat(order.room()).as("window 3, one in flight").isEqualTo(2);
    order.answered("c4");
    assertThat(order.mayWriteNew()).isTrue();
    assertThat(order.room()).isEqualTo(4);
  }

  @Test
  void aRewriteRefusedAgainHoldsAgainAndHalvesTheWindow() {
    for (int i = 1; i <= 8; i++) {
      write("c" + i);
    }
    order.refused(rateLimited("c1", 1, 10));
    order.holdOver(order.holds());
    for (int i = 1; i <= 4; i++) {
      order.pump(now);
      order.answered("c" + i);
    }
    assertThat(order.window()).isEqualTo(5);
    assertThat(ns(order.pump(now))).as("5, 6, 7 went out with the growing window").containsExactly(8L);
    SenderOrder.Refusal again = order.refused(rateLimited("c5", 5, 10));
    assertThat(again.verdict()).isEqualTo(SenderOrder.Verdict.HOLD);
    assertThat(order.window()).isEqualTo(2);
    assertThat(order.refused(outOfOrder("c6", 6, 5)).verdict()).isEqualTo(SenderOrder.Verdict.STALE);
  }

  @Test
  void theTimerOfAnEarlierHoldDoesNotEndALaterOne() {
    write("c1");
    order.refused(rateLimited("c1", 1, 10));
    long first = order.holds();
    order.holdOver(first);
    order.pump(now);
    order.refused(rateLimited("c1", 1, 10));
    order.holdOver(first);
    assertThat(order.isHolding()).isTrue();
    order.holdOver(order.holds());
    assertThat(order.isHolding()).isFalse();
  }

  @Test
  void aRefusalWithoutACounterIsMatchedByIdAndOneOfAnotherConnectionIsNotOurs() {
    write("c1");
    write("c2");
    assertThat(order.refused(rateLimited("c2", 0, 100)).verdict()).isEqualTo(SenderOrder.Verdict.HOLD);
    assertThat(order.rewindPoint()).isEqualTo(2);
    assertThat(order.refused(rateLimited(null, 0, 100)).verdict()).isEqualTo(SenderOrder.Verdict.NOT_OURS);
    assertThat(order.refused(rateLimited("elsewhere", 0, 100)).verdict()).isEqualTo(SenderOrder.Verdict.NOT_OURS);
    assertThat(order.answered("elsewhere")).isFalse();
  }

  @Test
  void theOldestFrameInFlightIsWhatTheAckTimeoutWatches() {
    write("c1");
    now += 10 * MS;
    write("c2");
    assertThat(order.oldestInFlight().id).isEqualTo("c1");
    order.refused(rateLimited("c1", 1, 100));
    assertThat(order.oldestInFlight()).as("held frames wait for a timer, not an ack").isNull();
    now += 100 * MS;
    order.holdOver(order.holds());
    order.pump(now);
    assertThat(order.oldestInFlight().writtenAt).isEqualTo(now);
  }

  @Test
  void theWindowIsBounded() {
    write("first");
    order.refused(rateLimited("first", 1, 1));
    order.holdOver(order.holds());
    order.pump(now);
    order.answered("first");
    for (int i = 0; i < SenderOrder.MAX_WINDOW + 10; i++) {
      write("c" + i);
      order.answered("c" + i);
    }
    assertThat(order.window()).isEqualTo(SenderOrder.MAX_WINDOW);
  }

  // ------------------------------------------------------------------------ against a server model

  /**
   * The server's rules of PROTOCOL.md on fake time: frames arrive in order unless the link loses
   * them; size, then rate (a token bucket), then order; answers in receipt order.
   */
  private static final class ServerModel {
    /** Ids in the order first taken. */
    final Set<String> taken = new LinkedHashSet<>();
    final Deque<ErrorReply> answers = new ArrayDeque<>();
    final int perSecond;
    double tokens;
    long refilledAt;
    long expected = 1;

    ServerModel(int perSecond) {
      this.perSecond = perSecond;
      this.tokens = perSecond;
    }

    void newConnection() {
      expected = 1;
    }

    /** Receives frame n of envelope id at time now; queues its answer (acks as a null error). */
    void receive(String id, long n, long now) {
      tokens = Math.min(perSecond, tokens + (now - refilledAt) * (double) perSecond / 1_000_000_000L);
      refilledAt = now;
      if (tokens < 1) {
        long retry = Math.max(1, (long) Math.ceil((1 - tokens) * 1000 / perSecond));
        answers.add(ErrorReply.rateLimited(id, n, retry, "too fast"));
        return;
      }
      tokens -= 1;
      if (n > expected) {
        answers.add(ErrorReply.outOfOrder(id, n, expected));
        return;
      }
      if (n == expected) {
        expected++;
      }
      taken.add(id);
      answers.add(new ErrorReply(id, "ack", "taken"));
    }
  }

  private int rewrites;
  private int holdsSeen;
  private int staleSeen;
  private int reconnectsSeen;

  @Test
  void whatTheServerTakesIsWhatWasSentOnceEachInOrderWhateverTheLinkLoses() {
    for (long seed = 1; seed <= 40; seed++) {
      runAgainstTheModel(seed, 200, 0.15, 50);
    }
    assertThat(rewrites).as("losses rewound").isPositive();
    assertThat(holdsSeen).as("rate limit waited out").isPositive();
    assertThat(staleSeen).as("stale answers ignored").isPositive();
    assertThat(reconnectsSeen).as("rewrites lost again, found by the ack timeout").isPositive();
  }

  /**
   * A client loop: writes what the order allows, the link loses each write with probability
   * {@code loss}, the model answers, holds pass on fake time, and an ack timeout (no answer for 1 s
   * while something is in flight) ends the connection: a new order, unacked envelopes resent first.
   */
  private void runAgainstTheModel(long seed, int count, double loss, int perSecond) {
    SplittableRandom random = new SplittableRandom(seed);
    ServerModel server = new ServerModel(perSecond);
    List<String> outbox = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      outbox.add("c" + i);
    }
    Set<String> acked = new LinkedHashSet<>();
    long now = 0;
    long lastAnswer = 0;
    long holdUntil = -1;
    SenderOrder order = new SenderOrder();
    int next = 0;
    int reconnects = 0;
    while (acked.size() < count) {
      assertThat(now).as("seed " + seed + " finished in fake time").isLessThan(3_600_000 * MS);
      List<SenderOrder.Frame> toWrite = new ArrayList<>(order.pump(now));
      while (order.mayWriteNew() && next < count) {
        String id = outbox.get(next++);
        if (!acked.contains(id)) {
          toWrite.add(order.number(id, id, null, now));
        }
      }
      for (SenderOrder.Frame f : toWrite) {
        if (random.nextDouble() >= loss) {
          server.receive(f.id, f.n, now);
        }
      }
      now += MS;
      while (!server.answers.isEmpty()) {
        ErrorReply a = server.answers.poll();
        lastAnswer = now;
        if (a.code().equals("ack")) {
          order.answered(a.id());
          acked.add(a.id());
          continue;
        }
        SenderOrder.Refusal r = order.refused(a);
        switch (r.verdict()) {
          case HOLD -> {
            holdsSeen++;
            holdUntil = now + r.holdNanos();
          }
          case REWRITE -> rewrites++;
          case STALE -> staleSeen++;
          case NOT_OURS -> throw new AssertionError("not ours: " + a);
        }
      }
      if (holdUntil >= 0 && now >= holdUntil) {
        holdUntil = -1;
        order.holdOver(order.holds());
      }
      if (order.hasInFlight() && now - lastAnswer > 1000 * MS) {
        reconnects++;
        reconnectsSeen++;
        order = new SenderOrder();
        server.newConnection();
        server.answers.clear();
        holdUntil = -1;
        lastAnswer = now;
        next = 0; // resend the unacked in order, then go on
      }
    }
    assertThat(List.copyOf(server.taken)).as("seed " + seed + " (" + reconnects + " reconnects)")
        .isEqualTo(outbox);
  }
}

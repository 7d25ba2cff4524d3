package dev.tether.server.internal;

/**
 * One connection's sender-order check (PROTOCOL.md, "Sender order"): the counter {@code n} of
 * the next envelope the server expects, starting at 1. An envelope with the expected counter is
 * taken and moves it on; one with a smaller counter is a resend of something already taken and
 * is processed without moving it (dedup answers it); one with a larger counter means an envelope
 * before it was lost on the way, so it is refused and nothing after the hole is taken until the
 * hole is filled. Envelopes without a counter are not checked.
 *
 * <p>Frames of one connection arrive one at a time; the lock only makes the counter visible to
 * whichever container thread delivers the next frame. Costs one uncontended lock per counted
 * envelope, nothing for others.
 */
final class SenderOrder {
  /** The outcome of {@link #check}. */
  enum Verdict {
    /** No counter: not checked. */
    UNCOUNTED,
    /** The expected counter: take it. */
    NEXT,
    /** Below the expected counter: a resend of an envelope already taken; process it again. */
    REPEAT,
    /** Above the expected counter: an envelope before it is missing; refuse it. */
    AHEAD
  }

  /** Guarded by this. */
  private long expected = 1;

  /** Checks an envelope's counter ({@code 0}: none), moving the expected one on for {@link Verdict#NEXT}. */
  Verdict check(long n) {
    if (n <= 0) {
      return Verdict.UNCOUNTED;
    }
    synchronized (this) {
      if (n == expected) {
        expected++;
        return Verdict.NEXT;
      }
      return n < expected ? Verdict.REPEAT : Verdict.AHEAD;
    }
  }

  /**
   * The envelope {@code n}, just taken, was refused after all without anything done (the store
   * could not take it): the server waits for it again. Call before the connection's next frame.
   */
  synchronized void untake(long n) {
    if (n > 0 && n == expected - 1) {
      expected = n;
    }
  }

  /** The counter the server waits for. */
  synchronized long expected() {
    return expected;
  }
}

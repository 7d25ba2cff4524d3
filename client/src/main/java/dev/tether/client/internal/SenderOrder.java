package dev.tether.client.internal;

import dev.tether.api.ErrorReply;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The sender-order counter of one connection, as PROTOCOL.md's rules for a client that counts
 * have it ("Sender order", "Rules for clients"): every envelope written on the connection gets the
 * next {@code n} (1, 2, 3, ...) and is kept, with its {@code n}, until it is answered; a refusal
 * that took nothing decides what is written again, and when.
 *
 * <pre>
 *   FLOWING --out_of_order(expected k)--------------> REWINDING (R = k): every frame from k
 *      ^                                                 written again at once, same n, in order
 *      |  the answer about R                             |
 *      +------------------------------------------------+
 *   FLOWING or REWINDING --rate_limited/unavailable(k)--> HOLDING (R = k): nothing written for
 *      retry_after, then REWINDING
 *   while R is set, a refusal of a frame with n > R is stale (it answers a write from before the
 *   rewind) and ignored
 * </pre>
 *
 * <p>Pacing: after the first {@code rate_limited} or {@code unavailable}, at most {@link #window}
 * frames are in flight (written and not answered): 1 at first, one more per answer (so it doubles
 * each round trip), halved at each further refusal, at most {@value #MAX_WINDOW}. Writing again
 * everything after the rewind point at once would mostly earn more refusals: the server takes one
 * frame per token, and a rewrite of N frames per token is N² frames. Frames past the window, and
 * everything during a hold, wait: numbered frames here (held, in {@code n} order), the rest in the
 * outbox, unnumbered.
 *
 * <p>Barrier: after a lost membership (see {@link WriteFlow}) nothing new is written until every
 * frame written so far has been answered ({@link #barrier()}, {@link #liftBarrier()}); frames up to
 * the barrier are still written again after a refusal that took nothing.
 *
 * <p>Not thread-safe: guarded by the socket's lock. No I/O and no clock: the caller passes the
 * time and writes what it is given.
 */
final class SenderOrder {
  static final int UNLIMITED = Integer.MAX_VALUE;
  static final int MAX_WINDOW = 1 << 16;

  /** One envelope written on this connection and not answered yet. */
  static final class Frame {
    final long n;
    final String id;
    /** The envelope as encoded, without its counter. */
    final String encoded;
    /** Its outbox entry; null for a resume (not in the outbox). */
    final Outbox.Entry entry;
    /** True while its latest write is out and not refused; false while it waits to be written again. */
    boolean inFlight;
    /** True once answered: no longer unanswered (see {@link Unanswered}). */
    boolean answered;
    /** When it was last written, in the caller's nanos. */
    long writtenAt;

    Frame(long n, String id, String encoded, Outbox.Entry entry) {
      this.n = n;
      this.id = id;
      this.encoded = encoded;
      this.entry = entry;
    }

    @Override
    public String toString() {
      return "#" + n + " " + id + (inFlight ? "" : " (held)");
    }
  }

  /** What a refusal asks for. */
  enum Verdict {
    /** Not a refusal this order knows of: not a frame written on this connection. */
    NOT_OURS,
    /** An answer to a write from before the rewind: ignore it. */
    STALE,
    /** Write again from the rewind point now ({@link #pump}). */
    REWRITE,
    /** Write nothing for {@code holdNanos}, then {@link #holdOver} and {@link #pump}. */
    HOLD
  }

  /**
   * @param stopped the frames that were in flight and now wait to be written again
   */
  record Refusal(Verdict verdict, long holdNanos, List<Frame> stopped) {
    static final Refusal NOT_OURS = new Refusal(Verdict.NOT_OURS, 0, List.of());
    static final Refusal STALE = new Refusal(Verdict.STALE, 0, List.of());
  }

  /**
   * The frames numbered and not answered, in n order. Numbers are handed out one after the other
   * and most answers come in that order, so they are kept in a ring from the oldest unanswered
   * frame on: a frame answered out of order stays, marked, until the frames before it are answered.
   * Lookups by n are an index; no boxed key and no tree node per frame.
   */
  static final class Unanswered {
    /**
     * Empty until the first frame: an idle connection holds no ring. Its length is a power of two.
     * A frame answered out of order stays (with its encoded text) until every older one is
     * answered, so the ring spans the oldest unanswered frame to the newest, which the window
     * bounds while writing.
     */
    private Frame[] ring = new Frame[0];
    /** Index of the oldest kept frame, and how many are kept (answered ones among them). */
    private int head;
    private int kept;
    /** How many kept frames are not answered. */
    private int size;

    void add(Frame f) {
      assert kept == 0 || f.n == ring[(head + kept - 1) & (ring.length - 1)].n + 1;
      if (kept == ring.length) {
        Frame[] bigger = new Frame[Math.max(16, ring.length * 2)];
        for (int k = 0; k < kept; k++) {
          bigger[k] = ring[(head + k) & (ring.length - 1)];
        }
        ring = bigger;
        head = 0;
      }
      ring[(head + kept) & (ring.length - 1)] = f;
      kept++;
      size++;
    }

    /** The unanswered frame numbered {@code n}, or null. */
    Frame get(long n) {
      if (kept == 0) {
        return null;
      }
      long k = n - ring[head].n;
      if (k < 0 || k >= kept) {
        return null;
      }
      Frame f = ring[(int) ((head + k) & (ring.length - 1))];
      return f.answered ? null : f;
    }

    /** Marks {@code f}, which is kept here, answered. */
    void remove(Frame f) {
      f.answered = true;
      size--;
      while (kept > 0 && ring[head].answered) {
        ring[head] = null;
        head = (head + 1) & (ring.length - 1);
        kept--;
      }
    }

    boolean isEmpty() {
      return size == 0;
    }

    /** True if no frame was ever added, so no ring was made. */
    boolean neverUsed() {
      return ring.length == 0;
    }

    int size() {
      return size;
    }

    /** The n of the oldest unanswered frame; only if not empty. */
    long firstN() {
      return ring[head].n;
    }

    /** The unanswered frames from n {@code from} on (all of them for 0), in n order. */
    List<Frame> from(long from) {
      return from(from, Integer.MAX_VALUE);
    }

    /** The first {@code max} unanswered frames from n {@code from} on, in n order. */
    List<Frame> from(long from, int max) {
      List<Frame> out = new ArrayList<>();
      if (kept == 0) {
        return out;
      }
      long k0 = Math.max(0, from - ring[head].n);
      for (long k = k0; k < kept && out.size() < max; k++) {
        Frame f = ring[(int) ((head + k) & (ring.length - 1))];
        if (!f.answered) {
          out.add(f);
        }
      }
      return out;
    }

    /** The oldest unanswered frame in flight, or null. */
    Frame firstInFlight() {
      for (int k = 0; k < kept; k++) {
        Frame f = ring[(head + k) & (ring.length - 1)];
        if (!f.answered && f.inFlight) {
          return f;
        }
      }
      return null;
    }
  }

  private long nextN = 1;
  /** Written and not answered, by n. */
  private final Unanswered unanswered = new Unanswered();
  /** The same frames by envelope id; null until the first envelope is numbered. */
  private Map<String, Frame> byId;
  /** The rewind point R; 0 if none. */
  private long rewind;
  /** Frames up to this n are written in the current pass; those above wait. */
  private long writtenUpTo;
  private boolean holding;
  /** Numbers holds, so that the timer of an earlier one is told from the current one. */
  private long holds;
  private int window = UNLIMITED;
  private int inFlight;
  /** Every frame up to this n must be answered before a frame above it is written; 0 if none. */
  private long barrier;

  /**
   * Numbers an envelope written for the first time on this connection. It is in flight (the caller
   * writes it now) if {@link #mayWriteNew()}; otherwise it waits its turn and {@link #pump} gives it.
   */
  Frame number(String id, String encoded, Outbox.Entry entry, long now) {
    boolean writeNow = mayWriteNew();
    Frame f = new Frame(nextN++, id, encoded, entry);
    unanswered.add(f);
    if (byId == null) {
      byId = new HashMap<>();
    }
    byId.put(id, f);
    if (writeNow) {
      write(f, now);
    }
    return f;
  }

  /** True if a new envelope may be written at once: no hold, nothing waiting, the window open. */
  boolean mayWriteNew() {
    return !holding && barrier == 0 && writtenUpTo == nextN - 1 && inFlight < window;
  }

  /** How many new envelopes may be written at once. */
  int room() {
    if (!mayWriteNew()) {
      return 0;
    }
    return window == UNLIMITED ? UNLIMITED : window - inFlight;
  }

  /** Frames to write again now, in n order: those waiting, as far as a hold and the window allow. */
  List<Frame> pump(long now) {
    if (holding || writtenUpTo == nextN - 1) {
      return List.of();
    }
    List<Frame> out = new ArrayList<>();
    // Only as many as the window still takes: the ack path pumps on every answer.
    int takes = window == UNLIMITED ? UNLIMITED : Math.max(0, window - inFlight);
    for (Frame f : unanswered.from(writtenUpTo + 1, takes)) {
      if (inFlight >= window || barrier != 0 && f.n > barrier) {
        break;
      }
      write(f, now);
      out.add(f);
    }
    return out;
  }

  private void write(Frame f, long now) {
    f.inFlight = true;
    f.writtenAt = now;
    inFlight++;
    writtenUpTo = f.n;
  }

  /**
   * An answer that takes the frame {@code id}: an ack, or a final refusal such as
   * {@code not_member}. False if no frame of this connection has that id.
   */
  boolean answered(String id) {
    Frame f = byId == null ? null : byId.remove(id);
    if (f == null) {
      return false;
    }
    unanswered.remove(f);
    if (f.inFlight) {
      inFlight--;
    }
    if (window != UNLIMITED && window < MAX_WINDOW) {
      window++;
    }
    if (f.n == rewind) {
      rewind = 0;
    }
    return true;
  }

  /**
   * A refusal that took nothing: {@code out_of_order}, {@code rate_limited} or
   * {@code unavailable}, for the frame with counter {@code n} (0: none given; found by {@code id}).
   */
  Refusal refused(ErrorReply error) {
    Frame f = error.n() > 0 ? unanswered.get(error.n())
        : error.id() == null || byId == null ? null : byId.get(error.id());
    if (f == null && error.n() == 0) {
      return Refusal.NOT_OURS;
    }
    long refusedN = error.n() > 0 ? error.n() : f.n;
    if (rewind != 0 && refusedN > rewind) {
      return Refusal.STALE;
    }
    boolean outOfOrder = ErrorReply.OUT_OF_ORDER.equals(error.code());
    long k = outOfOrder ? error.expected() : refusedN;
    if (k < 1) {
      return Refusal.NOT_OURS; // an out_of_order without the counter it waits for
    }
    rewind = k;
    List<Frame> stopped = new ArrayList<>();
    for (Frame g : unanswered.from(k)) {
      if (g.inFlight) {
        g.inFlight = false;
        inFlight--;
        stopped.add(g);
      }
    }
    writtenUpTo = k - 1;
    if (outOfOrder) {
      return new Refusal(Verdict.REWRITE, 0, stopped);
    }
    holding = true;
    holds++;
    window = window == UNLIMITED ? 1 : Math.max(1, window / 2);
    return new Refusal(Verdict.HOLD, Math.max(1, error.retryAfterMillis()) * 1_000_000L, stopped);
  }

  /**
   * Writes nothing numbered after the frames numbered so far until each of them is answered (acked
   * or refused for good): frames numbered meanwhile wait, as during a hold. A barrier already up
   * stays where it is.
   */
  void barrier() {
    if (barrier == 0) {
      barrier = nextN - 1;
    }
  }

  boolean hasBarrier() {
    return barrier != 0;
  }

  /**
   * Lifts the barrier if every frame up to it has been answered; true if this call lifted it (the
   * caller then writes what waited: {@link #pump}).
   */
  boolean liftBarrier() {
    if (barrier == 0 || !unanswered.isEmpty() && unanswered.firstN() <= barrier) {
      return false;
    }
    barrier = 0;
    return true;
  }

  /** The current hold's number, for its timer. */
  long holds() {
    return holds;
  }

  /** The wait of hold number {@code hold} is over; a timer of an earlier hold does nothing. */
  void holdOver(long hold) {
    if (holding && hold == holds) {
      holding = false;
    }
  }

  /** The frame in flight longest, or null; for the ack timeout. */
  Frame oldestInFlight() {
    if (inFlight == 0) {
      return null;
    }
    return unanswered.firstInFlight();
  }

  boolean hasInFlight() {
    return inFlight > 0;
  }

  /** The rewind point, or 0; for tests and logs. */
  long rewindPoint() {
    return rewind;
  }

  int window() {
    return window;
  }

  boolean isHolding() {
    return holding;
  }

  @Override
  public String toString() {
    return "SenderOrder{next " + nextN + ", R " + rewind + ", written to " + writtenUpTo
        + (holding ? ", holding" : "") + (barrier != 0 ? ", barrier " + barrier : "") + ", in flight " + inFlight
        + (window == UNLIMITED ? "" : "/" + window) + ", unanswered " + unanswered.size() + "}";
  }

  /** True if no envelope was numbered yet, so no collections were made. For tests. */
  boolean holdsNoFrames() {
    return byId == null && unanswered.neverUsed();
  }
}

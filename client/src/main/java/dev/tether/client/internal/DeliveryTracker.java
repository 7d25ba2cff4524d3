package dev.tether.client.internal;

import dev.tether.api.Ack;
import dev.tether.api.DeliveryState;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ErrorReply;
import dev.tether.api.RejectedException;
import dev.tether.api.TetherException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envelopes from send to ack, and the frames that wait with them in the {@link Outbox}: the
 * {@linkplain DeliveryState delivery states} reported to the delegate, the ack timeout, expiry, and
 * what a new connection writes, in which order.
 *
 * <p>States: an envelope is QUEUED when it enters the outbox and cannot be written at once, SENT
 * each time it is written, QUEUED again when its connection ends before the ack or when the server
 * refused it without taking it ({@code rate_limited}, {@code unavailable}, or after one of those
 * for an envelope before it) and it waits to be written again, then ACKED, or FAILED (refused for
 * good, expired, closed, gave up). An envelope written again at once on the same connection (after
 * {@code out_of_order}) stays SENT. Resend order on a new connection: resumes first (see
 * {@link #resumes}), then envelopes written on an earlier connection and not acked, in the order
 * they were first sent, then everything never written (envelopes and frames) in send order.
 *
 * <p>The ack timeout and expiry are checked by one maintenance tick on the scheduler, due every
 * quarter of the ack timeout (10 ms to 1 s) while the outbox holds anything. Not thread-safe: every
 * method must be called holding the socket's lock, and asserts it.
 */
final class DeliveryTracker {
  private static final Logger log = LoggerFactory.getLogger(DeliveryTracker.class);
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();

  private final Object lock;
  private final Outbox outbox;
  private final Callbacks events;
  private final StoreSync store;
  private final Counters counters;
  private final Scheduler scheduler;
  private final long ackTimeoutNanos;
  /** The maintenance tick; runs on the scheduler thread and calls {@link #tick}. */
  private final Runnable tickTask;

  /** Ids of resumes written on the current connection, and their rooms; null until the first. */
  private Map<String, String> resumes;
  /**
   * Chats that expired while written on the current connection, by id: the server may still take
   * them, and on a protocol v2 connection its ack is then the sender's only copy of the chat, to be
   * delivered all the same. Forgotten when the connection ends (a resume replays what was taken).
   * Null until the first.
   */
  private Map<String, Outbox.Entry> expiredInFlight;
  private boolean tickScheduled;
  /** See {@link #alsoWatch}. */
  private BooleanSupplier alsoWatching = () -> false;
  /** Numbers first writes, for the resend order. */
  private long writes;

  DeliveryTracker(Object lock, Outbox outbox, Callbacks events, StoreSync store, Counters counters,
      Scheduler scheduler, Duration ackTimeout, Runnable tickTask) {
    this.lock = lock;
    this.outbox = outbox;
    this.events = events;
    this.store = store;
    this.counters = counters;
    this.scheduler = scheduler;
    this.ackTimeoutNanos = ackTimeout.toNanos();
    this.tickTask = tickTask;
  }

  int size() {
    assert Thread.holdsLock(lock);
    return outbox.size();
  }

  /** The envelope with {@code id} still waiting for its ack, or null. */
  Outbox.Entry waiting(String id) {
    assert Thread.holdsLock(lock);
    return outbox.envelope(id);
  }

  /** Why {@code entry} does not fit in the outbox, or null if it does. */
  String refusal(Outbox.Entry entry) {
    assert Thread.holdsLock(lock);
    String refusal = outbox.refusal(entry);
    if (refusal != null) {
      log.debug("refused: {}", refusal);
    }
    return refusal;
  }

  /** An envelope a previous client left in the store: waits, with no state reported yet. */
  void restore(Envelope envelope) {
    assert Thread.holdsLock(lock);
    outbox.add(Outbox.Entry.envelope(envelope, CODEC.encode(envelope), new CompletableFuture<>()));
  }

  /** Adds an entry that waits for a connection (its envelope is QUEUED). Checked with refusal(). */
  void queue(Outbox.Entry entry) {
    assert Thread.holdsLock(lock);
    outbox.add(entry);
    if (entry.envelope != null) {
      events.deliveryState(entry.envelope, DeliveryState.QUEUED);
      ensureTick();
    }
  }

  /** Adds an envelope entry the caller writes right after releasing the lock (it is SENT). */
  void sendNow(Outbox.Entry entry) {
    assert Thread.holdsLock(lock) && entry.envelope != null;
    outbox.add(entry);
    written(entry);
    ensureTick();
  }

  /**
   * Resumes to write first on a new connection, one per room, registered so that their acks are
   * recognised; returns the encoded frames.
   */
  List<String> resumes(RoomTracker rooms) {
    assert Thread.holdsLock(lock);
    return resumeEnvelopes(rooms).stream().map(CODEC::encode).toList();
  }

  /** As {@link #resumes}, the envelopes. */
  List<Envelope> resumeEnvelopes(RoomTracker rooms) {
    assert Thread.holdsLock(lock);
    List<Envelope> out = new ArrayList<>();
    rooms.resumePoints().forEach((room, lastSeq) -> out.add(resumeFor(rooms, room, lastSeq)));
    return out;
  }

  /**
   * A resume of {@code room} after {@code lastSeq} of the epoch the tracker knows for it,
   * registered; returns the encoded frame.
   */
  String resume(RoomTracker rooms, String room, long lastSeq) {
    return CODEC.encode(resumeFor(rooms, room, lastSeq));
  }

  /** As {@link #resume}, the envelope. */
  Envelope resumeFor(RoomTracker rooms, String room, long lastSeq) {
    assert Thread.holdsLock(lock);
    Envelope resume = Envelope.resume(room, lastSeq, rooms.epoch(room));
    if (resumes == null) {
      resumes = new HashMap<>();
    }
    resumes.put(resume.id(), room);
    rooms.resumeSent(room, resume.id());
    return resume;
  }

  /**
   * Everything the connection has not written yet, in resend order; envelopes are marked SENT and
   * stay until acked, frames leave the outbox. The caller writes them after releasing the lock.
   */
  List<Outbox.Entry> takeUnwritten() {
    return takeUnwritten(Integer.MAX_VALUE);
  }

  /**
   * As {@link #takeUnwritten()}, at most {@code maxEnvelopes} envelopes (and the frames before the
   * next one): what the sender order's window lets go.
   */
  List<Outbox.Entry> takeUnwritten(int maxEnvelopes) {
    assert Thread.holdsLock(lock);
    List<Outbox.Entry> resent = new ArrayList<>();
    List<Outbox.Entry> fresh = new ArrayList<>();
    outbox.forEach(e -> {
      if (!e.written && !e.counted) {
        (e.firstSent > 0 ? resent : fresh).add(e);
      }
      return false;
    });
    resent.sort(Comparator.comparingLong(e -> e.firstSent));
    resent.addAll(fresh);
    List<Outbox.Entry> taken = new ArrayList<>();
    int envelopes = 0;
    for (Outbox.Entry e : resent) {
      if (e.envelope != null) {
        if (envelopes == maxEnvelopes) {
          break;
        }
        envelopes++;
        written(e);
      }
      taken.add(e);
    }
    outbox.removeFrames(taken); // frames are written once and forgotten
    if (!taken.isEmpty()) {
      ensureTick();
    }
    return taken;
  }

  /** An envelope refused without being taken, that waits to be written again: QUEUED. */
  void held(Outbox.Entry e) {
    assert Thread.holdsLock(lock);
    if (e.written && outbox.envelope(e.envelope.id()) == e) {
      e.written = false;
      events.deliveryState(e.envelope, DeliveryState.QUEUED);
    }
  }

  /**
   * An envelope written again on the same connection after a refusal or a loss (same counter):
   * SENT again if it was QUEUED; its ack timeout starts over. An envelope that failed meanwhile
   * (expired) is written again all the same, since its counter must be, but reports nothing.
   */
  void rewritten(Outbox.Entry e) {
    assert Thread.holdsLock(lock);
    counters.resends++;
    if (outbox.envelope(e.envelope.id()) != e) {
      return;
    }
    e.writtenAt = scheduler.nanoTime();
    if (!e.written) {
      e.written = true;
      events.deliveryState(e.envelope, DeliveryState.SENT);
    }
    ensureTick();
  }

  /** The connection ended: every envelope written on it and not acked is QUEUED again. */
  void connectionLost() {
    assert Thread.holdsLock(lock);
    if (resumes != null) {
      resumes.clear();
    }
    if (expiredInFlight != null) {
      expiredInFlight.clear();
    }
    outbox.forEach(e -> {
      e.counted = false;
      if (e.written) {
        e.written = false;
        events.deliveryState(e.envelope, DeliveryState.QUEUED);
      }
      return false;
    });
  }

  /** The room of the resume this ack answers, or null if it answers none. */
  String resumeAcked(Ack ack) {
    assert Thread.holdsLock(lock);
    return resumes == null ? null : resumes.remove(ack.id());
  }

  /** An ack for one of our envelopes: ACKED, its future completes. Returns it, or null if unknown. */
  Envelope acked(Ack ack) {
    Outbox.Entry entry = ackedEntry(ack);
    return entry == null ? null : entry.envelope;
  }

  /**
   * As {@link #acked}, the envelope's entry; for the ack of a chat that expired while it was written
   * on this connection, that chat's entry (its future has failed already: nothing completes), so
   * that a v2 ack carrying it still delivers it.
   */
  Outbox.Entry ackedEntry(Ack ack) {
    assert Thread.holdsLock(lock);
    Outbox.Entry entry = outbox.removeEnvelope(ack.id());
    if (entry == null) {
      // A duplicate ack, or one for an envelope that already failed (expired).
      return expiredInFlight == null || expiredInFlight.isEmpty() ? null : expiredInFlight.remove(ack.id());
    }
    counters.acks++;
    long now = scheduler.nanoTime();
    if (entry.written) {
      counters.lastRttNanos = now - entry.writtenAt;
    }
    if (entry.firstSent > 0) {
      events.acked(entry.envelope, now - entry.firstWrittenAt);
    }
    store.forgetLater(entry.envelope.id());
    events.deliveryState(entry.envelope, DeliveryState.ACKED);
    // An ack carrying its chat (protocol v2) completes the future as protocol v1's does: id and seq.
    // The chat as stamped goes to onEnvelope.
    events.complete(entry.future, ack.carriesChat() ? new Ack(ack.id(), ack.seq()) : ack);
    return entry;
  }

  /** A server error naming one of our envelopes fails it; false if it names none. */
  boolean rejected(ErrorReply error) {
    assert Thread.holdsLock(lock);
    Outbox.Entry entry = error.id() == null ? null : outbox.removeEnvelope(error.id());
    if (entry == null) {
      return false;
    }
    fail(entry, new RejectedException(error), true);
    return true;
  }

  /**
   * Empties the outbox: envelope futures fail with {@code cause}, dropped frames are logged.
   *
   * @param forget also remove the envelopes from the store (they failed for good); false keeps
   *     them there for a later client (the user's close())
   */
  void failAll(TetherException cause, boolean forget) {
    assert Thread.holdsLock(lock);
    int frames = 0;
    for (Outbox.Entry e : outbox.drain()) {
      if (e.envelope != null) {
        fail(e, cause, forget);
      } else {
        frames++;
      }
    }
    if (frames > 0) {
      log.warn("{} queued text/binary messages not sent: {}", frames, cause.getMessage());
    }
  }

  /**
   * Also keeps the maintenance tick coming while {@code watching} says so (called under the lock):
   * frames in flight that are not in the outbox (resumes) have an ack timeout too.
   */
  void alsoWatch(BooleanSupplier watching) {
    this.alsoWatching = watching;
  }

  /** Makes sure a maintenance tick is coming while the outbox holds anything, or while watching. */
  void ensureTick() {
    assert Thread.holdsLock(lock);
    if (tickScheduled || outbox.size() == 0 && !alsoWatching.getAsBoolean()) {
      return;
    }
    tickScheduled = true;
    long tick = Math.max(10_000_000L, Math.min(1_000_000_000L, ackTimeoutNanos / 4));
    scheduler.schedule(tickTask, Duration.ofNanos(tick));
  }

  /**
   * The maintenance tick: fails expired envelopes and, if {@code open}, finds an envelope written on
   * it whose ack is overdue.
   *
   * @return the id of the overdue envelope, or null
   */
  String tick(boolean open) {
    assert Thread.holdsLock(lock);
    tickScheduled = false;
    long now = scheduler.nanoTime();
    outbox.forEach(e -> {
      if (e.envelope != null && e.expiresAt <= now) {
        if (e.written && e.envelope.type() == Envelope.Type.CHAT) {
          if (expiredInFlight == null) {
            expiredInFlight = new HashMap<>();
          }
          expiredInFlight.put(e.envelope.id(), e);
        }
        fail(e, new TetherException("expired: " + e.envelope.id() + " was not acknowledged in time"), true);
        return true;
      }
      return false;
    });
    Outbox.Entry oldest = open ? outbox.firstWritten() : null;
    ensureTick();
    return oldest != null && now - oldest.writtenAt >= ackTimeoutNanos ? oldest.envelope.id() : null;
  }

  private void written(Outbox.Entry e) {
    e.writtenAt = scheduler.nanoTime();
    if (e.firstSent > 0) {
      counters.resends++;
    } else {
      e.firstSent = ++writes;
      e.firstWrittenAt = e.writtenAt;
    }
    e.written = true;
    events.deliveryState(e.envelope, DeliveryState.SENT);
  }

  private void fail(Outbox.Entry e, TetherException cause, boolean forget) {
    if (forget) {
      store.forgetLater(e.envelope.id());
    }
    events.deliveryState(e.envelope, DeliveryState.FAILED);
    events.fail(e.future, cause);
  }
}

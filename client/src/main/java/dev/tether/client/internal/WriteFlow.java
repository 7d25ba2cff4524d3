package dev.tether.client.internal;

import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ErrorReply;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What is written on the open connection, in which order, and when: every envelope numbered for
 * sender order ({@link SenderOrder}, PROTOCOL.md "Sender order"), every frame queued on the
 * connection's {@link FrameWriter} in the order decided here, the rewind after
 * {@code out_of_order}, the wait after {@code rate_limited} or {@code unavailable}, and pacing
 * after them (what the order's window does not let go waits in the outbox, or numbered in the
 * order).
 *
 * <p>Lost memberships: a {@code not_member} for a chat in a room the client is in (it joined and
 * did not leave) means the server lost this connection's membership, for example a resume lost on
 * a link that drops frames, or a server that forgot its members. The chat does not fail: it goes
 * back to the outbox ({@code QUEUED}) and a barrier is raised ({@link SenderOrder#barrier()}).
 * Nothing new is written until every envelope written before the refusal came is answered (those
 * of the same room are refused too), then each such room is resumed and the refused chats are
 * written again, with their ids, in the order they were first sent, before anything newer: so
 * they are taken once (the server deduplicates by id), in their sender's order. A chat refused so
 * {@value #MAX_MEMBERSHIP_REPAIRS} times fails after all (a server that acks resumes and still
 * refuses); one in a room the app left or never joined fails at once, as before.
 *
 * <p>Every method but the hold timer runs under the socket's lock (asserted) and only queues; the
 * caller drains {@code c.writer} after releasing the lock. The hold timer runs on the scheduler
 * thread: it decides under the lock and hands the writes to the I/O pool. It keeps
 * {@link Connection#flushed} true exactly while a send may write directly.
 */
final class WriteFlow {
  private static final Logger log = LoggerFactory.getLogger(WriteFlow.class);
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();
  /** The refusals that take nothing and ask for the envelope again, in order. */
  private static final Set<String> TAKE_NOTHING =
      Set.of(ErrorReply.OUT_OF_ORDER, ErrorReply.RATE_LIMITED, ErrorReply.UNAVAILABLE);

  /** How often one chat may be written again after a lost membership before it fails. */
  static final int MAX_MEMBERSHIP_REPAIRS = 3;

  private final Object lock;
  private final Lifecycle lifecycle;
  private final DeliveryTracker delivery;
  private final RoomTracker rooms;
  private final Scheduler scheduler;
  private final Executor io;
  /** Runs what a locked section queued (callbacks, store calls); after the lock is released. */
  private final Runnable afterUnlock;

  WriteFlow(Object lock, Lifecycle lifecycle, DeliveryTracker delivery, RoomTracker rooms, Scheduler scheduler,
      Executor io, Runnable afterUnlock) {
    this.lock = lock;
    this.lifecycle = lifecycle;
    this.delivery = delivery;
    this.rooms = rooms;
    this.scheduler = scheduler;
    this.io = io;
    this.afterUnlock = afterUnlock;
    delivery.alsoWatch(() -> {
      Connection open = lifecycle.open();
      return open != null && open.order.hasInFlight();
    });
  }

  /** {@code c} just opened: the resumes of the joined rooms, then what waits in the outbox. */
  void opened(Connection c) {
    assert Thread.holdsLock(lock);
    for (Envelope resume : delivery.resumeEnvelopes(rooms)) {
      counted(c, resume.id(), CODEC.encode(resume), null);
    }
    pump(c);
  }

  /** A resume to write on {@code c} now: after a seq jump, or again after a reset. */
  void resume(Connection c, Envelope resume) {
    assert Thread.holdsLock(lock);
    counted(c, resume.id(), CODEC.encode(resume), null);
  }

  /** An envelope sent while {@code c} is writable; {@link DeliveryTracker#sendNow} took it. */
  void direct(Connection c, Outbox.Entry entry) {
    assert Thread.holdsLock(lock);
    counted(c, entry.envelope.id(), entry.encoded, entry);
  }

  /** A text frame sent while {@code c} is writable. */
  void text(Connection c, String text) {
    assert Thread.holdsLock(lock);
    c.writer.text(text);
  }

  /** A binary frame sent while {@code c} is writable; {@code bytes} is ours. */
  void binary(Connection c, ByteBuffer bytes) {
    assert Thread.holdsLock(lock);
    c.writer.binary(bytes);
  }

  /** An ack, or a refusal that is final, for {@code id}: the window may let more go. */
  void answered(Connection c, String id) {
    assert Thread.holdsLock(lock);
    if (!c.order.answered(id)) {
      return;
    }
    if (c.order.liftBarrier()) {
      rejoin(c);
    } else if (!c.flushed) {
      pump(c);
    }
  }

  /**
   * A {@code not_member} on {@code c}: true if it refused a chat of a room the client is in, which
   * waits to be written again after the room is resumed (see the class comment); false if the
   * refusal is final (the caller fails the chat).
   */
  boolean notMember(Connection c, ErrorReply error) {
    assert Thread.holdsLock(lock);
    if (!ErrorReply.NOT_MEMBER.equals(error.code()) || error.id() == null) {
      return false;
    }
    Outbox.Entry e = delivery.waiting(error.id());
    if (e == null || e.envelope.type() != Envelope.Type.CHAT || !rooms.isTracked(e.envelope.room())
        || e.membershipRepairs >= MAX_MEMBERSHIP_REPAIRS || !c.order.answered(error.id())) {
      return false;
    }
    e.membershipRepairs++;
    log.debug("{}: not_member for {} in room '{}', which the client is in; resuming it and writing the chat again",
        c, e.envelope.id(), e.envelope.room());
    delivery.held(e);
    e.counted = false; // back to the outbox: written again in first-sent order
    c.order.barrier();
    c.flushed = false;
    c.lostRooms().add(e.envelope.room());
    if (c.order.liftBarrier()) {
      rejoin(c);
    }
    return true;
  }

  /**
   * The barrier after lost memberships is lifted: resumes the rooms that are still joined, then
   * writes what waited (the refused chats first, in first-sent order). A chat of a room the app
   * left meanwhile is written too and refused for good.
   */
  private void rejoin(Connection c) {
    Map<String, Long> positions = rooms.resumePoints();
    for (String room : c.lostRooms()) {
      Long position = positions.get(room);
      if (position != null) {
        resume(c, delivery.resumeFor(rooms, room, position));
      }
    }
    c.lostRooms().clear();
    pump(c);
  }

  /**
   * A server error on {@code c}: true if it is a refusal that took nothing of an envelope written
   * there ({@code out_of_order}, {@code rate_limited}, {@code unavailable}), handled here: the
   * envelope and everything after it are written again, in order, at once or after the server's
   * {@code retry_after}. Its future does not fail.
   */
  boolean refused(Connection c, ErrorReply error) {
    assert Thread.holdsLock(lock);
    if (!TAKE_NOTHING.contains(error.code())) {
      return false;
    }
    SenderOrder.Refusal refusal = c.order.refused(error);
    switch (refusal.verdict()) {
      case NOT_OURS -> {
        return false;
      }
      case STALE -> {
        return true;
      }
      case HOLD -> {
        long hold = c.order.holds();
        log.debug("{}: {} for #{}; writing again in {} ms: {}", c, error.code(), c.order.rewindPoint(),
            refusal.holdNanos() / 1_000_000, c.order);
        scheduler.schedule(() -> holdOver(c, hold), Duration.ofNanos(refusal.holdNanos()));
      }
      case REWRITE -> {
        log.debug("{}: out_of_order; writing again from #{}: {}", c, c.order.rewindPoint(), c.order);
        pump(c);
      }
    }
    c.flushed = c.flushed && c.order.mayWriteNew();
    for (SenderOrder.Frame f : refusal.stopped()) {
      if (!f.inFlight && f.entry != null) {
        delivery.held(f.entry);
      }
    }
    return true;
  }

  /** The id of the envelope on {@code c} whose answer is overdue, or null. */
  String overdue(Connection c, Duration ackTimeout) {
    assert Thread.holdsLock(lock);
    SenderOrder.Frame oldest = c.order.oldestInFlight();
    return oldest != null && scheduler.nanoTime() - oldest.writtenAt >= ackTimeout.toNanos() ? oldest.id : null;
  }

  /** The wait of hold {@code hold} on {@code c} is over, on the scheduler thread. */
  private void holdOver(Connection c, long hold) {
    synchronized (lock) {
      if (!lifecycle.isOpen(c)) {
        return;
      }
      c.order.holdOver(hold);
      pump(c);
    }
    afterUnlock.run();
    io.execute(c.writer::drain);
  }

  /**
   * Queues what may go now: frames waiting to be written again, then the outbox in resend order,
   * as far as the order allows; {@code c} is writable after it if nothing is left waiting.
   */
  private void pump(Connection c) {
    long now = scheduler.nanoTime();
    for (SenderOrder.Frame f : c.order.pump(now)) {
      c.writer.counted(f);
      if (f.entry != null) {
        delivery.rewritten(f.entry);
      }
    }
    int room = c.order.room();
    boolean outboxWritten = false;
    if (room > 0) {
      List<Outbox.Entry> round = delivery.takeUnwritten(room);
      int envelopes = 0;
      for (Outbox.Entry e : round) {
        if (e.envelope != null) {
          envelopes++;
          counted(c, e.envelope.id(), e.encoded, e);
        } else if (e.bytes != null) {
          c.writer.binary(e.bytes.duplicate());
        } else {
          c.writer.text(e.text);
        }
      }
      outboxWritten = envelopes < room;
    }
    c.flushed = outboxWritten && c.order.mayWriteNew();
  }

  private void counted(Connection c, String id, String encoded, Outbox.Entry entry) {
    SenderOrder.Frame f = c.order.number(id, encoded, entry, scheduler.nanoTime());
    if (entry != null) {
      entry.counted = true;
    } else {
      delivery.ensureTick(); // a resume's ack is watched too
    }
    if (f.inFlight) {
      c.writer.counted(f);
    } else if (entry != null) {
      delivery.held(entry);
    }
    if (!c.order.mayWriteNew()) {
      c.flushed = false;
    }
  }
}

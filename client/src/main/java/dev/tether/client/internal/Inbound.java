package dev.tether.client.internal;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ErrorReply;
import dev.tether.api.MalformedEnvelopeException;
import dev.tether.api.RejectedException;
import dev.tether.api.TetherException;
import dev.tether.api.Wire;
import dev.tether.api.WireRules;
import jakarta.websocket.CloseReason;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The inbound path of one socket: frame, size check, codec, room ordering, delegate callbacks.
 * On a protocol v2 connection the ack of our own chat carries it ({@link Ack#carriesChat()}) and
 * is delivered as the chat, through the same room ordering: the server sends no copy, and places
 * the ack after every chat of the room before it.
 * Called on container threads. Decoding happens before the lock; the lock is taken once per frame,
 * to check that the frame's connection still carries messages and to update delivery, sender
 * order and room state; writes it causes (a resume after a seq jump or a reset, envelopes written
 * again after a refusal, more of the outbox as the sender order's window opens) are queued on the
 * connection's writer and written after it is released.
 *
 * <p>Ownership: binary messages and pong payloads are copied before they are queued for the
 * delegate. Containers may reuse their buffer as soon as the handler returns (Jetty does), and the
 * bytes a delegate gets must be its own.
 */
final class Inbound {
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();

  private final Object lock;
  private final Lifecycle lifecycle;
  private final DeliveryTracker delivery;
  private final RoomTracker rooms;
  private final StoreSync store;
  private final Callbacks events;
  private final Counters counters;
  private final Outbound outbound;
  private final WriteFlow flow;
  private final int maxMessageSize;
  private final Runnable afterUnlock;

  Inbound(Object lock, Lifecycle lifecycle, DeliveryTracker delivery, RoomTracker rooms, StoreSync store,
      Callbacks events, Counters counters, Outbound outbound, WriteFlow flow, int maxMessageSize,
      Runnable afterUnlock) {
    this.lock = lock;
    this.lifecycle = lifecycle;
    this.delivery = delivery;
    this.rooms = rooms;
    this.store = store;
    this.events = events;
    this.counters = counters;
    this.outbound = outbound;
    this.flow = flow;
    this.maxMessageSize = maxMessageSize;
    this.afterUnlock = afterUnlock;
  }

  void text(Connection c, String text) {
    // chars * 3 bounds the UTF-8 size: only long texts need counting.
    if ((long) text.length() * 3 > maxMessageSize && tooBig(c, WireRules.utf8Length(text))) {
      return;
    }
    if (!WireRules.isEnvelope(text)) {
      synchronized (lock) {
        if (!lifecycle.carries(c)) {
          return;
        }
        events.text(text);
      }
      afterUnlock.run();
      return;
    }
    Wire wire;
    try {
      wire = CODEC.decode(text);
    } catch (MalformedEnvelopeException e) {
      failure(c, e);
      return;
    }
    // Acks complete their futures on this thread, right after the lock: no hop to a pool thread.
    boolean completesHere = events.claimCompletions();
    try {
      synchronized (lock) {
        if (!lifecycle.carries(c)) {
          return;
        }
        envelope(c, wire);
      }
      events.startCallbacks();
      store.start();
      c.writer.drain();
    } finally {
      if (completesHere) {
        events.completeClaimed();
      }
    }
  }

  void binary(Connection c, ByteBuffer containers) {
    if (tooBig(c, containers.remaining())) {
      return;
    }
    ByteBuffer own = copy(containers);
    synchronized (lock) {
      if (!lifecycle.carries(c)) {
        return;
      }
      events.binary(own);
    }
    afterUnlock.run();
  }

  void pong(Connection c, ByteBuffer containers) {
    Heartbeat heartbeat = c.heartbeat;
    long rtt = heartbeat == null ? -1 : heartbeat.pong(containers);
    ByteBuffer own = rtt >= 0 ? null : copy(containers);
    synchronized (lock) {
      if (!lifecycle.carries(c)) {
        return;
      }
      if (rtt > 0) {
        counters.lastRttNanos = rtt;
        events.rttMeasured(rtt);
      }
      if (own != null) { // null: the heartbeat's own pong
        events.pong(own);
      }
    }
    afterUnlock.run();
  }

  private static ByteBuffer copy(ByteBuffer b) {
    return ByteBuffer.allocate(b.remaining()).put(b.duplicate()).flip();
  }

  /** Applies an envelope from the server; what it makes us write is queued on {@code c}'s writer. */
  private void envelope(Connection c, Wire wire) {
    if (wire instanceof Envelope e && e.type() == Envelope.Type.CHAT) {
      apply(c, rooms.chat(e));
    } else if (wire instanceof Envelope e) {
      events.envelope(e);
    } else if (wire instanceof Ack ack) {
      acked(c, ack);
      flow.answered(c, ack.id());
    } else if (wire instanceof ErrorReply error) {
      if (flow.refused(c, error)) {
        return; // taken nothing: written again, in order; the envelope does not fail
      }
      if (flow.notMember(c, error)) {
        return; // a lost membership: the room is resumed and the chat written again
      }
      rejected(c, error);
      if (error.refused() && error.id() != null) {
        flow.answered(c, error.id());
      }
    }
  }

  private void acked(Connection c, Ack ack) {
    if (delivery.resumeAcked(ack) != null) {
      apply(c, rooms.resumed(ack.id(), ack.seq(), ack.epoch()));
      return;
    }
    Outbox.Entry entry = delivery.ackedEntry(ack);
    Envelope e = entry == null ? null : entry.envelope;
    if (e != null && e.type() == Envelope.Type.CHAT && c.v2 && ack.carriesChat()) {
      // Protocol v2: the ack stands for our copy, at its place in the room's order.
      apply(c, rooms.chat(ack.stamp(asFannedOut(entry))));
      return;
    }
    if (e != null && e.type() == Envelope.Type.JOIN) {
      apply(c, rooms.joined(e.room(), ack.seq(), ack.epoch()));
      return;
    } else if (e != null && e.type() == Envelope.Type.LEAVE) {
      rooms.left(e.room());
    }
    store.saveRoomsLater(rooms);
  }

  /**
   * The chat of {@code entry} with its body as every other member reads it from the wire: the
   * body we sent, if it holds only strings (a chat's text), else the body decoded from the frame
   * we wrote (a number we sent as a {@code Long} or a {@code Double} reads back as what the codec
   * makes of it, as on a copy).
   */
  private static Envelope asFannedOut(Outbox.Entry entry) {
    Envelope sent = entry.envelope;
    if (sent.body().size() == 1 && sent.text() != null) {
      return sent; // just the text, the common case
    }
    for (Object value : sent.body().values()) {
      if (!(value instanceof String)) {
        Envelope decoded = (Envelope) CODEC.decode(entry.encoded);
        return new Envelope(sent.type(), sent.id(), sent.room(), sent.from(), sent.seq(), sent.ts(),
            decoded.body(), sent.epoch());
      }
    }
    return sent;
  }

  private void rejected(Connection c, ErrorReply error) {
    if (ErrorReply.HISTORY_GAP.equals(error.code()) && error.room() != null) {
      apply(c, rooms.gap(error.room(), error.first(), error.last()));
    } else if (ErrorReply.EPOCH_CHANGED.equals(error.code()) && error.room() != null) {
      apply(c, rooms.epochChanged(error.room(), error.id(), error.newEpoch()));
    } else if (!delivery.rejected(error)) {
      events.failure(new RejectedException(error));
    }
  }

  /**
   * Tells the app what a room step released, in order (gaps, resets, chats), and asks for a resume
   * if the step wants one.
   */
  private void apply(Connection c, RoomTracker.Step step) {
    counters.duplicatesDropped += step.duplicates();
    List<RoomTracker.Event> told = step.events();
    for (int k = 0, n = told.size(); k < n; k++) { // indexed: no iterator per frame
      RoomTracker.Event event = told.get(k);
      if (event instanceof RoomTracker.Delivered d) {
        events.envelope(d.chat());
      } else if (event instanceof RoomTracker.Missed m) {
        events.gap(step.room(), m.from(), m.to());
      } else if (event instanceof RoomTracker.Reset r) {
        events.reset(step.room(), r.lastSeqBefore());
      }
    }
    store.saveRoomsLater(rooms);
    // A seq jump on a live connection, or a reset: ask for what is missing.
    if (step.resume() && lifecycle.isOpen(c)) {
      flow.resume(c, delivery.resumeFor(rooms, step.room(), step.resumeAfter()));
    }
  }

  /**
   * Closes with 1009 if an incoming message is over the limit. Containers enforce their buffer size
   * only on fragmented messages (Tyrus) or not at all, so the check is ours.
   */
  private boolean tooBig(Connection c, long bytes) {
    if (bytes <= maxMessageSize) {
      return false;
    }
    String why = "incoming message > " + maxMessageSize + " bytes: " + bytes;
    // Report first: once the close is under way the connection stops being current.
    failure(c, new TetherException(why + "; closing with 1009"));
    outbound.close(c, new CloseReason(CloseReason.CloseCodes.TOO_BIG, "message too big"));
    return true;
  }

  private void failure(Connection c, Throwable error) {
    synchronized (lock) {
      if (!lifecycle.carries(c)) {
        return;
      }
      events.failure(error);
    }
    afterUnlock.run();
  }
}

package dev.tether.server.internal;

import dev.tether.api.Ack;
import dev.tether.api.Wire;

/**
 * The answer to one frame that a store call decides, kept in the connection's receipt order
 * without costing a {@link Outbound.Slot} when the store answers at once: an answer given before
 * the store call returned goes straight to the end of the connection's queue (no later frame of the
 * connection has been handled yet, so that is its place), and one given later goes into a slot
 * taken when the call returned, still before the connection's next frame.
 *
 * <p>It also tells a store failure reported before the call returned (nothing of the connection's
 * later frames has reached the store: safe to refuse just this frame, with {@code unavailable})
 * from one reported later (frames sent after it may be in the store: the connection must close).
 *
 * <p>Thread-safe: the store may call back on any thread, before or after the call returns.
 */
final class PendingAnswer {
  private final Peer peer;
  /**
   * Protocol v2: the sender's membership of the chat's room, which places the answer to an
   * accepted chat ({@link Subscription#answerOwn}); null for every other answer.
   */
  private final Subscription own;
  /** Guarded by this. */
  private boolean returned;
  /** Guarded by this; answered or failed before the call returned. */
  private boolean done;
  /** Guarded by this; the failure reported before the call returned. */
  private Throwable failure;
  /** Guarded by this; the answer's place: given at construction, or taken when the call returned unanswered. */
  private Outbound.Slot slot;

  PendingAnswer(Peer peer) {
    this(peer, (Subscription) null);
  }

  /** The answer to a chat of {@code own}'s room on a protocol v2 connection. */
  PendingAnswer(Peer peer, Subscription own) {
    this.peer = peer;
    this.own = own;
  }

  /** The answer to a frame that took its {@code slot} when it arrived (it waited for its turn). */
  PendingAnswer(Peer peer, Outbound.Slot slot) {
    this.peer = peer;
    this.own = null;
    this.slot = slot;
  }

  /** The store's answer, from its callback. */
  void answer(Wire wire) {
    if (own != null) {
      own(wire, null);
      return;
    }
    String text = Hub.encode(wire);
    Outbound.Slot place;
    synchronized (this) {
      if (!returned && slot == null) {
        done = true;
        peer.send(text);
        return;
      }
      place = slot;
    }
    peer.outbound().add(place, Outbound.Frame.text(text, true));
    peer.outbound().finish(place);
  }

  /**
   * Whether this answers a chat whose ack may stand for the sender's copy (protocol v2, see
   * {@link Subscription#answerOwn}): then {@link #accepted} takes the ack that carries the chat.
   */
  boolean mayStandForCopy() {
    return own != null;
  }

  /**
   * The answer to a chat the store accepted now: {@code ack}, which carries the chat (what the
   * server stamped on it) if {@link #mayStandForCopy}, else the plain one. An ack carrying the
   * chat stands for the sender's copy where it can, and goes plain otherwise (see
   * {@link Subscription#answerOwn}).
   */
  void accepted(Ack ack) {
    if (own == null) {
      answer(ack);
    } else {
      own(null, ack);
    }
  }

  private void own(Wire plain, Ack full) {
    Outbound.Slot place;
    synchronized (this) {
      if (!returned) {
        done = true;
        own.answerOwn(null, plain, full);
        return;
      }
      place = slot;
    }
    own.answerOwn(place, plain, full);
  }

  /**
   * From the store's failure callback: true if the call had not returned yet, and the caller
   * refuses the frame once it has ({@link #returned}); false if the failure came later.
   */
  synchronized boolean failedBeforeReturn(Throwable error) {
    if (returned) {
      return false;
    }
    done = true;
    failure = error;
    return true;
  }

  /** Right after the store call returned, on the frame's thread: the failure reported before, or null. */
  synchronized Throwable returned() {
    returned = true;
    if (!done && slot == null) {
      slot = own != null ? own.ownSlot() : peer.outbound().slot();
    }
    return failure;
  }
}

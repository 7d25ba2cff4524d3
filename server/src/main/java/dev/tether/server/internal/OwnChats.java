package dev.tether.server.internal;

import dev.tether.api.Ack;
import dev.tether.api.Wire;
import dev.tether.server.internal.Outbound.Frame;
import dev.tether.server.internal.Outbound.Slot;
import java.util.ArrayDeque;

/**
 * Protocol v2: the chats one connection sent to one room, whose acks stand for their copies. The
 * ack of an own chat carries what the server stamped on it, and the connection then gets no copy
 * of the chat: the client delivers it from the ack. So the ack takes the copy's place in the
 * room's order: every chat of the room before it that the member gets must come before it.
 *
 * <p>The ack goes where the connection's answers go: at the end of the queue if the store
 * answered before its call returned, else into the slot {@linkplain #take taken} when the call
 * returned. While a slot waits, the chats the room offers the live member go into the first one,
 * ahead of its ack. Only the oldest waiting own chat's ack may stand for its copy, and only while
 * the member is live (not joining or replaying); any other ack is the plain one and the copy is
 * sent, as in protocol v1. The copy of a chat whose ack stood for it is skipped when the room
 * offers it.
 *
 * <p>Not thread-safe: guarded by the monitor of the {@link Subscription} that owns it, under which
 * the store's answer ({@link #answer}) and the room's fan-out ({@link #deliver}) both come.
 */
final class OwnChats {
  private final Outbound out;
  /** The answer slots of own chats the store has not answered yet, oldest first. */
  private final ArrayDeque<Slot> slots = new ArrayDeque<>(0);
  /** The seq and epoch of the own chat whose ack stood for it (0: none). */
  private long standingSeq;
  private String standingEpoch;

  OwnChats(Outbound out) {
    this.out = out;
  }

  /**
   * The store call for an own chat returned before the store answered: the answer's place in the
   * connection's queue. If the member is {@code live}, chats offered until the answer comes go
   * into it, ahead of the ack.
   */
  Slot take(boolean live) {
    Slot slot = out.slot();
    if (live) {
      slots.addLast(slot);
    }
    return slot;
  }

  /**
   * Queues the answer to an own chat, into {@code slot} (from {@link #take}), or at the end of the
   * queue if null (the store answered before its call returned): {@code plain} (a duplicate's ack)
   * or {@code full}, the ack carrying a chat accepted now. {@code full} is sent as it is if the
   * member is {@code live} and every chat of the room before it that the member gets is queued
   * ahead of it: then its copy is skipped. Otherwise it goes in its plain form (id and seq), and
   * the copy follows.
   */
  void answer(Slot slot, Wire plain, Ack full, boolean live) {
    boolean first = slot == null ? slots.isEmpty() : slots.peekFirst() == slot;
    if (slot != null) {
      slots.remove(slot);
    }
    boolean stands = full != null && live && first;
    if (stands) {
      standingSeq = full.seq();
      standingEpoch = full.epoch();
    }
    Wire wire = stands ? full : full != null ? new Ack(full.id(), full.seq()) : plain;
    Frame frame = Frame.text(Hub.encode(wire), true);
    if (slot == null) {
      out.enqueue(frame);
    } else {
      out.add(slot, frame);
      out.finish(slot);
    }
  }

  /**
   * A chat of the room to deliver to the live member: skipped if an own chat's ack stood for it,
   * else queued ahead of the oldest waiting own ack, or at the end of the queue if none waits.
   */
  void deliver(long seq, String epoch, String frame, long bytes) {
    if (seq == standingSeq && epoch.equals(standingEpoch)) {
      standingSeq = 0; // the sender's ack stood for this copy
      standingEpoch = null;
    } else if (!slots.isEmpty()) {
      out.add(slots.peekFirst(), Frame.text(frame, bytes));
    } else {
      out.enqueue(Frame.text(frame, bytes));
    }
  }

  /** The member is no longer live (it replays, or ended): the acks still waiting will be plain. */
  void clear() {
    slots.clear();
  }
}

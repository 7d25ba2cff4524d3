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
 * ahead of its ack. The ack of an own chat with seq N stands for its copy only if the member is
 * live (not joining or replaying), it is the oldest waiting own chat's, and the member's
 * {@link StreamPosition} is at N - 1 of the chat's epoch: every chat before it has been queued
 * ahead of it. Then the position moves to N, as the copy would have moved it, and the copy is
 * dropped as had when the room offers it. Any other ack is the plain one and the copy is sent in
 * its place, as in protocol v1: in particular while the room's chats reach this server later than
 * the store's answers (a {@link RoomFeed} behind Redis, catching up after a reconnect: its answer
 * for seq N comes from the chat script, the chats before N from the feed).
 *
 * <p>Not thread-safe: guarded by the monitor of the {@link Subscription} that owns it, under which
 * the store's answer ({@link #answer}) and the room's fan-out ({@link #deliver}) both come.
 */
final class OwnChats {
  private final Outbound out;
  /** The member's place in the room's stream (its subscription's). */
  private final StreamPosition position;
  /** The answer slots of own chats the store has not answered yet, oldest first. */
  private final ArrayDeque<Slot> slots = new ArrayDeque<>(0);

  /** The own chats of the member at {@code position} (its subscription's), answered into {@code out}. */
  OwnChats(Outbound out, StreamPosition position) {
    this.out = out;
    this.position = position;
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
   * member is {@code live}, this is the oldest waiting own chat, and the member's position is right
   * before the chat (every chat of the room before it is queued ahead of it): then it delivers the
   * chat, and the copy is dropped when offered. Otherwise it goes in its plain form (id and seq),
   * and the copy comes in its place.
   */
  void answer(Slot slot, Wire plain, Ack full, boolean live) {
    boolean first = slot == null ? slots.isEmpty() : slots.peekFirst() == slot;
    if (slot != null) {
      slots.remove(slot);
    }
    boolean stands = full != null && live && first && nextInStream(full);
    if (stands) {
      position.admit(full.seq(), full.epoch()); // the ack is the chat's delivery: its copy is had
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

  /** Whether the member has every chat of the room before {@code ack}'s and not that one. */
  private boolean nextInStream(Ack ack) {
    return ack.epoch() != null && ack.epoch().equals(position.epoch()) && ack.seq() == position.seq() + 1;
  }

  /**
   * A chat of the room to deliver to the live member (its position has moved to it): queued
   * ahead of the oldest waiting own ack, or at the end of the queue if none waits.
   */
  void deliver(String frame, long bytes) {
    if (!slots.isEmpty()) {
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

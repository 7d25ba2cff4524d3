package dev.tether.server.internal;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The members of one room on this server: the subscriptions its chats are fanned out to. The
 * room's state (epoch, seqs, history) lives in the store, not here. Guarded by this object's
 * monitor, which {@link Hub#dispatch} holds while it offers a chat to every member, so that all
 * members are offered a room's chats in the order the store reported them.
 */
final class Room {
  private final String name;
  /** Guarded by this. */
  private final Set<Subscription> members = new LinkedHashSet<>();
  /** Guarded by this; true once removed from the hub's map: members must go to a new Room. */
  private boolean retired;

  Room(String name) {
    this.name = name;
  }

  String name() {
    return name;
  }

  /** Adds a member; false if this room was retired (take a fresh one from the hub). */
  synchronized boolean add(Subscription member) {
    if (retired) {
      return false;
    }
    members.add(member);
    return true;
  }

  /** Removes a member; true if none are left, in which case the room is retired. */
  synchronized boolean remove(Subscription member) {
    members.remove(member);
    if (members.isEmpty()) {
      retired = true;
      return true;
    }
    return false;
  }

  /**
   * Offers a chat of the stream {@code epoch} to every member, under the lock; {@code bytes} is
   * the frame's UTF-8 length, measured once for all of them.
   */
  synchronized void offer(long seq, String epoch, String frame, long bytes) {
    for (Subscription member : members) {
      member.offer(seq, epoch, frame, bytes);
    }
  }
}

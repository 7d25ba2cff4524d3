package dev.tether.server.internal;

import java.util.ArrayDeque;

/**
 * The bytes all rooms of a {@link MemoryRoomStore} may hold in history together: past the budget,
 * the oldest chats of the whole store are released first, whichever room they are in (so an idle
 * room loses its history to busy ones, and no room name an attacker makes up can pin memory
 * beyond the budget). The newest chat is always kept.
 *
 * <p>Thread-safe; guarded by this. Rooms call {@link #added} under their own lock (room, then
 * budget); the budget never takes a room's lock: it only {@linkplain HeldChat#release() releases}
 * chats, and each room drops released chats from its ring when it next touches it. Released
 * chats are oldest first in every room, because each room adds to the budget in seq order.
 */
final class HistoryBudget {
  private final long maxBytes;
  /** Every chat added, oldest first; may hold chats a room has released already. */
  private final ArrayDeque<HeldChat> order = new ArrayDeque<>();
  /** Bytes of the chats not released. */
  private long bytes;
  /** About how many of {@link #order} are released already. */
  private int stale;

  HistoryBudget(long maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes < 1: " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  long maxBytes() {
    return maxBytes;
  }

  /** Bytes of the chats held now. */
  synchronized long bytes() {
    return bytes;
  }

  /**
   * A room added {@code chat} and released {@code freedCount} chats of {@code freedBytes} itself;
   * releases the store's oldest chats while over the budget.
   */
  synchronized void added(HeldChat chat, long freedBytes, int freedCount) {
    order.addLast(chat);
    bytes += chat.bytes - freedBytes;
    stale += freedCount;
    while (bytes > maxBytes && order.size() > 1) {
      HeldChat oldest = order.pollFirst();
      if (oldest.release()) {
        bytes -= oldest.bytes;
      } else {
        stale--;
      }
    }
    if (stale > 1024 && stale > order.size() / 2) {
      order.removeIf(c -> c.chat() == null);
      stale = 0;
    }
  }
}

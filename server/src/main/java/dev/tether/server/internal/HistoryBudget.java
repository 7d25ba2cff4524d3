package dev.tether.server.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes all rooms of a {@link MemoryRoomStore} may hold in history together: past the budget,
 * the oldest chats of the whole store are released first, whichever room they are in (so an idle
 * room loses its history to busy ones, and no number of rooms holds more than the budget).
 *
 * <p>Thread-safe and lock-free, so that appends to different rooms do not wait for each other.
 * Rooms call {@link #added} under their own lock; the budget takes no lock at all: it only
 * {@linkplain HeldChat#release() releases} chats, and each room drops released chats from its
 * ring when it next touches it. Released chats are the oldest of every room, because each room
 * adds to the budget in seq order. The bound is exact once concurrent appends have returned.
 */
final class HistoryBudget {
  private final long maxBytes;
  /** Every chat added, oldest first; may hold chats a room has released already. */
  private final ConcurrentLinkedQueue<HeldChat> order = new ConcurrentLinkedQueue<>();
  /** Bytes of the chats not released. */
  private final AtomicLong bytes = new AtomicLong();
  /** How many are in {@link #order}, and about how many of those are released already. */
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicInteger stale = new AtomicInteger();
  private final AtomicBoolean compacting = new AtomicBoolean();

  HistoryBudget(long maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes < 1: " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  /** Bytes of the chats held now. */
  long bytes() {
    return bytes.get();
  }

  /**
   * A room added {@code chat} and released {@code freedCount} chats of {@code freedBytes} itself;
   * releases the store's oldest chats while over the budget (never {@code chat} itself).
   */
  void added(HeldChat chat, long freedBytes, int freedCount) {
    order.add(chat);
    queued.incrementAndGet();
    if (freedCount > 0) {
      stale.addAndGet(freedCount);
    }
    long now = bytes.addAndGet(chat.bytes - freedBytes);
    while (now > maxBytes) {
      HeldChat oldest = order.peek();
      if (oldest == null || oldest == chat) {
        break;
      }
      if (!order.remove(oldest)) {
        continue; // another append took it
      }
      queued.decrementAndGet();
      if (oldest.release()) {
        now = bytes.addAndGet(-oldest.bytes);
      } else {
        stale.decrementAndGet();
        now = bytes.get();
      }
    }
    compactIfStale();
  }

  /**
   * Drops released chats from {@link #order} once they are most of it, so that it stays bounded;
   * O(n), once per n/2 released chats. The counters are only a trigger: they are set afresh here.
   */
  private void compactIfStale() {
    int s = stale.get();
    if (s > 1024 && s > queued.get() / 2 && compacting.compareAndSet(false, true)) {
      try {
        order.removeIf(c -> c.frame() == null);
        stale.set(0);
        queued.set(order.size());
      } finally {
        compacting.set(false);
      }
    }
  }
}

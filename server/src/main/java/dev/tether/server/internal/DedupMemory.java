package dev.tether.server.internal;

import dev.tether.server.RoomStore.Appended;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * What accepted chats were given, by (user, id), in memory: at most {@code capacity} entries and
 * none older than {@code maxAgeMillis}, the oldest forgotten first. Thread-safe and lock-free; each
 * call is O(1) amortized.
 */
final class DedupMemory {
  /** A user's chat id: the strings the chat came with, not a concatenation of them. */
  private record Key(String user, String id) {}

  private record Entry(Key key, Appended answer, long at) {}

  private final int capacity;
  private final long maxAgeMillis;
  private final LongSupplier millis;
  private final ConcurrentHashMap<Key, Entry> entries = new ConcurrentHashMap<>();
  /** Entries in the order they were added; may hold entries already replaced. */
  private final ConcurrentLinkedQueue<Entry> order = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();

  DedupMemory(int capacity, long maxAgeMillis, LongSupplier millis) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity < 1: " + capacity);
    }
    this.capacity = capacity;
    this.maxAgeMillis = maxAgeMillis;
    this.millis = millis;
  }

  /** What {@code user}'s chat {@code id} was given, or null if it is not remembered. */
  Appended get(String user, String id) {
    Entry e = entries.get(new Key(user, id));
    return e == null || expired(e, millis.getAsLong()) ? null : e.answer();
  }

  /**
   * Remembers {@code answer} for {@code user}'s {@code id} unless something is remembered already;
   * returns what was, or null if {@code answer} is now remembered.
   */
  Appended claim(String user, String id, Appended answer) {
    long now = millis.getAsLong();
    Key key = new Key(user, id);
    Entry fresh = new Entry(key, answer, now);
    while (true) {
      Entry prior = entries.putIfAbsent(key, fresh);
      if (prior == null) {
        break;
      }
      if (!expired(prior, now)) {
        return prior.answer();
      }
      if (entries.replace(key, prior, fresh)) {
        break;
      }
    }
    order.add(fresh);
    size.incrementAndGet();
    prune(now);
    return null;
  }

  int size() {
    return entries.size();
  }

  private void prune(long now) {
    for (Entry head; (head = order.peek()) != null; ) {
      if (size.get() <= capacity && !expired(head, now)) {
        return;
      }
      if (order.remove(head)) {
        size.decrementAndGet();
        entries.remove(head.key(), head);
      }
    }
  }

  private boolean expired(Entry e, long now) {
    return now - e.at() > maxAgeMillis;
  }
}

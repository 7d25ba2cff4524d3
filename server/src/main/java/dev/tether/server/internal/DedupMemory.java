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
 *
 * <p>Per accepted chat it keeps one {@link Key} (made once by the caller, for the look-up and the
 * claim alike) and one entry holding the answer's fields; the {@link Appended} a look-up returns
 * is made only for a chat found, which is rare.
 */
final class DedupMemory {
  /** A user's chat id: the strings the chat came with, not a concatenation of them. */
  record Key(String user, String id) {}

  /** What a chat was given, and when it was remembered; equal only to itself. */
  private static final class Entry {
    final Key key;
    final String epoch;
    final long seq;
    final long ts;
    final long at;

    Entry(Key key, String epoch, long seq, long ts, long at) {
      this.key = key;
      this.epoch = epoch;
      this.seq = seq;
      this.ts = ts;
      this.at = at;
    }

    Appended answer() {
      return new Appended(epoch, seq, ts, true, null);
    }
  }

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

  /** What {@code key}'s chat was given, as a duplicate's answer, or null if it is not remembered. */
  Appended get(Key key) {
    Entry e = entries.get(key);
    return e == null || expired(e, millis.getAsLong()) ? null : e.answer();
  }

  /**
   * Remembers that {@code key}'s chat was given {@code seq} of {@code epoch} at {@code ts}, unless
   * something is remembered for it already; returns what was (as a duplicate's answer), or null if
   * this is now remembered.
   */
  Appended claim(Key key, String epoch, long seq, long ts) {
    long now = millis.getAsLong();
    Entry fresh = new Entry(key, epoch, seq, ts, now);
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
        entries.remove(head.key, head);
      }
    }
  }

  private boolean expired(Entry e, long now) {
    return now - e.at > maxAgeMillis;
  }
}

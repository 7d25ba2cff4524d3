package dev.tether.server.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the seq of accepted chats by (user, id), least recently used dropped first once more
 * than {@code capacity} are remembered. Thread-safe (synchronized); O(1) per call.
 */
final class Dedup {
  private final Map<String, Long> seqs;

  Dedup(int capacity) {
    this.seqs = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
        return size() > capacity;
      }
    };
  }

  /** The seq given to {@code user}'s chat {@code id}, or null if it was not accepted (or forgotten). */
  synchronized Long seqOf(String user, String id) {
    return seqs.get(key(user, id));
  }

  synchronized void remember(String user, String id, long seq) {
    seqs.put(key(user, id), seq);
  }

  private static String key(String user, String id) {
    return user + '\u0000' + id;
  }
}

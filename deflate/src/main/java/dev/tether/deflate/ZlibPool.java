package dev.tether.deflate;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Raw (no zlib header) {@link Deflater}s and {@link Inflater}s shared by every connection whose
 * messages are compressed without context takeover: such a connection needs one only while it
 * compresses or inflates a message, so a few per core serve any number of connections, instead of
 * ~300 KB of zlib state held by each. Idle ones beyond the bound are ended. Thread-safe.
 */
final class ZlibPool {
  private static final Map<Integer, ZlibPool> BY_LEVEL = new ConcurrentHashMap<>();
  private static final Inflaters INFLATERS = new Inflaters(maxIdle());

  private final int level;
  private final int maxIdle;
  private final ConcurrentLinkedQueue<Deflater> idle = new ConcurrentLinkedQueue<>();
  private final AtomicInteger idleCount = new AtomicInteger();

  private ZlibPool(int level, int maxIdle) {
    this.level = level;
    this.maxIdle = maxIdle;
  }

  private static int maxIdle() {
    return 4 * Runtime.getRuntime().availableProcessors();
  }

  /** The deflater pool for compression {@code level}. */
  static ZlibPool forLevel(int level) {
    return BY_LEVEL.computeIfAbsent(level, l -> new ZlibPool(l, maxIdle()));
  }

  static Inflaters inflaters() {
    return INFLATERS;
  }

  int level() {
    return level;
  }

  Deflater takeDeflater() {
    Deflater d = idle.poll();
    if (d == null) {
      return new Deflater(level, true);
    }
    idleCount.decrementAndGet();
    return d;
  }

  /** Takes back {@code d}, which the caller no longer touches; reset here. */
  void giveBack(Deflater d) {
    d.reset();
    if (idleCount.incrementAndGet() <= maxIdle) {
      idle.offer(d);
    } else {
      idleCount.decrementAndGet();
      d.end();
    }
  }

  int idleDeflaters() {
    return idleCount.get();
  }

  /** The raw inflaters: one pool, as inflating does not depend on the level. */
  static final class Inflaters {
    private final int maxIdle;
    private final ConcurrentLinkedQueue<Inflater> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger idleCount = new AtomicInteger();

    private Inflaters(int maxIdle) {
      this.maxIdle = maxIdle;
    }

    Inflater take() {
      Inflater i = idle.poll();
      if (i == null) {
        return new Inflater(true);
      }
      idleCount.decrementAndGet();
      return i;
    }

    void giveBack(Inflater i) {
      i.reset();
      if (idleCount.incrementAndGet() <= maxIdle) {
        idle.offer(i);
      } else {
        idleCount.decrementAndGet();
        i.end();
      }
    }
  }
}

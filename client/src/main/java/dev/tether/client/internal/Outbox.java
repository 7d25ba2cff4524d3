package dev.tether.client.internal;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.WireRules;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Messages waiting to go, in send order: text and binary frames until they are written, envelopes
 * until the server acknowledges them (so that they can be written again on the next connection).
 * Bounded by a message count and a byte count. Not thread-safe: guarded by the socket's lock.
 */
final class Outbox {

  /** One waiting message. Exactly one of text, bytes, envelope is set. */
  static final class Entry {
    final String text;
    final ByteBuffer bytes;
    final Envelope envelope;
    /** For envelopes, the encoded frame, written on every connection until acked. */
    final String encoded;
    final CompletableFuture<Ack> future;
    final long size;
    /** True while written on the current connection and not refused: SENT. */
    boolean written;
    /**
     * True once numbered on the current connection (sender order): it is written there, or waits
     * there to be written again after a refusal (then {@code written} is false: QUEUED).
     */
    boolean counted;
    /**
     * Orders first writes: 0 until the entry is first written, then a number larger than that of
     * every entry written before it. Writing it again is a resend.
     */
    long firstSent;
    /** When it was last written, in scheduler nanos; for the ack timeout and RTT. */
    long writtenAt;
    /** When it was first written ({@code firstSent} set), in scheduler nanos; for the ack latency. */
    long firstWrittenAt;
    /** How often it was refused {@code not_member} in a room the client is in, and written again. */
    int membershipRepairs;
    /** When it expires, in scheduler nanos; {@code Long.MAX_VALUE} for never. */
    long expiresAt = Long.MAX_VALUE;

    private Entry(String text, ByteBuffer bytes, Envelope envelope, String encoded,
        CompletableFuture<Ack> future, long size) {
      this.text = text;
      this.bytes = bytes;
      this.envelope = envelope;
      this.encoded = encoded;
      this.future = future;
      this.size = size;
    }

    static Entry text(String text) {
      return new Entry(text, null, null, null, null, WireRules.utf8Length(text));
    }

    static Entry binary(ByteBuffer copy) {
      return new Entry(null, copy, null, null, null, copy.remaining());
    }

    static Entry envelope(Envelope envelope, String encoded, CompletableFuture<Ack> future) {
      return new Entry(null, null, envelope, encoded, future, WireRules.utf8Length(encoded));
    }
  }

  private final int maxMessages;
  private final long maxBytes;
  /**
   * Keyed by envelope id for envelopes, by a unique Object for other frames; insertion-ordered.
   * Null until the first entry: most sockets are idle most of the time.
   */
  private LinkedHashMap<Object, Entry> entries;
  private long bytes;

  Outbox(int maxMessages, long maxBytes) {
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
  }

  /** Why {@code entry} does not fit, or null if it does. */
  String refusal(Entry entry) {
    if (size() >= maxMessages) {
      return "outbox full: " + size() + " messages waiting (max " + maxMessages + ")";
    }
    if (bytes + entry.size > maxBytes) {
      return "outbox full: " + bytes + " bytes waiting + " + entry.size + " > max " + maxBytes;
    }
    return null;
  }

  /** The waiting envelope with {@code id}, or null. */
  Entry envelope(String id) {
    return entries == null ? null : entries.get(id);
  }

  /** The oldest entry written on the current connection, or null. */
  Entry firstWritten() {
    if (entries == null) {
      return null;
    }
    for (Entry e : entries.values()) {
      if (e.written) {
        return e;
      }
    }
    return null;
  }

  /** Adds {@code entry} at the end; the caller checked {@link #refusal}. */
  void add(Entry entry) {
    if (entries == null) {
      entries = new LinkedHashMap<>();
    }
    entries.put(entry.envelope != null ? entry.envelope.id() : new Object(), entry);
    bytes += entry.size;
  }

  /** Removes and returns the envelope with {@code id}, or null. */
  Entry removeEnvelope(String id) {
    Entry e = entries == null ? null : entries.remove(id);
    if (e != null) {
      bytes -= e.size;
    }
    return e;
  }

  /** Visits every entry in order; the visitor returns true to remove the entry. */
  void forEach(java.util.function.Predicate<Entry> visitor) {
    if (entries == null) {
      return;
    }
    Iterator<Entry> it = entries.values().iterator();
    while (it.hasNext()) {
      Entry e = it.next();
      if (visitor.test(e)) {
        it.remove();
        bytes -= e.size;
      }
    }
  }

  /** Removes the text and binary frames in {@code taken} (they were written and are forgotten). */
  void removeFrames(java.util.Collection<Entry> taken) {
    java.util.Set<Entry> frames = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (Entry e : taken) {
      if (e.envelope == null) {
        frames.add(e);
      }
    }
    if (!frames.isEmpty()) {
      forEach(frames::contains);
    }
  }

  /** Removes and returns everything, in order. */
  List<Entry> drain() {
    if (entries == null) {
      return new ArrayList<>();
    }
    List<Entry> all = new ArrayList<>(entries.values());
    entries.clear();
    bytes = 0;
    return all;
  }

  int size() {
    return entries == null ? 0 : entries.size();
  }

  /** True if no entry was ever added, so no map was made. For tests. */
  boolean holdsNoMap() {
    return entries == null;
  }

  long bytes() {
    return bytes;
  }
}

package dev.tether.client.internal;

import java.net.URI;
import java.util.List;

/**
 * Which of a socket's URIs the next connection attempt goes to, and when a round of them has
 * failed. A failed attempt or a lost connection moves to the next URI in turn, at once, until every
 * URI still in the rotation has failed since the round began: then the round is over and the
 * socket backs off (one backoff step per round). A round begins after each backoff wait, after the
 * network comes back, and when a connection proves itself by carrying a frame from the server. A
 * connection that opens and ends without a word from the server (a node that accepts and closes at
 * once) does not start a new round, so two such nodes cannot make the client reconnect in a loop
 * without waiting.
 *
 * <p>A URI whose attempt failed for good (HTTP 401, 403, 404, an untrusted certificate) leaves the
 * rotation; when none is left the socket stops.
 *
 * <p>With one URI every failure ends a round, which is the single-URI client's backoff.
 *
 * <p>Threads: guarded by the socket's lock, except {@link #current()}, which any thread may read.
 */
final class UriRotation {
  /** What the socket does after a failure. */
  enum Next {
    /** Try {@link #current()} now: some URI of this round has not failed yet. */
    NOW,
    /** Every URI of this round failed: back off, then try {@link #current()}. */
    AFTER_BACKOFF,
    /** Every URI failed for good: stop. */
    NONE_LEFT
  }

  /** Flag in {@link #flags}: the URI failed for good. */
  private static final byte EXCLUDED = 1;
  /** Flag in {@link #flags}: a connection opened on the URI, at some time. */
  private static final byte OPENED = 2;
  /** Flag in {@link #flags}: the URI failed since the round began. */
  private static final byte FAILED_THIS_ROUND = 4;

  private final List<URI> uris;
  /** Guarded by lock: the flags of each URI (one array, not one per flag: every client has one). */
  private final byte[] flags;
  /** Index of the URI in use or to be tried next; written under lock, read anywhere. */
  private volatile int current;

  /** @param uris distinct, at least one; the first is tried first */
  UriRotation(List<URI> uris) {
    if (uris.isEmpty()) {
      throw new IllegalArgumentException("no URIs");
    }
    this.uris = List.copyOf(uris);
    this.flags = new byte[uris.size()];
  }

  /** The URI in use, or to be tried next. Any thread. */
  URI current() {
    return uris.get(current);
  }

  /** Every URI, in the order given. */
  List<URI> all() {
    return uris;
  }

  int size() {
    return uris.size();
  }

  /** A connection to {@code uri} opened. */
  void opened(URI uri) {
    flags[uris.indexOf(uri)] |= OPENED;
  }

  /** True if a connection to {@code uri} opened before: a final answer from it may be a restart. */
  boolean openedBefore(URI uri) {
    int i = uris.indexOf(uri);
    return i >= 0 && is(i, OPENED);
  }

  /** The connection to the current URI carried a frame from the server: the next failure begins a round. */
  void answered() {
    newRound();
  }

  /** A new round: after a backoff wait, or when the network came back. */
  void newRound() {
    for (int i = 0; i < flags.length; i++) {
      flags[i] &= ~FAILED_THIS_ROUND;
    }
  }

  /**
   * The attempt at, or the connection to, the current URI failed; moves to the next URI in the
   * rotation.
   *
   * @param forGood the URI leaves the rotation (a final answer to the handshake)
   */
  Next failed(boolean forGood) {
    int failed = current;
    flags[failed] |= forGood ? FAILED_THIS_ROUND | EXCLUDED : FAILED_THIS_ROUND;
    int next = following(failed);
    if (next < 0) {
      return Next.NONE_LEFT;
    }
    current = next;
    for (int i = 0; i < uris.size(); i++) {
      if (!is(i, EXCLUDED) && !is(i, FAILED_THIS_ROUND)) {
        return Next.NOW;
      }
    }
    newRound();
    return Next.AFTER_BACKOFF;
  }

  /** The next URI after {@code from} still in the rotation, {@code from} itself last; -1 if none. */
  private int following(int from) {
    for (int step = 1; step <= uris.size(); step++) {
      int i = (from + step) % uris.size();
      if (!is(i, EXCLUDED)) {
        return i;
      }
    }
    return -1;
  }

  private boolean is(int i, byte flag) {
    return (flags[i] & flag) != 0;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("UriRotation{");
    for (int i = 0; i < uris.size(); i++) {
      s.append(i == 0 ? "" : ", ").append(i == current ? "*" : "").append(HandshakeFailures.redacted(uris.get(i)))
          .append(is(i, EXCLUDED) ? " (out)" : is(i, FAILED_THIS_ROUND) ? " (failed)" : "");
    }
    return s.append('}').toString();
  }
}

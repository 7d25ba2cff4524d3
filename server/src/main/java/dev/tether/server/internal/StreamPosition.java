package dev.tether.server.internal;

/**
 * Where one member stands in its room's stream: the epoch, and the seq of the newest chat queued
 * to it; and where an offered chat stands against that. A chat of the member's epoch is delivered
 * if it is the next seq, dropped if the member has it, and a hole if it is further on. A chat of
 * another epoch with seq 1 starts a new stream (the store started the room anew while the member
 * stayed): the position moves to 0 of that epoch and the chat is delivered. One of another epoch
 * with a higher seq cannot be placed: a hole.
 *
 * <p>Not thread-safe: guarded by the monitor of the {@link Subscription} that owns it (its
 * {@link Replay} moves it under that monitor too).
 */
final class StreamPosition {
  /** What to do with an offered chat. */
  enum Admit { DROP, DELIVER, HOLE }

  /** Null until the member's first store read. */
  private String epoch;
  private long seq;

  String epoch() {
    return epoch;
  }

  long seq() {
    return seq;
  }

  /** The member now has everything of stream {@code epoch} up to {@code seq}. */
  void moveTo(String epoch, long seq) {
    this.epoch = epoch;
    this.seq = seq;
  }

  /** Whether the member has the chat {@code seq} of {@code chatEpoch} already. */
  boolean has(long seq, String chatEpoch) {
    return chatEpoch.equals(epoch) && seq <= this.seq;
  }

  /**
   * Where an offered chat of {@code chatEpoch} and {@code seq} stands, moving the position on for
   * a chat to deliver. Requires a known epoch.
   */
  Admit admit(long seq, String chatEpoch) {
    if (!chatEpoch.equals(epoch)) {
      if (seq != 1) {
        return Admit.HOLE;
      }
      // The store started the room anew while this member stayed: a new stream, from its start.
      epoch = chatEpoch;
      this.seq = 0;
    }
    if (seq <= this.seq) {
      return Admit.DROP;
    }
    if (seq == this.seq + 1) {
      this.seq = seq;
      return Admit.DELIVER;
    }
    return Admit.HOLE;
  }
}

package dev.tether.server.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One chat of a {@link MemoryRoomStore} room's history, shared by the room's ring and the store's
 * {@link HistoryBudget}. Whichever of the two drops it first {@linkplain #release() releases} it:
 * the frame is then garbage at once and the bytes are counted off exactly once. It holds the frame
 * itself; a history read makes the {@code StoredChat} it returns. Thread-safe.
 */
final class HeldChat {
  private static final VarHandle FRAME;

  static {
    try {
      FRAME = MethodHandles.lookup().findVarHandle(HeldChat.class, "frame", String.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final long seq;
  /** The frame's UTF-8 length. */
  final long bytes;
  /** The chat's text frame; null once released. */
  private volatile String frame;

  HeldChat(long seq, String frame, long bytes) {
    this.seq = seq;
    this.bytes = bytes;
    this.frame = frame;
  }

  /** The chat's frame, or null if it has been released. */
  String frame() {
    return frame;
  }

  /** Drops the chat; true for the one caller that dropped it, which counts its bytes off. */
  boolean release() {
    String f = frame;
    return f != null && FRAME.compareAndSet(this, f, null);
  }
}

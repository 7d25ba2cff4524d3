package dev.tether.server.internal;

import dev.tether.server.RoomStore.StoredChat;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One chat of a {@link MemoryRoomStore} room's history, shared by the room's ring and the store's
 * {@link HistoryBudget}. Whichever of the two drops it first {@linkplain #release() releases} it:
 * the frame is then garbage at once and the bytes are counted off exactly once. Thread-safe.
 */
final class HeldChat {
  private static final VarHandle CHAT;

  static {
    try {
      CHAT = MethodHandles.lookup().findVarHandle(HeldChat.class, "chat", StoredChat.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final long seq;
  /** The frame's UTF-8 length. */
  final long bytes;
  /** Null once released. */
  private volatile StoredChat chat;

  HeldChat(StoredChat chat, long bytes) {
    this.seq = chat.seq();
    this.bytes = bytes;
    this.chat = chat;
  }

  /** The chat, or null if it has been released. */
  StoredChat chat() {
    return chat;
  }

  /** Drops the chat; true for the one caller that dropped it, which counts its bytes off. */
  boolean release() {
    StoredChat c = chat;
    return c != null && CHAT.compareAndSet(this, c, null);
  }
}

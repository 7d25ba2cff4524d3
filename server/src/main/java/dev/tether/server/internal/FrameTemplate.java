package dev.tether.server.internal;

import dev.tether.server.RoomStore;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A chat's frame with two holes, for its seq and its epoch, which only the store knows once it
 * has taken the chat: {@link RedisRoomStore}'s chat script fills them in Redis, so that the frame
 * is stored and published in the same atomic step that picks the seq. Found by rendering the
 * {@link RoomStore.Draft} with random stand-ins and checked with a second pair, so any renderer
 * that writes the seq (in decimal) and the epoch once each, verbatim, works. Immutable.
 *
 * @param head the text before the first hole
 * @param mid the text between the holes
 * @param tail the text after the second hole
 * @param seqFirst whether the seq's hole comes first
 */
record FrameTemplate(String head, String mid, String tail, boolean seqFirst) {
  private static final char[] EPOCH_CHARS =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  /**
   * The template of {@code draft}'s frame.
   *
   * @throws IllegalArgumentException if the frame does not write the seq and epoch once each, verbatim
   */
  static FrameTemplate of(RoomStore.Draft draft) {
    for (int attempt = 0; attempt < 3; attempt++) {
      FrameTemplate t = find(draft);
      if (t != null) {
        long seq = standInSeq();
        String epoch = standInEpoch();
        if (t.render(seq, epoch).equals(draft.frame(seq, epoch))) {
          return t;
        }
      }
    }
    throw new IllegalArgumentException(
        "the chat's frame must contain its seq and its epoch once each, verbatim, to be stored in Redis: " + draft);
  }

  private static FrameTemplate find(RoomStore.Draft draft) {
    long seq = standInSeq();
    String epoch = standInEpoch();
    String frame = draft.frame(seq, epoch);
    String s = Long.toString(seq);
    int i = frame.indexOf(s);
    int j = frame.indexOf(epoch);
    if (i < 0 || j < 0 || frame.indexOf(s, i + 1) >= 0 || frame.indexOf(epoch, j + 1) >= 0) {
      return null;
    }
    if (i < j && i + s.length() <= j) {
      return new FrameTemplate(frame.substring(0, i), frame.substring(i + s.length(), j),
          frame.substring(j + epoch.length()), true);
    }
    if (j < i && j + epoch.length() <= i) {
      return new FrameTemplate(frame.substring(0, j), frame.substring(j + epoch.length(), i),
          frame.substring(i + s.length()), false);
    }
    return null;
  }

  /** The frame with {@code seq} and {@code epoch} filled in, exactly as the chat script does. */
  String render(long seq, String epoch) {
    String s = Long.toString(seq);
    return seqFirst ? head + s + mid + epoch + tail : head + epoch + mid + s + tail;
  }

  private static long standInSeq() {
    return ThreadLocalRandom.current().nextLong(1_000_000_000_000_000_000L, Long.MAX_VALUE);
  }

  private static String standInEpoch() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] chars = new char[20];
    for (int i = 0; i < chars.length; i++) {
      chars[i] = EPOCH_CHARS[random.nextInt(EPOCH_CHARS.length)];
    }
    return new String(chars);
  }
}

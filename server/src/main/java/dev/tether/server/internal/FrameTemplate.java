package dev.tether.server.internal;

import dev.tether.server.RoomStore;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A chat's frame with holes for its seq and its epoch, which only the store knows once it has
 * taken the chat: {@link RedisRoomStore}'s chat script fills them in Redis, so that the frame is
 * stored and published in the same atomic step that picks the seq. Found by rendering with random
 * stand-ins and checked with stand-ins of other lengths, so a renderer that writes the seq (in
 * decimal) and the epoch verbatim, at most once each, gets one. Immutable.
 *
 * @param head the text before the first hole
 * @param mid the text between the holes (after the only hole, if there is one)
 * @param tail the text after the second hole
 * @param layout the holes in order: {@code "se"}, {@code "es"}, {@code "s"}, {@code "e"}, or
 *     {@code ""} (the frame is {@code head})
 */
record FrameTemplate(String head, String mid, String tail, String layout) {
  private static final char[] EPOCH_CHARS =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  /** The template of {@code renderer}'s frames, or null if it does not write them that way. */
  static FrameTemplate of(RoomStore.FrameRenderer renderer) {
    for (int attempt = 0; attempt < 3; attempt++) {
      FrameTemplate t = find(renderer);
      if (t != null && t.matches(renderer, randomLong(1_000_000L, 10_000_000L), epoch(11))
          && t.matches(renderer, randomLong(1, 10), epoch(16))) {
        return t;
      }
    }
    return null;
  }

  private boolean matches(RoomStore.FrameRenderer renderer, long seq, String epoch) {
    return render(seq, epoch).equals(renderer.render(seq, epoch));
  }

  private static FrameTemplate find(RoomStore.FrameRenderer renderer) {
    long seq = randomLong(1_000_000_000_000_000_000L, Long.MAX_VALUE);
    String epoch = epoch(20);
    String frame = renderer.render(seq, epoch);
    String s = Long.toString(seq);
    int i = frame.indexOf(s);
    int j = frame.indexOf(epoch);
    if ((i >= 0 && frame.indexOf(s, i + 1) >= 0) || (j >= 0 && frame.indexOf(epoch, j + 1) >= 0)) {
      return null;
    }
    if (i >= 0 && j >= 0) {
      if (i < j && i + s.length() <= j) {
        return new FrameTemplate(frame.substring(0, i), frame.substring(i + s.length(), j),
            frame.substring(j + epoch.length()), "se");
      }
      if (j < i && j + epoch.length() <= i) {
        return new FrameTemplate(frame.substring(0, j), frame.substring(j + epoch.length(), i),
            frame.substring(i + s.length()), "es");
      }
      return null;
    }
    if (i >= 0) {
      return new FrameTemplate(frame.substring(0, i), frame.substring(i + s.length()), "", "s");
    }
    if (j >= 0) {
      return new FrameTemplate(frame.substring(0, j), frame.substring(j + epoch.length()), "", "e");
    }
    return new FrameTemplate(frame, "", "", "");
  }

  /** The frame with {@code seq} and {@code epoch} filled in, exactly as the chat script does. */
  String render(long seq, String epoch) {
    String s = Long.toString(seq);
    return switch (layout) {
      case "se" -> head + s + mid + epoch + tail;
      case "es" -> head + epoch + mid + s + tail;
      case "s" -> head + s + mid;
      case "e" -> head + epoch + mid;
      default -> head;
    };
  }

  private static long randomLong(long from, long to) {
    return ThreadLocalRandom.current().nextLong(from, to);
  }

  private static String epoch(int length) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] chars = new char[length];
    for (int i = 0; i < chars.length; i++) {
      chars[i] = EPOCH_CHARS[random.nextInt(EPOCH_CHARS.length)];
    }
    return new String(chars);
  }
}

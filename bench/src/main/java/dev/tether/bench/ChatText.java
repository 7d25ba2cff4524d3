package dev.tether.bench;

import java.util.SplittableRandom;

/**
 * Chat messages as people write them, for the compression bench: sentences of common words with
 * names, numbers, a link now and then, punctuation and the odd emoji, of a chosen length in UTF-8
 * bytes. Seeded, so every run compresses the same text.
 */
final class ChatText {
  private static final String[] WORDS = ("the a to and of in is it you that for on we this be with are have"
      + " not at was will can just so what about if do my me your get all one there out up time think know"
      + " meeting tomorrow today review deploy build release branch merge test failed passed server client"
      + " customer ticket issue fix bug call later lunch coffee thanks please sorry great sounds good ok yes"
      + " no maybe because after before morning afternoon friday monday week next last back link doc slides"
      + " numbers budget plan team schedule moved room lobby update latest version notes agenda").split(" ");
  private static final String[] NAMES = {"Alice", "Bob", "Carol", "Dmitri", "Eve", "François", "Grace", "Hiro",
      "Ines", "Jonas"};
  private static final String[] EXTRAS = {"👍", "🙂", "😂", "🎉", "déjà vu", "naïve", "façade", "—"};

  private final SplittableRandom random;

  ChatText(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /** A message of about {@code bytes} UTF-8 bytes (within a few bytes, never more than 8 over). */
  String next(int bytes) {
    StringBuilder b = new StringBuilder(bytes + 16);
    int utf8 = 0;
    boolean sentenceStart = true;
    while (utf8 < bytes) {
      String word = pick();
      if (sentenceStart) {
        word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
      }
      sentenceStart = false;
      b.append(word);
      int r = random.nextInt(20);
      String sep = r == 0 ? ". " : r == 1 ? ", " : r == 2 ? "? " : r == 3 ? "! " : " ";
      sentenceStart = r <= 3 && r != 1;
      b.append(sep);
      utf8 += utf8Length(word) + sep.length();
    }
    return b.toString().trim();
  }

  private String pick() {
    int r = random.nextInt(100);
    if (r < 4) {
      return NAMES[random.nextInt(NAMES.length)];
    }
    if (r < 6) {
      return Integer.toString(random.nextInt(10_000));
    }
    if (r < 7) {
      return "https://docs.example.com/d/" + Long.toHexString(random.nextLong()).substring(0, 10);
    }
    if (r < 9) {
      return EXTRAS[random.nextInt(EXTRAS.length)];
    }
    return WORDS[random.nextInt(WORDS.length)];
  }

  static int utf8Length(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }
}

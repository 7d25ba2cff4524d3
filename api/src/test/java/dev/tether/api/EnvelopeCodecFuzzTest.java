package dev.tether.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Hostile input for {@link EnvelopeCodec#decode}: whatever the text, decoding returns a value or
 * throws {@link MalformedEnvelopeException}, never another exception and never slowly. Each try
 * runs on a helper thread and fails if it takes longer than {@link #PER_TRY_SECONDS}. Plus the
 * round trip: for any envelope, ack or error, {@code encode(decode(encode(w)))} is
 * {@code encode(w)}.
 *
 * <p>The randomized tests are plain JUnit tests that loop over inputs from a {@link SplittableRandom}.
 * Each test's seed is derived from its name, so every run sees the same inputs; try {@code i} uses
 * its own generator seeded from the test's seed and {@code i}. A failing try reports the seed, the
 * try number and the input. {@code -Dtether.fuzz.seed=N} runs every test with seed {@code N}
 * instead, for example to explore inputs beyond the fixed ones.
 */
class EnvelopeCodecFuzzTest {
  private static final long PER_TRY_SECONDS = 5;
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();
  private static final ExecutorService DECODER = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "codec-fuzz-decoder");
    t.setDaemon(true);
    return t;
  });
  /** Text that looks like JSON often enough to get past the first character. */
  private static final String JSON_ALPHABET = "{}[]\":,0123456789.eE+- \\/untrfalsybcdhijkmopqvwxz\t\n";
  private static final String ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  private static final String ALPHANUMERIC = ALPHA + "0123456789";
  /** Characters that JSON escapes or treats specially, and invisible Unicode oddities. */
  private static final String SPECIAL_CHARS =
      "\"\\/{}[]:,\u0000\u0001\u0008\t\n\f\r\u001f\u007f\u0085\u00a0\u2028\u2029\ufeff\ufffd\ufffe\uffff";
  /** Strings a random generator rarely produces but that often break things. */
  private static final List<String> EDGE_STRINGS = List.of(
      "", " ", "\u0000", "\uD800", "\uDBFF", "\uDC00", "\uDFFF", "\uDC00\uD800", "\uD83D\uDE00",
      "\uFFFF", "\uFEFF", "\"", "\\", "\\u0000", "null", "{}", "[]", "\u2028", "é", "e\u0301");
  private static final List<String> HUGE_NUMBERS = List.of(
      "1e400", "-1e400", "99999999999999999999999", "-99999999999999999999999", "9223372036854775808",
      "18446744073709551616", "1E+2147483648", "1e-400", "0.5", "-0", "-1", "1.0", "NaN", "Infinity",
      "0x10", "007", "1" + "0".repeat(1_200), "9".repeat(100_000));
  private static final List<String> COUNT_FRAMES = List.of(
      "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"seq\":N,\"body\":{\"text\":\"t\"}}",
      "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"ts\":N,\"body\":{\"text\":\"t\"}}",
      "{\"type\":\"resume\",\"id\":\"r\",\"room\":\"r\",\"after\":N}",
      "{\"type\":\"ack\",\"id\":\"a\",\"seq\":N}",
      "{\"type\":\"error\",\"code\":\"history_gap\",\"message\":\"m\",\"room\":\"r\",\"first\":N,\"last\":5}",
      "{\"type\":\"error\",\"code\":\"history_gap\",\"message\":\"m\",\"room\":\"r\",\"first\":1,\"last\":N}",
      "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"body\":{\"text\":\"t\"},\"n\":N}",
      "{\"type\":\"error\",\"id\":\"c\",\"code\":\"out_of_order\",\"message\":\"m\",\"n\":9,\"expected\":N}",
      "{\"type\":\"error\",\"id\":\"c\",\"code\":\"rate_limited\",\"message\":\"m\",\"n\":N,\"retry_after\":5}",
      "{\"type\":\"error\",\"id\":\"c\",\"code\":\"rate_limited\",\"message\":\"m\",\"retry_after\":N}");
  /** A marker ([ or {) for the kind of nesting, then a frame with X where the nesting goes. */
  private static final List<String> NESTING_SPOTS = nestingSpots();
  private static final List<String> INSERTIONS =
      List.of("\uFFFD", "\u0000", "\uD800", "1e400", "99999999999999999999999", "null");

  @AfterAll
  static void stopDecoder() {
    DECODER.shutdownNow();
  }

  // --- decode never fails with anything but MalformedEnvelopeException ---

  @Test
  void anyStringDecodesOrIsRefused(TestInfo info) {
    forAll(info, 2_000, r -> anyString(r, 0, 255), s -> s, EnvelopeCodecFuzzTest::assertDecodesOrRefuses);
  }

  @Test
  void anyJsonLookingObjectDecodesOrIsRefused(TestInfo info) {
    forAll(info, 2_000, r -> "{" + jsonish(r, 0, 200), s -> s, EnvelopeCodecFuzzTest::assertDecodesOrRefuses);
  }

  @Test
  void truncatedFramesDecodeOrAreRefused(TestInfo info) {
    forAll(info, 1_000, r -> {
      String frame = CODEC.encode(wire(r));
      int cut = intUpTo(r, 10_000);
      return frame.substring(0, cut % (frame.length() + 1));
    }, s -> s, EnvelopeCodecFuzzTest::assertDecodesOrRefuses);
  }

  @Test
  void mutatedFramesDecodeOrAreRefused(TestInfo info) {
    forAll(info, 2_000, EnvelopeCodecFuzzTest::mutatedFrame, Mutated::toString,
        m -> assertDecodesOrRefuses(m.text()));
  }

  @Test
  void hugeNumbersInCountFieldsAreRefused(TestInfo info) {
    forAll(info, 300, r -> pick(r, COUNT_FRAMES).replace("N", hugeNumber(r)), s -> s,
        EnvelopeCodecFuzzTest::assertDecodesOrRefuses);
  }

  @Test
  void hugeNumbersInTheBodyDecodeOrAreRefused(TestInfo info) {
    forAll(info, 200, EnvelopeCodecFuzzTest::hugeNumber, s -> s, number -> assertDecodesOrRefuses(
        "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"body\":{\"text\":\"t\",\"n\":" + number + "}}"));
  }

  @Test
  void deepNestingIsRefusedQuickly(TestInfo info) {
    // Every spot gets the deepest nesting once, then random depths; 30 tries as before.
    int spots = NESTING_SPOTS.size();
    forAllIndexed(info, 30, (r, i) -> {
      String spot = i < spots ? NESTING_SPOTS.get(i) : pick(r, NESTING_SPOTS);
      int depth = i < spots ? 20_000 : intBetween(r, 1, 20_000);
      String open = spot.startsWith("[") ? "[" : "{\"a\":";
      String close = spot.startsWith("[") ? "]" : "}";
      String nested = open.repeat(depth) + "1" + close.repeat(depth);
      return spot.substring(1).replace("X", nested);
    }, s -> s, EnvelopeCodecFuzzTest::assertDecodesOrRefuses);
  }

  @Test
  void tenThousandLevelsOfNestingAreRefusedAsMalformed() {
    String deepArray = "[".repeat(10_000) + "]".repeat(10_000);
    String deepBody = "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"body\":{\"text\":\"t\",\"x\":"
        + "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000) + "}}";
    String unclosed = "{\"a\":".repeat(10_000);
    for (String text : List.of(deepArray, deepBody, unclosed, "{\"type\":" + deepArray + "}")) {
      assertThat(decodeWithin(text)).as("decoding %s", abbreviate(text))
          .isInstanceOf(MalformedEnvelopeException.class);
    }
  }

  @Test
  void canonicalHugeNumbersAreRefusedNamingTheField() {
    for (String field : List.of("seq", "ts")) {
      for (String number : List.of("1e400", "99999999999999999999999")) {
        Object outcome = decodeWithin(
            "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"" + field + "\":" + number
                + ",\"body\":{\"text\":\"t\"}}");
        assertThat(outcome).isInstanceOf(MalformedEnvelopeException.class);
        assertThat(((Exception) outcome).getMessage()).contains("'" + field + "'");
      }
    }
    Object after = decodeWithin("{\"type\":\"resume\",\"id\":\"r\",\"room\":\"r\",\"after\":1e400}");
    assertThat(after).isInstanceOf(MalformedEnvelopeException.class);
    assertThat(((Exception) after).getMessage()).contains("'after'");
    Object first = decodeWithin("{\"type\":\"error\",\"code\":\"history_gap\",\"message\":\"m\","
        + "\"room\":\"r\",\"first\":99999999999999999999999,\"last\":1}");
    assertThat(first).isInstanceOf(MalformedEnvelopeException.class);
    assertThat(((Exception) first).getMessage()).contains("'first'");
    Object last = decodeWithin("{\"type\":\"error\",\"code\":\"history_gap\",\"message\":\"m\","
        + "\"room\":\"r\",\"first\":1,\"last\":1e400}");
    assertThat(last).isInstanceOf(MalformedEnvelopeException.class);
    assertThat(((Exception) last).getMessage()).contains("'last'");
    for (String field : List.of("n", "expected", "retry_after")) {
      Object outcome = decodeWithin("{\"type\":\"error\",\"id\":\"c\",\"code\":\"x\",\"message\":\"m\",\""
          + field + "\":99999999999999999999999}");
      assertThat(outcome).isInstanceOf(MalformedEnvelopeException.class);
      assertThat(((Exception) outcome).getMessage()).contains("'" + field + "'");
    }
    Object n = decodeWithin("{\"type\":\"join\",\"id\":\"j\",\"room\":\"r\",\"n\":1e400}");
    assertThat(n).isInstanceOf(MalformedEnvelopeException.class);
    assertThat(((Exception) n).getMessage()).contains("'n'");
  }

  @Test
  void longStringsDecodeOrAreRefused() {
    String megabyte = "x".repeat(1 << 20);
    Object ok = decodeWithin("{\"type\":\"chat\",\"id\":\"" + megabyte + "\",\"room\":\"r\",\"body\":{\"text\":\""
        + megabyte + "\"}}");
    assertThat(ok).isInstanceOf(Envelope.class);
    // Past Jackson's default maximum string length (20,000,000 chars).
    String huge = "y".repeat(25_000_000);
    assertDecodesOrRefuses("{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"body\":{\"text\":\"" + huge + "\"}}");
    assertDecodesOrRefuses("{\"type\":\"" + huge + "\"}");
    assertDecodesOrRefuses("{\"" + huge + "\":1}");
  }

  // --- strictness: frames two peers could read differently are refused ---

  @Test
  void trailingContentAfterTheObjectIsRefused() {
    Object outcome = decodeWithin("{\"type\":\"join\",\"id\":\"c\",\"room\":\"r\"} x");
    assertThat(outcome).isInstanceOf(MalformedEnvelopeException.class);
  }

  @Test
  void duplicateKeysAreRefusedNamingTheField() {
    Object outcome = decodeWithin("{\"type\":\"join\",\"id\":\"a\",\"id\":\"b\",\"room\":\"r\"}");
    assertThat(outcome).isInstanceOf(MalformedEnvelopeException.class);
    assertThat(((Exception) outcome).getMessage())
        .containsIgnoringCase("duplicate")
        .containsPattern("\\bid\\b");
  }

  @Test
  void ackWithAnEmptyIdIsRefused() {
    Object outcome = decodeWithin("{\"type\":\"ack\",\"id\":\"\",\"seq\":1}");
    assertThat(outcome).isInstanceOf(MalformedEnvelopeException.class);
    assertThat(((Exception) outcome).getMessage()).isEqualTo("field 'id' in ack is empty");
  }

  @Test
  void hugeFloatInTheBodyStaysANumber() {
    String frame = "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"body\":{\"text\":\"t\",\"n\":1e400}}";
    Object decoded = decodeWithin(frame);
    assertThat(decoded).isInstanceOf(Envelope.class);
    String encoded = CODEC.encode((Wire) decoded);
    assertThat(encoded)
        .containsAnyOf("\"n\":1E+400", "\"n\":1e400")
        .doesNotContain("Infinity");
    assertThat(CODEC.encode(CODEC.decode(encoded))).isEqualTo(encoded);
  }

  // --- round trip ---

  @Test
  void encodeDecodeEncodeIsStable(TestInfo info) {
    forAll(info, 2_000, EnvelopeCodecFuzzTest::wire, w -> w + " = " + CODEC.encode(w), wire -> {
      String once = CODEC.encode(wire);
      Wire decoded = CODEC.decode(once);
      assertThat(CODEC.encode(decoded)).isEqualTo(once);
    });
  }

  @Test
  void whatDecodesReEncodesToAFrameThatDecodesTheSame(TestInfo info) {
    forAll(info, 2_000, EnvelopeCodecFuzzTest::mutatedFrame, Mutated::toString,
        m -> assertReEncodesStably(m.text()));
  }

  @Test
  void bodiesWithHugeNumbersReEncodeStably(TestInfo info) {
    forAll(info, 200, EnvelopeCodecFuzzTest::hugeNumber, s -> s, number -> assertReEncodesStably(
        "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"body\":{\"text\":\"t\",\"n\":" + number + "}}"));
  }

  /** If {@code text} decodes, its encoding decodes to an equal value: what a server fans out. */
  private static void assertReEncodesStably(String text) {
    Object outcome = decodeWithin(text);
    if (!(outcome instanceof Wire decoded)) {
      return;
    }
    String encoded = CODEC.encode(decoded);
    Object again = decodeWithin(encoded);
    assertThat(again).as("re-decoding %s (from %s)", abbreviate(encoded), abbreviate(text))
        .isInstanceOf(Wire.class);
    assertThat(CODEC.encode((Wire) again)).isEqualTo(encoded);
  }

  // --- the try loop ---

  /** Makes try {@code i}'s input from its own generator. */
  @FunctionalInterface
  private interface Generator<T> {
    T next(SplittableRandom random, int tryIndex);
  }

  private static <T> void forAll(TestInfo info, int tries, Function<SplittableRandom, T> generator,
      Function<? super T, String> show, Consumer<? super T> property) {
    forAllIndexed(info, tries, (r, i) -> generator.apply(r), show, property);
  }

  /**
   * Runs {@code property} on {@code tries} generated inputs. Try {@code i} draws from
   * {@code new SplittableRandom(trySeed(seed, i))}; a failure names the seed, the try and the input.
   */
  private static <T> void forAllIndexed(TestInfo info, int tries, Generator<T> generator,
      Function<? super T, String> show, Consumer<? super T> property) {
    String test = info.getTestMethod().map(m -> m.getName()).orElse(info.getDisplayName());
    long seed = seedFor(test);
    for (int i = 0; i < tries; i++) {
      T input;
      try {
        input = generator.next(new SplittableRandom(trySeed(seed, i)), i);
      } catch (RuntimeException e) {
        throw new AssertionError(
            String.format("%s: generating try %d of %d (seed %d) failed: %s", test, i, tries, seed, e), e);
      }
      try {
        property.accept(input);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(String.format("%s: try %d of %d (seed %d) failed for input: %s%n%s",
            test, i, tries, seed, abbreviate(show.apply(input)), e.getMessage()), e);
      }
    }
  }

  /** The test's seed: {@code -Dtether.fuzz.seed} if set, else a hash of the test's name. */
  private static long seedFor(String test) {
    String override = System.getProperty("tether.fuzz.seed");
    if (override != null && !override.isBlank()) {
      return Long.parseLong(override.trim());
    }
    // String.hashCode is specified by the JLS, so the seed is the same on every JVM and run.
    return mix64((EnvelopeCodecFuzzTest.class.getSimpleName() + "#" + test).hashCode());
  }

  private static long trySeed(long seed, int tryIndex) {
    return mix64(seed + 0x9E3779B97F4A7C15L * (tryIndex + 1));
  }

  /** SplitMix64's finalizer: spreads nearby values over the whole range of longs. */
  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  // --- helpers ---

  /** Decodes on a helper thread; returns the value or the exception thrown. */
  private static Object decodeWithin(String text) {
    Future<Wire> f = DECODER.submit(() -> CODEC.decode(text));
    try {
      return f.get(PER_TRY_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      f.cancel(true);
      return fail("decode took longer than " + PER_TRY_SECONDS + " s for: " + abbreviate(text));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted");
    }
  }

  private static void assertDecodesOrRefuses(String text) {
    Object outcome = decodeWithin(text);
    if (outcome instanceof Throwable t && !(t instanceof MalformedEnvelopeException)) {
      throw new AssertionError("decode threw " + t + " for: " + abbreviate(text), t);
    }
    assertFastDecoderAgreesWithTheCarefulOne(text);
  }

  /**
   * Whatever the fast decoder accepts, the careful one accepts too, and reads the same (numbers
   * compared by value: the tree keeps a decimal without its trailing zeros): the two can never read
   * one frame differently.
   */
  private static void assertFastDecoderAgreesWithTheCarefulOne(String text) {
    EnvelopeCodec.Counted fast = FastDecoder.decode(text);
    if (fast == null) {
      return;
    }
    EnvelopeCodec.Counted careful;
    try {
      careful = CODEC.decodeTree(text);
    } catch (MalformedEnvelopeException e) {
      throw new AssertionError("the fast decoder read " + fast + " where the careful one refuses: "
          + e.getMessage() + " for: " + abbreviate(text), e);
    }
    assertThat(normalized(fast)).as("fast and careful decodes of %s", abbreviate(text)).isEqualTo(normalized(careful));
  }

  private static Object normalized(EnvelopeCodec.Counted counted) {
    if (counted.wire() instanceof Envelope e) {
      return List.of(new Envelope(e.type(), e.id(), e.room(), e.from(), e.seq(), e.ts(),
          Map.of("normalized", normalized(e.body())), e.epoch()), counted.n());
    }
    return counted;
  }

  private static Object normalized(Object value) {
    if (value instanceof BigDecimal d) {
      return d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
    }
    if (value instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      m.forEach((k, v) -> out.put(k, normalized(v)));
      return out;
    }
    if (value instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(v -> out.add(normalized(v)));
      return out;
    }
    return value;
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "... (" + s.length() + " chars)";
  }

  // --- generators ---

  private static <T> T pick(SplittableRandom r, List<T> values) {
    return values.get(r.nextInt(values.size()));
  }

  private static int intBetween(SplittableRandom r, int min, int max) {
    // Bounds now and then, as they are where things break.
    int roll = r.nextInt(20);
    if (roll == 0) {
      return min;
    }
    if (roll == 1) {
      return max;
    }
    return r.nextInt(min, max + 1);
  }

  private static int intUpTo(SplittableRandom r, int max) {
    return intBetween(r, 0, max);
  }

  /** A length in {@code min..max}, mostly short, sometimes up to {@code max}. */
  private static int length(SplittableRandom r, int min, int max) {
    int roll = r.nextInt(100);
    int cap = roll < 50 ? Math.min(max, min + 8) : roll < 85 ? Math.min(max, min + 40) : max;
    return r.nextInt(min, cap + 1);
  }

  /**
   * Any string of {@code min..max} chars (UTF-16 units): ASCII, JSON-significant and control
   * characters, the rest of the BMP, surrogate pairs, lone surrogates and a few edge cases.
   */
  private static String anyString(SplittableRandom r, int min, int max) {
    if (r.nextInt(20) == 0) {
      String edge = pick(r, EDGE_STRINGS);
      if (edge.length() >= min && edge.length() <= max) {
        return edge;
      }
    }
    int n = length(r, min, max);
    StringBuilder sb = new StringBuilder(n);
    while (sb.length() < n) {
      int kind = r.nextInt(100);
      if (kind < 35) {
        sb.append((char) r.nextInt(0x20, 0x7F));
      } else if (kind < 50) {
        sb.append(SPECIAL_CHARS.charAt(r.nextInt(SPECIAL_CHARS.length())));
      } else if (kind < 70) {
        sb.append((char) r.nextInt(0x80, 0xD800));
      } else if (kind < 80) {
        sb.append((char) r.nextInt(0xE000, 0x10000));
      } else if (kind < 92 && sb.length() + 2 <= n) {
        sb.appendCodePoint(r.nextInt(0x10000, 0x110000));
      } else if (kind >= 92) {
        sb.append((char) r.nextInt(0xD800, 0xE000)); // a lone surrogate
      } else {
        sb.append((char) r.nextInt(0x20, 0x7F));
      }
    }
    return sb.toString();
  }

  private static String stringOf(SplittableRandom r, String alphabet, int min, int max) {
    int n = length(r, min, max);
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  private static String jsonish(SplittableRandom r, int min, int max) {
    return stringOf(r, JSON_ALPHABET, min, max);
  }

  private static String hugeNumber(SplittableRandom r) {
    switch (r.nextInt(4)) {
      case 0:
        return pick(r, HUGE_NUMBERS);
      case 1:
        return bigInteger(r).toString();
      case 2:
        return stringOf(r, "0123456789", 19, 60);
      default:
        // Scales of both signs: plain decimals and ones in exponent notation (1.5E+30).
        return new BigDecimal(bigInteger(r), r.nextInt(-40, 41)).toString();
    }
  }

  private static BigInteger bigInteger(SplittableRandom r) {
    int roll = r.nextInt(10);
    if (roll == 0) {
      return pick(r, List.of(BigInteger.ZERO, BigInteger.ONE, BigInteger.ONE.negate(),
          BigInteger.valueOf(Long.MAX_VALUE), BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE),
          BigInteger.valueOf(Long.MIN_VALUE), BigInteger.valueOf(Long.MIN_VALUE).subtract(BigInteger.ONE)));
    }
    BigInteger b = new BigInteger(r.nextInt(1, roll < 5 ? 70 : 400), new Random(r.nextLong()));
    return r.nextBoolean() ? b : b.negate();
  }

  // --- mutations ---

  /** A change to a frame's UTF-8 bytes. Positions wrap around the frame's length. */
  private sealed interface Mutation permits Flip, Delete, Insert, Duplicate {
    byte[] apply(byte[] bytes);
  }

  /** XORs one byte with {@code mask}. */
  private record Flip(int at, int mask) implements Mutation {
    @Override
    public byte[] apply(byte[] bytes) {
      if (bytes.length == 0) {
        return bytes;
      }
      byte[] copy = bytes.clone();
      copy[at % copy.length] ^= (byte) mask;
      return copy;
    }
  }

  /** Removes up to {@code n} bytes. */
  private record Delete(int at, int n) implements Mutation {
    @Override
    public byte[] apply(byte[] bytes) {
      if (bytes.length == 0) {
        return bytes;
      }
      int from = at % bytes.length;
      int to = Math.min(bytes.length, from + n);
      byte[] out = new byte[bytes.length - (to - from)];
      System.arraycopy(bytes, 0, out, 0, from);
      System.arraycopy(bytes, to, out, from, bytes.length - to);
      return out;
    }
  }

  /** Inserts the UTF-8 bytes of {@code s}. */
  private record Insert(int at, String s) implements Mutation {
    @Override
    public byte[] apply(byte[] bytes) {
      return insert(bytes, at % (bytes.length + 1), s.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Repeats up to {@code n} bytes right after themselves: duplicate keys, doubled braces. */
  private record Duplicate(int at, int n) implements Mutation {
    @Override
    public byte[] apply(byte[] bytes) {
      if (bytes.length == 0) {
        return bytes;
      }
      int from = at % bytes.length;
      int to = Math.min(bytes.length, from + n);
      byte[] slice = new byte[to - from];
      System.arraycopy(bytes, from, slice, 0, slice.length);
      return insert(bytes, to, slice);
    }
  }

  private static byte[] insert(byte[] bytes, int pos, byte[] ins) {
    byte[] out = new byte[bytes.length + ins.length];
    System.arraycopy(bytes, 0, out, 0, pos);
    System.arraycopy(ins, 0, out, pos, ins.length);
    System.arraycopy(bytes, pos, out, pos + ins.length, bytes.length - pos);
    return out;
  }

  private static Mutation mutation(SplittableRandom r) {
    int at = r.nextInt(Integer.MAX_VALUE);
    switch (r.nextInt(4)) {
      case 0:
        return new Flip(at, r.nextInt(1, 256));
      case 1:
        return new Delete(at, r.nextInt(1, 17));
      case 2:
        return new Insert(at, r.nextBoolean() ? jsonish(r, 1, 8) : pick(r, INSERTIONS));
      default:
        return new Duplicate(at, r.nextInt(1, 33));
    }
  }

  /** A valid frame and what 1 to 6 mutations made of it. */
  private record Mutated(String frame, List<Mutation> mutations, String text) {
    @Override
    public String toString() {
      return abbreviate(text) + "\n  from " + abbreviate(frame) + "\n  by " + mutations;
    }
  }

  private static Mutated mutatedFrame(SplittableRandom r) {
    String frame = CODEC.encode(wire(r));
    int count = r.nextInt(1, 7);
    List<Mutation> mutations = new ArrayList<>(count);
    byte[] bytes = frame.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < count; i++) {
      Mutation m = mutation(r);
      mutations.add(m);
      bytes = m.apply(bytes);
    }
    return new Mutated(frame, mutations, new String(bytes, StandardCharsets.UTF_8));
  }

  // --- valid envelopes, acks and errors ---

  private static Wire wire(SplittableRandom r) {
    switch (r.nextInt(3)) {
      case 0:
        return envelope(r);
      case 1:
        return ack(r);
      default:
        return error(r);
    }
  }

  private static String text(SplittableRandom r) {
    return r.nextBoolean() ? anyString(r, 0, 255) : stringOf(r, ALPHANUMERIC, 0, 255);
  }

  private static String nonEmpty(SplittableRandom r) {
    return r.nextBoolean() ? anyString(r, 1, 255) : stringOf(r, ALPHA, 1, 255);
  }

  private static String textOrNull(SplittableRandom r, double nullChance) {
    return r.nextDouble() < nullChance ? null : text(r);
  }

  private static long count(SplittableRandom r) {
    switch (r.nextInt(4)) {
      case 0:
        return pick(r, List.of(0L, 1L, Long.MAX_VALUE, (long) Integer.MAX_VALUE + 1));
      case 1:
        return r.nextLong(0, 1_000);
      default:
        return r.nextLong(0, Long.MAX_VALUE) + (r.nextBoolean() ? 1 : 0);
    }
  }

  private static Object bodyValue(SplittableRandom r) {
    switch (r.nextInt(6)) {
      case 0:
        return text(r);
      case 1:
        return r.nextInt(5) == 0 ? pick(r, List.of(0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE)) : r.nextInt();
      case 2:
        return r.nextInt(5) == 0 ? pick(r, List.of(Long.MIN_VALUE, Long.MAX_VALUE)) : r.nextLong();
      case 3:
        return r.nextBoolean();
      case 4: {
        int n = r.nextInt(5);
        List<Object> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          list.add(r.nextInt());
        }
        return list;
      }
      default: {
        int n = r.nextInt(4);
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
          map.put(stringOf(r, ALPHA, 0, 5), text(r));
        }
        return map;
      }
    }
  }

  private static Envelope envelope(SplittableRandom r) {
    Envelope.Type[] types = Envelope.Type.values();
    Envelope.Type type = types[r.nextInt(types.length)];
    String id = nonEmpty(r);
    String room = nonEmpty(r);
    String from = textOrNull(r, 0.5);
    long seq = count(r);
    long ts = count(r);
    Map<String, Object> body = new LinkedHashMap<>();
    int extras = r.nextInt(5);
    for (int i = 0; i < extras; i++) {
      body.put(text(r), bodyValue(r));
    }
    if (type == Envelope.Type.CHAT) {
      body.put("text", text(r));
    } else {
      body.remove("text");
    }
    return new Envelope(type, id, room, from, seq, ts, body, epochOrNull(r));
  }

  /** Epochs are opaque non-empty strings; null half the time. */
  private static String epochOrNull(SplittableRandom r) {
    return r.nextBoolean() ? null : nonEmpty(r);
  }

  /** A counter: 0 (absent) half the time, else at least 1. */
  private static long counterOrZero(SplittableRandom r) {
    return r.nextBoolean() ? 0 : Math.max(1, count(r));
  }

  private static Ack ack(SplittableRandom r) {
    // The codec refuses an ack with an empty id ("field 'id' in ack is empty"), so valid acks have one.
    return new Ack(nonEmpty(r), count(r), epochOrNull(r));
  }

  private static ErrorReply error(SplittableRandom r) {
    switch (r.nextInt(3)) {
      case 0:
        return new ErrorReply(textOrNull(r, 0.3), text(r), text(r));
      case 1: {
        String id = textOrNull(r, 0.3);
        String code = text(r);
        String message = text(r);
        String room = text(r);
        long first = count(r);
        long span = r.nextLong(0, 1_001);
        return new ErrorReply(id, code, message, room, first, first > Long.MAX_VALUE - span ? first : first + span);
      }
      default: {
        // Any mix of the fields the codes define: epochs, counters, retry hints, room and range.
        String room = textOrNull(r, 0.5);
        long first = r.nextBoolean() ? 0 : r.nextLong(0, Long.MAX_VALUE - 1_000);
        long last = first == 0 && r.nextBoolean() ? 0 : first + r.nextLong(0, 1_000);
        return new ErrorReply(textOrNull(r, 0.3), text(r), text(r), room, first, last,
            epochOrNull(r), epochOrNull(r), counterOrZero(r), counterOrZero(r), r.nextBoolean() ? 0 : count(r));
      }
    }
  }

  private static List<String> nestingSpots() {
    List<String> frames = List.of(
        "X",
        "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"body\":{\"text\":\"t\",\"x\":X}}",
        "{\"type\":X}",
        "{\"type\":\"join\",\"id\":\"j\",\"room\":\"r\",\"extra\":X}",
        "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"seq\":X,\"body\":{\"text\":\"t\"}}");
    List<String> spots = new ArrayList<>();
    for (String f : frames) {
      spots.add("[" + f);
      spots.add("{" + f);
    }
    return List.copyOf(spots);
  }
}

package dev.tether.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Hostile input for {@link EnvelopeCodec#decode}: whatever the text, decoding returns a value or
 * throws {@link MalformedEnvelopeException}, never another exception and never slowly. Each try
 * runs on a helper thread and fails if it takes longer than {@link #PER_TRY_SECONDS}. Plus the
 * round trip: for any envelope, ack or error, {@code encode(decode(encode(w)))} is
 * {@code encode(w)}.
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
  private static final List<String> HUGE_NUMBERS = List.of(
      "1e400", "-1e400", "99999999999999999999999", "-99999999999999999999999", "9223372036854775808",
      "18446744073709551616", "1E+2147483648", "1e-400", "0.5", "-0", "-1", "1.0", "NaN", "Infinity",
      "0x10", "007", "1" + "0".repeat(1_200), "9".repeat(100_000));

  @AfterContainer
  static void stopDecoder() {
    DECODER.shutdownNow();
  }

  // --- decode never fails with anything but MalformedEnvelopeException ---

  @Property(tries = 2_000)
  void anyStringDecodesOrIsRefused(@ForAll String text) {
    assertDecodesOrRefuses(text);
  }

  @Property(tries = 2_000)
  void anyJsonLookingObjectDecodesOrIsRefused(@ForAll("jsonish") String text) {
    assertDecodesOrRefuses("{" + text);
  }

  @Property(tries = 1_000)
  void truncatedFramesDecodeOrAreRefused(@ForAll("wires") Wire wire, @ForAll @IntRange(max = 10_000) int cut) {
    String frame = CODEC.encode(wire);
    assertDecodesOrRefuses(frame.substring(0, cut % (frame.length() + 1)));
  }

  @Property(tries = 2_000)
  void mutatedFramesDecodeOrAreRefused(
      @ForAll("wires") Wire wire, @ForAll("mutations") List<Mutation> mutations) {
    byte[] bytes = CODEC.encode(wire).getBytes(StandardCharsets.UTF_8);
    for (Mutation m : mutations) {
      bytes = m.apply(bytes);
    }
    assertDecodesOrRefuses(new String(bytes, StandardCharsets.UTF_8));
  }

  @Property(tries = 300)
  void hugeNumbersInCountFieldsAreRefused(
      @ForAll("countFrames") String template, @ForAll("hugeNumbers") String number) {
    String frame = template.replace("N", number);
    assertDecodesOrRefuses(frame);
  }

  @Property(tries = 200)
  void hugeNumbersInTheBodyDecodeOrAreRefused(@ForAll("hugeNumbers") String number) {
    assertDecodesOrRefuses(
        "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"body\":{\"text\":\"t\",\"n\":" + number + "}}");
  }

  @Property(tries = 30)
  void deepNestingIsRefusedQuickly(
      @ForAll @IntRange(min = 1, max = 20_000) int depth, @ForAll("nestingSpots") String spot) {
    String open = spot.startsWith("[") ? "[" : "{\"a\":";
    String close = spot.startsWith("[") ? "]" : "}";
    String nested = open.repeat(depth) + "1" + close.repeat(depth);
    assertDecodesOrRefuses(spot.substring(1).replace("X", nested));
  }

  @Example
  void tenThousandLevelsOfNestingAreRefusedAsMalformed() {
    String deepArray = "[".repeat(10_000) + "]".repeat(10_000);
    String deepBody = "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"body\":{\"text\":\"t\",\"x\":"
        + "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000) + "}}";
    String unclosed = "{\"a\":".repeat(10_000);
    for (String text : List.of(deepArray, deepBody, unclosed, "{\"type\":" + deepArray + "}")) {
      assertThat(decodeWithin(text)).isInstanceOf(MalformedEnvelopeException.class);
    }
  }

  @Example
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
    assertThat(((Exception) after).getMessage()).contains("'after'");
    Object first = decodeWithin("{\"type\":\"error\",\"code\":\"history_gap\",\"message\":\"m\","
        + "\"room\":\"r\",\"first\":99999999999999999999999,\"last\":1}");
    assertThat(((Exception) first).getMessage()).contains("'first'");
    Object last = decodeWithin("{\"type\":\"error\",\"code\":\"history_gap\",\"message\":\"m\","
        + "\"room\":\"r\",\"first\":1,\"last\":1e400}");
    assertThat(((Exception) last).getMessage()).contains("'last'");
  }

  @Example
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

  // --- round trip ---

  @Property(tries = 2_000)
  void encodeDecodeEncodeIsStable(@ForAll("wires") Wire wire) {
    String once = CODEC.encode(wire);
    Wire decoded = CODEC.decode(once);
    assertThat(CODEC.encode(decoded)).isEqualTo(once);
  }

  @Property(tries = 2_000)
  void whatDecodesReEncodesToAFrameThatDecodesTheSame(
      @ForAll("wires") Wire wire, @ForAll("mutations") List<Mutation> mutations) {
    byte[] bytes = CODEC.encode(wire).getBytes(StandardCharsets.UTF_8);
    for (Mutation m : mutations) {
      bytes = m.apply(bytes);
    }
    assertReEncodesStably(new String(bytes, StandardCharsets.UTF_8));
  }

  @Property(tries = 200)
  void bodiesWithHugeNumbersReEncodeStably(@ForAll("hugeNumbers") String number) {
    assertReEncodesStably(
        "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"body\":{\"text\":\"t\",\"n\":" + number + "}}");
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
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "... (" + s.length() + " chars)";
  }

  @Provide
  Arbitrary<String> jsonish() {
    return Arbitraries.strings().withChars(JSON_ALPHABET).ofMaxLength(200);
  }

  @Provide
  Arbitrary<String> hugeNumbers() {
    return Arbitraries.oneOf(
        Arbitraries.of(HUGE_NUMBERS),
        Arbitraries.bigIntegers().map(Object::toString),
        Arbitraries.strings().withChars("0123456789").ofMinLength(19).ofMaxLength(60),
        Arbitraries.bigDecimals().map(Object::toString));
  }

  @Provide
  Arbitrary<String> countFrames() {
    return Arbitraries.of(
        "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"seq\":N,\"body\":{\"text\":\"t\"}}",
        "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"ts\":N,\"body\":{\"text\":\"t\"}}",
        "{\"type\":\"resume\",\"id\":\"r\",\"room\":\"r\",\"after\":N}",
        "{\"type\":\"ack\",\"id\":\"a\",\"seq\":N}",
        "{\"type\":\"error\",\"code\":\"history_gap\",\"message\":\"m\",\"room\":\"r\",\"first\":N,\"last\":5}",
        "{\"type\":\"error\",\"code\":\"history_gap\",\"message\":\"m\",\"room\":\"r\",\"first\":1,\"last\":N}");
  }

  /** A marker ([ or {) for the kind of nesting, then a frame with X where the nesting goes. */
  @Provide
  Arbitrary<String> nestingSpots() {
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
    return Arbitraries.of(spots);
  }

  @Provide
  Arbitrary<List<Mutation>> mutations() {
    Arbitrary<Mutation> flip = Combinators.combine(
            Arbitraries.integers().greaterOrEqual(0), Arbitraries.integers().between(1, 255))
        .as((at, mask) -> (Mutation) bytes -> {
          if (bytes.length == 0) {
            return bytes;
          }
          byte[] copy = bytes.clone();
          copy[at % copy.length] ^= (byte) (int) mask;
          return copy;
        });
    Arbitrary<Mutation> delete = Combinators.combine(
            Arbitraries.integers().greaterOrEqual(0), Arbitraries.integers().between(1, 16))
        .as((at, n) -> (Mutation) bytes -> {
          if (bytes.length == 0) {
            return bytes;
          }
          int from = at % bytes.length;
          int to = Math.min(bytes.length, from + n);
          byte[] out = new byte[bytes.length - (to - from)];
          System.arraycopy(bytes, 0, out, 0, from);
          System.arraycopy(bytes, to, out, from, bytes.length - to);
          return out;
        });
    Arbitrary<Mutation> insert = Combinators.combine(
            Arbitraries.integers().greaterOrEqual(0),
            Arbitraries.oneOf(
                Arbitraries.strings().withChars(JSON_ALPHABET).ofMinLength(1).ofMaxLength(8),
                Arbitraries.of("\uFFFD", "\u0000", "\uD800", "1e400", "99999999999999999999999", "null")))
        .as((at, s) -> (Mutation) bytes -> {
          byte[] ins = s.getBytes(StandardCharsets.UTF_8);
          int pos = bytes.length == 0 ? 0 : at % (bytes.length + 1);
          byte[] out = new byte[bytes.length + ins.length];
          System.arraycopy(bytes, 0, out, 0, pos);
          System.arraycopy(ins, 0, out, pos, ins.length);
          System.arraycopy(bytes, pos, out, pos + ins.length, bytes.length - pos);
          return out;
        });
    return Arbitraries.oneOf(flip, delete, insert).list().ofMinSize(1).ofMaxSize(6);
  }

  @FunctionalInterface
  interface Mutation {
    byte[] apply(byte[] bytes);
  }

  @Provide
  Arbitrary<Wire> wires() {
    return Arbitraries.oneOf(envelopes(), acks(), errors());
  }

  private static Arbitrary<String> text() {
    return Arbitraries.oneOf(Arbitraries.strings(), Arbitraries.strings().alpha().numeric());
  }

  private static Arbitrary<String> nonEmpty() {
    return Arbitraries.oneOf(Arbitraries.strings().ofMinLength(1), Arbitraries.strings().alpha().ofMinLength(1));
  }

  private static Arbitrary<Long> count() {
    return Arbitraries.oneOf(Arbitraries.longs().between(0, Long.MAX_VALUE),
        Arbitraries.of(0L, 1L, Long.MAX_VALUE, (long) Integer.MAX_VALUE + 1));
  }

  private static Arbitrary<Object> bodyValue() {
    return Arbitraries.oneOf(
        text().map(s -> (Object) s),
        Arbitraries.integers().map(i -> (Object) i),
        Arbitraries.longs().map(l -> (Object) l),
        Arbitraries.of(true, false).map(b -> (Object) b),
        Arbitraries.integers().list().ofMaxSize(4).map(l -> (Object) l),
        Arbitraries.maps(Arbitraries.strings().alpha().ofMaxLength(5), text()).ofMaxSize(3).map(m -> (Object) m));
  }

  private static Arbitrary<Envelope> envelopes() {
    Arbitrary<Map<String, Object>> extras =
        Arbitraries.maps(text(), bodyValue()).ofMaxSize(4);
    return Combinators.combine(
            Arbitraries.of(Envelope.Type.class), nonEmpty(), nonEmpty(), text().injectNull(0.5),
            count(), count(), extras, text())
        .as((type, id, room, from, seq, ts, extra, chatText) -> {
          Map<String, Object> body = new LinkedHashMap<>(extra);
          if (type == Envelope.Type.CHAT) {
            body.put("text", chatText);
          } else {
            body.remove("text");
          }
          return new Envelope(type, id, room, from, seq, ts, body);
        });
  }

  private static Arbitrary<Ack> acks() {
    return Combinators.combine(text(), count()).as(Ack::new);
  }

  private static Arbitrary<ErrorReply> errors() {
    Arbitrary<ErrorReply> plain = Combinators.combine(text().injectNull(0.3), text(), text())
        .as(ErrorReply::new);
    Arbitrary<ErrorReply> gap = Combinators.combine(
            text().injectNull(0.3), text(), text(), text(), count(), Arbitraries.longs().between(0, 1_000))
        .as((id, code, message, room, first, span) -> new ErrorReply(
            id, code, message, room, first, first > Long.MAX_VALUE - span ? first : first + span));
    return Arbitraries.oneOf(plain, gap);
  }
}

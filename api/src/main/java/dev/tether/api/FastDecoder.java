package dev.tether.api;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The common case of {@link EnvelopeCodec#decode} in one pass over the frame's chars, without a
 * parser object, a tree or a copy of the text: a well-formed frame whose fields all have the
 * expected types. It never reports errors: whenever anything is missing, of the wrong type, out of
 * range, duplicated, malformed or merely unusual (nesting deeper than {@value #MAX_DEPTH}, a number
 * of more than {@value #MAX_NUMBER} chars, a frame of more than {@value #MAX_FRAME} chars), it
 * returns null and the careful decoder runs, which
 * either decodes the frame or says exactly what is wrong with it.
 *
 * <p>What it accepts is strict JSON (RFC 8259), as Jackson's parser with the codec's settings
 * accepts it, and it reads values as Jackson's untyped deserializer does with
 * {@code USE_BIG_DECIMAL_FOR_FLOATS}: objects as {@code LinkedHashMap}, arrays as
 * {@code ArrayList}, strings, integers as {@code Integer}, {@code Long} or {@code BigInteger} by
 * size, other numbers as {@code BigDecimal}, booleans, nulls.
 *
 * <p>Duplicate keys send the frame to the careful decoder (which refuses them, as Jackson's
 * {@code STRICT_DUPLICATE_DETECTION} does) at no cost for the rest: a bit per envelope field, the
 * size of a body's map as it grows, and a list only for fields the protocol does not know.
 *
 * <p>Values that repeat from frame to frame ({@code room}, {@code from}, {@code epoch}) are read as
 * the string last read for the same field when the frame holds the same chars, without escapes:
 * an ack of our own chat or a room's next chat then costs no new string for them.
 *
 * <p>Stateless but for those last values (shared by all threads: each slot holds an immutable
 * string, so a race costs a miss, never a wrong value); one instance per call holds the position.
 */
final class FastDecoder {
  /** Objects and arrays nested deeper than this go to the careful decoder. */
  static final int MAX_DEPTH = 256;
  /** Longer numbers go to the careful decoder (Jackson's own limit is 1,000). */
  static final int MAX_NUMBER = 100;
  /** Longer strings go to the careful decoder, which applies Jackson's limit (20,000,000). */
  private static final int MAX_STRING = 20_000_000;
  /** Longer frames (in chars) go to the careful decoder: four times a server's default message limit. */
  static final int MAX_FRAME = 4 * 1024 * 1024;

  private static final int TYPE = 1;
  private static final int ID = 1 << 1;
  private static final int ROOM = 1 << 2;
  private static final int FROM = 1 << 3;
  private static final int CODE = 1 << 4;
  private static final int MESSAGE = 1 << 5;
  private static final int EPOCH = 1 << 6;
  private static final int OLD_EPOCH = 1 << 7;
  private static final int NEW_EPOCH = 1 << 8;
  private static final int SEQ = 1 << 9;
  private static final int TS = 1 << 10;
  private static final int AFTER = 1 << 11;
  private static final int FIRST = 1 << 12;
  private static final int LAST = 1 << 13;
  private static final int N = 1 << 14;
  private static final int EXPECTED = 1 << 15;
  private static final int RETRY_AFTER = 1 << 16;
  private static final int BODY = 1 << 17;

  /** Thrown to give the frame to the careful decoder; no stack trace, since it is not an error here. */
  private static final class Doubt extends RuntimeException {
    Doubt() {
      super("not for the fast decoder", null, false, false);
    }
  }

  private static final Doubt DOUBT = new Doubt();

  /** Slots of {@link #RECENT}. */
  private static final int RECENT_ROOM = 0;
  private static final int RECENT_FROM = 1;
  private static final int RECENT_EPOCH = 2;
  /** The last plain (escape-free, non-empty) value read per slot; see the class comment. */
  private static final String[] RECENT = new String[3];

  private final String s;
  private int i;
  /** The frame's {@code n}, or -1 if it had none; set by {@link #frame()}. */
  private long n = -1;

  private FastDecoder(String json) {
    this.s = json;
  }

  /** The decoded frame and its counter, or null to let the careful decoder decide. */
  static EnvelopeCodec.Counted decode(String json) {
    FastDecoder d = new FastDecoder(json);
    Wire wire = d.wire();
    return wire == null ? null : new EnvelopeCodec.Counted(wire, Math.max(0, d.n));
  }

  /** The decoded frame without its counter, or null to let the careful decoder decide. */
  static Wire decodeWire(String json) {
    return new FastDecoder(json).wire();
  }

  private Wire wire() {
    if (s.length() > MAX_FRAME) {
      return null; // a frame this large is not the common case: Jackson's limits apply to it at once
    }
    try {
      return frame();
    } catch (Doubt | IndexOutOfBoundsException | NumberFormatException e) {
      return null; // malformed or unusual: the careful decoder names it, or reads it
    }
  }

  private Wire frame() {
    String type = null;
    String id = null;
    String room = null;
    String from = null;
    String code = null;
    String message = null;
    String epoch = null;
    String oldEpoch = null;
    String newEpoch = null;
    long seq = 0;
    long ts = 0;
    long after = -1;
    long first = -1;
    long last = -1;
    long expected = -1;
    long retryAfter = 0;
    Map<String, Object> body = null;
    int seen = 0;
    List<String> unknown = null;
    skipWhitespace();
    expect('{');
    skipWhitespace();
    if (peek() == '}') {
      i++;
    } else {
      while (true) {
        String name = key(ENVELOPE_NAMES);
        switch (name) {
          case "type" -> {
            seen = once(seen, TYPE);
            type = type();
          }
          case "id" -> {
            seen = once(seen, ID);
            id = string();
          }
          case "room" -> {
            seen = once(seen, ROOM);
            room = recent(RECENT_ROOM);
          }
          case "from" -> {
            seen = once(seen, FROM);
            from = recent(RECENT_FROM);
          }
          case "code" -> {
            seen = once(seen, CODE);
            code = string();
          }
          case "message" -> {
            seen = once(seen, MESSAGE);
            message = string();
          }
          case "epoch" -> {
            seen = once(seen, EPOCH);
            epoch = recent(RECENT_EPOCH);
            if (epoch.isEmpty()) {
              throw DOUBT;
            }
          }
          case "old_epoch" -> {
            seen = once(seen, OLD_EPOCH);
            oldEpoch = nonEmpty();
          }
          case "new_epoch" -> {
            seen = once(seen, NEW_EPOCH);
            newEpoch = nonEmpty();
          }
          case "seq" -> {
            seen = once(seen, SEQ);
            seq = count();
          }
          case "ts" -> {
            seen = once(seen, TS);
            ts = count();
          }
          case "after" -> {
            seen = once(seen, AFTER);
            after = count();
          }
          case "first" -> {
            seen = once(seen, FIRST);
            first = count();
          }
          case "last" -> {
            seen = once(seen, LAST);
            last = count();
          }
          case "n" -> {
            seen = once(seen, N);
            n = count();
            if (n < 1) {
              throw DOUBT;
            }
          }
          case "expected" -> {
            seen = once(seen, EXPECTED);
            expected = count();
            if (expected < 1) {
              throw DOUBT;
            }
          }
          case "retry_after" -> {
            seen = once(seen, RETRY_AFTER);
            retryAfter = count();
          }
          case "body" -> {
            seen = once(seen, BODY);
            if (peek() != '{') {
              throw DOUBT;
            }
            i++;
            body = FrozenMap.adopt(object(1));
          }
          default -> {
            // A field of a newer peer: skipped, but its name and what it holds are checked for
            // duplicates too, as the careful decoder checks them.
            if (unknown == null) {
              unknown = new ArrayList<>(2);
            } else if (unknown.contains(name)) {
              throw DOUBT;
            }
            unknown.add(name);
            value(1);
          }
        }
        skipWhitespace();
        char c = s.charAt(i++);
        if (c == '}') {
          break;
        }
        if (c != ',') {
          throw DOUBT;
        }
      }
    }
    skipWhitespace();
    if (i != s.length()) {
      throw DOUBT; // trailing content
    }
    Wire wire = wire(type, id, room, from, epoch, seq, (seen & SEQ) != 0, ts, after, body);
    if (wire == null && "error".equals(type) && (id == null || !id.isEmpty())) {
      wire = error(id, code, message, room, first, last, oldEpoch, newEpoch, n, expected, retryAfter);
    }
    return wire;
  }

  /** {@code seen} with {@code field}; throws if it was there already (a duplicate key). */
  private static int once(int seen, int field) {
    if ((seen & field) != 0) {
      throw DOUBT;
    }
    return seen | field;
  }

  /** An ack or envelope, or null for an error frame or one the careful decoder must look at. */
  private static Wire wire(String type, String id, String room, String from, String epoch, long seq,
      boolean hasSeq, long ts, long after, Map<String, Object> body) {
    if (type == null || id == null || id.isEmpty()) {
      return null;
    }
    switch (type) {
      case "ack":
        return hasSeq ? new Ack(id, seq, epoch, from, ts) : null;
      case "error":
        return null;
      default:
        Envelope.Type envelopeType = Envelope.Type.fromWireName(type);
        if (envelopeType == null || room == null || room.isEmpty()) {
          return null;
        }
        if (envelopeType == Envelope.Type.RESUME) {
          if (after < 0) {
            return null;
          }
          seq = after;
        }
        if (envelopeType == Envelope.Type.CHAT && (body == null || !(body.get("text") instanceof String))) {
          return null;
        }
        return new Envelope(envelopeType, id, room, from, seq, ts, body == null ? Map.of() : body, epoch);
    }
  }

  private static ErrorReply error(String id, String code, String message, String room, long first,
      long last, String oldEpoch, String newEpoch, long n, long expected, long retryAfter) {
    if (code == null || message == null || (first < 0) != (last < 0) || last < first) {
      return null;
    }
    return new ErrorReply(id, code, message, room, Math.max(0, first), Math.max(0, last), oldEpoch,
        newEpoch, Math.max(0, n), Math.max(0, expected), retryAfter);
  }

  // ---- JSON ---------------------------------------------------------------------------------------

  private char peek() {
    return s.charAt(i);
  }

  private void expect(char c) {
    if (s.charAt(i++) != c) {
      throw DOUBT;
    }
  }

  private void skipWhitespace() {
    for (int len = s.length(); i < len; i++) {
      char c = s.charAt(i);
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        return;
      }
    }
  }

  /** The envelope's field names, and a body's usual one: read as these constants, not new strings. */
  private static final String[] ENVELOPE_NAMES = {"type", "id", "room", "from", "code", "message", "epoch",
      "old_epoch", "new_epoch", "seq", "ts", "after", "first", "last", "n", "expected", "retry_after", "body"};
  private static final String[] BODY_NAMES = {"text"};

  /**
   * A member's name and the colon after it; whitespace before and after skipped. A name among
   * {@code known} (as written, without escapes) is that constant.
   */
  private String key(String[] known) {
    skipWhitespace();
    if (peek() != '"') {
      throw DOUBT;
    }
    String name = constant(known);
    if (name == null) {
      name = quoted();
    }
    skipWhitespace();
    expect(':');
    skipWhitespace();
    return name;
  }

  /** The string at {@code i} if it is one of {@code known} written plainly, moving past it; else null. */
  private String constant(String[] known) {
    int from = i + 1;
    for (String k : known) {
      int end = from + k.length();
      if (end < s.length() && s.charAt(end) == '"' && s.startsWith(k, from)) {
        i = end + 1;
        return k;
      }
    }
    return null;
  }

  private static final String[] TYPE_NAMES = {"chat", "ack", "join", "leave", "resume", "error"};

  /** The {@code type} value: the protocol's names as constants (no string made), others as read. */
  private String type() {
    if (peek() == '"') {
      String known = constant(TYPE_NAMES);
      if (known != null) {
        return known;
      }
    }
    return string();
  }

  private String string() {
    if (peek() != '"') {
      throw DOUBT; // null or another type: the careful decoder decides
    }
    return quoted();
  }

  /**
   * A string value, as the string last read into {@code slot} if the frame holds its chars (which
   * then need no unescaping: only plain values are kept), else as read, and then kept if plain.
   */
  private String recent(int slot) {
    if (peek() != '"') {
      throw DOUBT;
    }
    String last = RECENT[slot];
    if (last != null) {
      int end = i + 1 + last.length();
      if (end < s.length() && s.charAt(end) == '"' && s.startsWith(last, i + 1)) {
        i = end + 1;
        return last;
      }
    }
    int open = i;
    String v = quoted();
    if (!v.isEmpty() && v.length() == i - open - 2) { // as many chars as between the quotes: no escapes
      RECENT[slot] = v;
    }
    return v;
  }

  private String nonEmpty() {
    String v = string();
    if (v.isEmpty()) {
      throw DOUBT;
    }
    return v;
  }

  /** The string whose opening quote is at {@code i}; escapes decoded, control chars refused. */
  private String quoted() {
    int start = ++i;
    int len = s.length();
    while (true) {
      char c = s.charAt(i);
      if (c == '"') {
        String v = s.substring(start, i++);
        if (v.length() > MAX_STRING) {
          throw DOUBT;
        }
        return v;
      }
      if (c == '\\') {
        return escaped(start);
      }
      if (c < 0x20) {
        throw DOUBT;
      }
      if (++i >= len) {
        throw DOUBT;
      }
    }
  }

  /** The rest of a string from its first escape at {@code i}, with what came before from {@code start}. */
  private String escaped(int start) {
    StringBuilder out = new StringBuilder(i - start + 16).append(s, start, i);
    while (true) {
      char c = s.charAt(i++);
      if (c == '"') {
        if (out.length() > MAX_STRING) {
          throw DOUBT;
        }
        return out.toString();
      }
      if (c < 0x20) {
        throw DOUBT;
      }
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char e = s.charAt(i++);
      switch (e) {
        case '"', '\\', '/' -> out.append(e);
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> {
          int v = 0;
          for (int k = 0; k < 4; k++) {
            char h = s.charAt(i++);
            int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
            if (d < 0) {
              throw DOUBT;
            }
            v = v << 4 | d;
          }
          out.append((char) v);
        }
        default -> throw DOUBT;
      }
    }
  }

  /** A non-negative integer that fits a long, as the protocol's counts are. */
  private long count() {
    int start = i;
    if (peek() == '-') {
      throw DOUBT;
    }
    int end = integerEnd(start);
    if (end - start > 18 || isFractionOrExponent(end)) {
      throw DOUBT;
    }
    i = end;
    delimiter();
    return Long.parseLong(s, start, end, 10);
  }

  /** After the digits of an integer starting at {@code from} (no sign): where they end. */
  private int integerEnd(int from) {
    int j = from;
    char c = s.charAt(j);
    if (c == '0') {
      j++;
      if (j < s.length() && s.charAt(j) >= '0' && s.charAt(j) <= '9') {
        throw DOUBT; // leading zero
      }
      return j;
    }
    if (c < '1' || c > '9') {
      throw DOUBT;
    }
    while (j < s.length() && s.charAt(j) >= '0' && s.charAt(j) <= '9') {
      j++;
    }
    return j;
  }

  private boolean isFractionOrExponent(int at) {
    if (at >= s.length()) {
      return false;
    }
    char c = s.charAt(at);
    return c == '.' || c == 'e' || c == 'E';
  }

  /** What may follow a number or a literal: whitespace, a comma, a closing bracket, the end. */
  private void delimiter() {
    if (i < s.length()) {
      char c = s.charAt(i);
      if (c != ',' && c != '}' && c != ']' && c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        throw DOUBT;
      }
    }
  }

  /** The value starting at {@code i}, at nesting {@code depth}. */
  private Object value(int depth) {
    char c = peek();
    switch (c) {
      case '"':
        return quoted();
      case '{':
        i++;
        return object(depth + 1);
      case '[':
        i++;
        return array(depth + 1);
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        return number();
    }
  }

  private Object literal(String word, Object value) {
    if (!s.startsWith(word, i)) {
      throw DOUBT;
    }
    i += word.length();
    delimiter();
    return value;
  }

  /** A number: Integer, Long or BigInteger by size, BigDecimal if it has a fraction or exponent. */
  private Object number() {
    int start = i;
    int j = s.charAt(i) == '-' ? i + 1 : i;
    j = integerEnd(j);
    boolean decimal = false;
    if (j < s.length() && s.charAt(j) == '.') {
      decimal = true;
      j = digits(j + 1);
    }
    if (j < s.length() && (s.charAt(j) == 'e' || s.charAt(j) == 'E')) {
      decimal = true;
      j++;
      if (j < s.length() && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
        j++;
      }
      int exponent = j;
      j = digits(j);
      if (j - exponent > 9) {
        throw DOUBT; // an exponent beyond int: the careful decoder decides
      }
    }
    if (j - start > MAX_NUMBER) {
      throw DOUBT;
    }
    i = j;
    delimiter();
    if (decimal) {
      return new BigDecimal(s.substring(start, j));
    }
    int digits = j - start - (s.charAt(start) == '-' ? 1 : 0);
    if (digits <= 18) {
      long v = Long.parseLong(s, start, j, 10);
      if (v == (int) v) {
        return Integer.valueOf((int) v); // not in a ?: with a Long, which would make it a Long
      }
      return Long.valueOf(v);
    }
    BigInteger big = new BigInteger(s.substring(start, j));
    return big.bitLength() < 64 ? Long.valueOf(big.longValue()) : big;
  }

  /** After at least one digit from {@code from}: where the digits end. */
  private int digits(int from) {
    int j = from;
    while (j < s.length() && s.charAt(j) >= '0' && s.charAt(j) <= '9') {
      j++;
    }
    if (j == from) {
      throw DOUBT;
    }
    return j;
  }

  /**
   * The object whose opening brace was just read, as Jackson's untyped deserializer makes it; a key
   * that comes twice (the map does not grow) throws.
   */
  private LinkedHashMap<String, Object> object(int depth) {
    if (depth > MAX_DEPTH) {
      throw DOUBT;
    }
    LinkedHashMap<String, Object> map = new LinkedHashMap<>(4);
    skipWhitespace();
    if (peek() == '}') {
      i++;
      return map;
    }
    while (true) {
      String key = key(BODY_NAMES);
      Object v = value(depth);
      int size = map.size();
      map.put(key, v);
      if (map.size() == size) {
        throw DOUBT; // a duplicate key: the careful decoder names it
      }
      skipWhitespace();
      char c = s.charAt(i++);
      if (c == '}') {
        return map;
      }
      if (c != ',') {
        throw DOUBT;
      }
    }
  }

  private List<Object> array(int depth) {
    if (depth > MAX_DEPTH) {
      throw DOUBT;
    }
    List<Object> list = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      i++;
      return list;
    }
    while (true) {
      skipWhitespace();
      list.add(value(depth));
      skipWhitespace();
      char c = s.charAt(i++);
      if (c == ']') {
        return list;
      }
      if (c != ',') {
        throw DOUBT;
      }
    }
  }
}

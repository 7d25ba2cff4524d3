package dev.tether.api;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Writes the protocol's frames into one {@link StringBuilder}, without Jackson: the fixed fields in
 * their fixed order, strings escaped exactly as Jackson's default generator escapes them ({@code "}
 * and {@code \} with a backslash, control characters as {@code \b \t \n \f \r} or
 * {@code \}{@code u00XX}, everything else as it is), and bodies made of strings, integers, big
 * decimals, booleans, nulls, maps with string keys and lists. A body holding anything else (a
 * double, a user's object) is {@linkplain #writes not written here}: the codec hands such frames
 * to Jackson. One frame costs its string: the builder is the thread's own, reused.
 */
final class FastEncoder {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
  /** Nesting a body may have here; deeper ones go to Jackson, which has its own limits. */
  private static final int MAX_DEPTH = 64;

  private FastEncoder() {}

  /** Whether {@link #write} can write {@code message}: false if its body holds other values. */
  static boolean writes(Wire message) {
    return !(message instanceof Envelope e) || e.body().isEmpty() || writable(e.body(), 0);
  }

  private static boolean writable(Object value, int depth) {
    if (value == null || value instanceof String || value instanceof Boolean || value instanceof Integer
        || value instanceof Long || value instanceof BigInteger || value instanceof BigDecimal
        || value instanceof Short || value instanceof Byte) {
      return true;
    }
    if (depth >= MAX_DEPTH) {
      return false;
    }
    if (value instanceof FrozenMap f && f.isSingle()) {
      return writable(f.singleValue(), depth + 1);
    }
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> entry : entries(map).entrySet()) {
        if (!(entry.getKey() instanceof String) || !writable(entry.getValue(), depth + 1)) {
          return false;
        }
      }
      return true;
    }
    if (value instanceof List<?> list) {
      for (Object item : list) {
        if (!writable(item, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  /** The map to iterate: a frozen body's own entries, without the read-only wrappers. */
  private static Map<?, ?> entries(Map<?, ?> map) {
    return map instanceof FrozenMap f ? f.entries() : map;
  }

  /**
   * Each thread's buffer, reused frame after frame so that a frame costs only its string; one that
   * grew past {@value #KEPT_CAPACITY} chars (a large frame) is not kept.
   */
  private static final ThreadLocal<StringBuilder> BUFFER = ThreadLocal.withInitial(() -> new StringBuilder(512));
  private static final int KEPT_CAPACITY = 16 * 1024;

  /** This thread's buffer, empty. Not re-entrant: nothing that writes a frame calls out. */
  static StringBuilder buffer() {
    StringBuilder b = BUFFER.get();
    b.setLength(0);
    return b;
  }

  /** The buffer's content as a string; forgets the buffer if it grew large. */
  static String done(StringBuilder b) {
    String out = b.toString();
    if (b.capacity() > KEPT_CAPACITY) {
      BUFFER.remove();
    }
    return out;
  }

  /** The frame of {@code message}, which {@link #writes} accepted. */
  static String write(Wire message) {
    StringBuilder out = buffer();
    out.append("{\"type\":");
    string(out, message.wireType());
    if (message instanceof Envelope e) {
      envelope(out, e);
    } else if (message instanceof Ack a) {
      ack(out, a);
    } else if (message instanceof ErrorReply r) {
      error(out, r);
    }
    return done(out.append('}'));
  }

  private static void envelope(StringBuilder out, Envelope e) {
    stringField(out, "id", e.id());
    stringField(out, "room", e.room());
    if (e.from() != null) {
      stringField(out, "from", e.from());
    }
    if (e.type() == Envelope.Type.RESUME) {
      numberField(out, "after", e.seq());
    } else if (e.seq() != 0) {
      numberField(out, "seq", e.seq());
    }
    if (e.ts() != 0) {
      numberField(out, "ts", e.ts());
    }
    if (e.epoch() != null) {
      stringField(out, "epoch", e.epoch());
    }
    if (!e.body().isEmpty()) {
      out.append(",\"body\":");
      value(out, e.body());
    }
  }

  private static void ack(StringBuilder out, Ack a) {
    stringField(out, "id", a.id());
    numberField(out, "seq", a.seq());
    if (a.from() != null) {
      stringField(out, "from", a.from());
    }
    if (a.ts() != 0) {
      numberField(out, "ts", a.ts());
    }
    if (a.epoch() != null) {
      stringField(out, "epoch", a.epoch());
    }
  }

  private static void error(StringBuilder out, ErrorReply r) {
    if (r.id() != null) {
      stringField(out, "id", r.id());
    }
    stringField(out, "code", r.code());
    stringField(out, "message", r.message());
    if (r.room() != null) {
      stringField(out, "room", r.room());
    }
    if (r.last() != 0) {
      numberField(out, "first", r.first());
      numberField(out, "last", r.last());
    }
    if (r.oldEpoch() != null) {
      stringField(out, "old_epoch", r.oldEpoch());
    }
    if (r.newEpoch() != null) {
      stringField(out, "new_epoch", r.newEpoch());
    }
    if (r.n() != 0) {
      numberField(out, "n", r.n());
    }
    if (r.expected() != 0) {
      numberField(out, "expected", r.expected());
    }
    if (r.retryAfterMillis() != 0) {
      numberField(out, "retry_after", r.retryAfterMillis());
    }
  }

  /** {@code ,"name":"value"}; names are the protocol's own, which need no escaping. */
  private static void stringField(StringBuilder out, String name, String value) {
    out.append(",\"").append(name).append("\":");
    string(out, value);
  }

  private static void numberField(StringBuilder out, String name, long value) {
    out.append(",\"").append(name).append("\":").append(value);
  }

  private static void value(StringBuilder out, Object value) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String s) {
      string(out, s);
    } else if (value instanceof FrozenMap f && f.isSingle()) {
      // A chat's body: its one entry, without an iterator.
      out.append('{');
      string(out, f.singleKey());
      out.append(':');
      value(out, f.singleValue());
      out.append('}');
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> entry : entries(map).entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        string(out, (String) entry.getKey());
        out.append(':');
        value(out, entry.getValue());
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      for (int i = 0, n = list.size(); i < n; i++) {
        if (i > 0) {
          out.append(',');
        }
        value(out, list.get(i));
      }
      out.append(']');
    } else {
      // Boolean, the integer types and BigDecimal: what Jackson writes for them is toString().
      out.append(value);
    }
  }

  /** A JSON string, escaped as Jackson's default generator does. */
  static void string(StringBuilder out, String s) {
    out.append('"');
    int start = 0;
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        continue;
      }
      out.append(s, start, i);
      start = i + 1;
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\f' -> out.append("\\f");
        case '\r' -> out.append("\\r");
        default -> out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
    }
    // A whole string appends as one copy; a range of one char by char.
    (start == 0 ? out.append(s) : out.append(s, start, s.length())).append('"');
  }
}

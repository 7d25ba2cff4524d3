package dev.tether.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The common case of {@link EnvelopeCodec#decode} in one streaming pass, without building a tree:
 * a well-formed frame whose fields all have the expected types. It never reports errors: whenever
 * anything is missing, of the wrong type, out of range, duplicated or malformed, it returns null
 * and the careful decoder runs, which either decodes the frame or says exactly what is wrong with
 * it.
 *
 * <p>Duplicate keys are refused here without Jackson's {@code STRICT_DUPLICATE_DETECTION}, which
 * keeps a {@code HashSet} of names for every object of three fields or more (every envelope): the
 * parser must come from a factory without it. The envelope's own fields are checked with a bit
 * each; a body is read into the {@code LinkedHashMap} it becomes, and a key that does not grow the
 * map is a duplicate; only fields the protocol does not know (rare) cost a list of their names.
 * Values are read as Jackson's untyped deserializer with {@code USE_BIG_DECIMAL_FOR_FLOATS} reads
 * them (maps, lists, strings, {@code Integer}/{@code Long}/{@code BigInteger}, {@code BigDecimal},
 * booleans, nulls), so that both decoders give equal envelopes.
 */
final class FastDecoder {
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

  /** Thrown to fall back to the careful decoder; no stack trace, since it is not an error here. */
  private static final class Doubt extends IOException {
    Doubt() {
      super("not for the fast decoder");
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  private static final Doubt DOUBT = new Doubt();

  private FastDecoder() {}

  /**
   * The decoded frame, or null to let the careful decoder decide.
   *
   * @param factory makes the parser; must not have {@code STRICT_DUPLICATE_DETECTION} (this
   *     decoder checks duplicates itself, for less)
   */
  static EnvelopeCodec.Counted decode(JsonFactory factory, String json) {
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
    long n = -1;
    long expected = -1;
    long retryAfter = 0;
    Map<String, Object> body = null;
    int seen = 0;
    List<String> unknown = null;
    try (JsonParser p = factory.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "type" -> {
            seen = once(seen, TYPE);
            type = string(p, value);
          }
          case "id" -> {
            seen = once(seen, ID);
            id = string(p, value);
          }
          case "room" -> {
            seen = once(seen, ROOM);
            room = string(p, value);
          }
          case "from" -> {
            seen = once(seen, FROM);
            from = string(p, value);
          }
          case "code" -> {
            seen = once(seen, CODE);
            code = string(p, value);
          }
          case "message" -> {
            seen = once(seen, MESSAGE);
            message = string(p, value);
          }
          case "epoch" -> {
            seen = once(seen, EPOCH);
            epoch = nonEmpty(p, value);
          }
          case "old_epoch" -> {
            seen = once(seen, OLD_EPOCH);
            oldEpoch = nonEmpty(p, value);
          }
          case "new_epoch" -> {
            seen = once(seen, NEW_EPOCH);
            newEpoch = nonEmpty(p, value);
          }
          case "seq" -> {
            seen = once(seen, SEQ);
            seq = count(p, value);
          }
          case "ts" -> {
            seen = once(seen, TS);
            ts = count(p, value);
          }
          case "after" -> {
            seen = once(seen, AFTER);
            after = count(p, value);
          }
          case "first" -> {
            seen = once(seen, FIRST);
            first = count(p, value);
          }
          case "last" -> {
            seen = once(seen, LAST);
            last = count(p, value);
          }
          case "n" -> {
            seen = once(seen, N);
            n = positive(p, value);
          }
          case "expected" -> {
            seen = once(seen, EXPECTED);
            expected = positive(p, value);
          }
          case "retry_after" -> {
            seen = once(seen, RETRY_AFTER);
            retryAfter = count(p, value);
          }
          case "body" -> {
            seen = once(seen, BODY);
            if (value != JsonToken.START_OBJECT) {
              return null;
            }
            body = FrozenMap.adopt(object(p));
          }
          default -> {
            // A field of a newer peer: skipped, but its name and what it holds are checked for
            // duplicates too, as the careful decoder checks them.
            if (unknown == null) {
              unknown = new ArrayList<>(2);
            } else if (unknown.contains(name)) {
              return null;
            }
            unknown.add(name);
            value(p, value);
          }
        }
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
        return null;
      }
    } catch (Exception e) {
      return null; // malformed in some way: the careful decoder names it
    }
    Wire wire = wire(type, id, room, from, epoch, seq, (seen & SEQ) != 0, ts, after, body);
    if (wire == null && "error".equals(type) && (id == null || !id.isEmpty())) {
      wire = error(id, code, message, room, first, last, oldEpoch, newEpoch, n, expected, retryAfter);
    }
    return wire == null ? null : new EnvelopeCodec.Counted(wire, Math.max(0, n));
  }

  /** {@code seen} with {@code field}; throws if it was there already (a duplicate key). */
  private static int once(int seen, int field) throws Doubt {
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

  /**
   * The object whose START_OBJECT was just read, as Jackson's untyped deserializer makes it; a key
   * that comes twice throws.
   */
  private static LinkedHashMap<String, Object> object(JsonParser p) throws IOException {
    LinkedHashMap<String, Object> map = new LinkedHashMap<>(4);
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      Object v = value(p, p.nextToken());
      int size = map.size();
      map.put(key, v);
      if (map.size() == size) {
        throw DOUBT; // a duplicate key: the careful decoder names it
      }
    }
    if (t != JsonToken.END_OBJECT) {
      throw DOUBT;
    }
    return map;
  }

  /** The value whose first token is {@code t}. Nesting is bounded by the parser's constraints. */
  private static Object value(JsonParser p, JsonToken t) throws IOException {
    if (t == null) {
      throw DOUBT;
    }
    switch (t) {
      case START_OBJECT:
        return object(p);
      case START_ARRAY: {
        List<Object> list = new ArrayList<>();
        for (JsonToken item; (item = p.nextToken()) != JsonToken.END_ARRAY; ) {
          list.add(value(p, item));
        }
        return list;
      }
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
        return p.getNumberValue();
      case VALUE_NUMBER_FLOAT:
        return p.getDecimalValue();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw DOUBT;
    }
  }

  /** A string value; anything else (null included) throws, which sends the frame to the careful decoder. */
  private static String string(JsonParser p, JsonToken value) throws IOException {
    if (value != JsonToken.VALUE_STRING) {
      throw DOUBT;
    }
    return p.getText();
  }

  /** A non-empty string, as epochs are. */
  private static String nonEmpty(JsonParser p, JsonToken value) throws IOException {
    String s = string(p, value);
    if (s.isEmpty()) {
      throw DOUBT;
    }
    return s;
  }

  /** A count of at least 1, as counters are. */
  private static long positive(JsonParser p, JsonToken value) throws IOException {
    long v = count(p, value);
    if (v < 1) {
      throw DOUBT;
    }
    return v;
  }

  private static long count(JsonParser p, JsonToken value) throws IOException {
    if (value != JsonToken.VALUE_NUMBER_INT) {
      throw DOUBT;
    }
    JsonParser.NumberType n = p.getNumberType();
    if (n != JsonParser.NumberType.INT && n != JsonParser.NumberType.LONG) {
      throw DOUBT;
    }
    long v = p.getLongValue();
    if (v < 0) {
      throw DOUBT;
    }
    return v;
  }
}

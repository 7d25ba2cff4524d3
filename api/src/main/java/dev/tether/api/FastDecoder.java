package dev.tether.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectReader;
import java.util.Map;

/**
 * The common case of {@link EnvelopeCodec#decode} in one streaming pass, without building a tree:
 * a well-formed frame whose fields all have the expected types. It never reports errors: whenever
 * anything is missing, of the wrong type, out of range or malformed, it returns null and the
 * careful decoder runs, which either decodes the frame or says exactly what is wrong with it.
 */
final class FastDecoder {
  private FastDecoder() {}

  /**
   * The decoded frame, or null to let the careful decoder decide.
   *
   * @param bodyReader reads a {@code Map<String, Object>} from the middle of a frame: it must not
   *     check for trailing tokens, since the rest of the envelope follows the body
   */
  static EnvelopeCodec.Counted decode(JsonFactory factory, ObjectReader bodyReader, String json) {
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
    boolean hasSeq = false;
    Map<String, Object> body = null;
    try (JsonParser p = factory.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "type" -> type = string(p, value);
          case "id" -> id = string(p, value);
          case "room" -> room = string(p, value);
          case "from" -> from = string(p, value);
          case "code" -> code = string(p, value);
          case "message" -> message = string(p, value);
          case "epoch" -> epoch = nonEmpty(p, value);
          case "old_epoch" -> oldEpoch = nonEmpty(p, value);
          case "new_epoch" -> newEpoch = nonEmpty(p, value);
          case "seq" -> {
            seq = count(p, value);
            hasSeq = true;
          }
          case "ts" -> ts = count(p, value);
          case "after" -> after = count(p, value);
          case "first" -> first = count(p, value);
          case "last" -> last = count(p, value);
          case "n" -> n = positive(p, value);
          case "expected" -> expected = positive(p, value);
          case "retry_after" -> retryAfter = count(p, value);
          case "body" -> {
            if (value != JsonToken.START_OBJECT) {
              return null;
            }
            body = bodyReader.readValue(p);
          }
          default -> p.skipChildren();
        }
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
        return null;
      }
    } catch (Exception e) {
      return null; // malformed in some way: the careful decoder names it
    }
    Wire wire = wire(type, id, room, from, code, message, epoch, seq, hasSeq, ts, after, body);
    if (wire == null && "error".equals(type) && (id == null || !id.isEmpty())) {
      wire = error(id, code, message, room, first, last, oldEpoch, newEpoch, n, expected, retryAfter);
    }
    return wire == null ? null : new EnvelopeCodec.Counted(wire, Math.max(0, n));
  }

  /** An ack or envelope, or null for an error frame or one the careful decoder must look at. */
  private static Wire wire(String type, String id, String room, String from, String code,
      String message, String epoch, long seq, boolean hasSeq, long ts, long after, Map<String, Object> body) {
    if (type == null || id == null || id.isEmpty()) {
      return null;
    }
    switch (type) {
      case "ack":
        return hasSeq ? new Ack(id, seq, epoch) : null;
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

  /** A string value; anything else (null included) throws, which sends the frame to the careful decoder. */
  private static String string(JsonParser p, JsonToken value) throws java.io.IOException {
    if (value != JsonToken.VALUE_STRING) {
      throw new java.io.IOException("not a string");
    }
    return p.getText();
  }

  /** A non-empty string, as epochs are. */
  private static String nonEmpty(JsonParser p, JsonToken value) throws java.io.IOException {
    String s = string(p, value);
    if (s.isEmpty()) {
      throw new java.io.IOException("empty");
    }
    return s;
  }

  /** A count of at least 1, as counters are. */
  private static long positive(JsonParser p, JsonToken value) throws java.io.IOException {
    long v = count(p, value);
    if (v < 1) {
      throw new java.io.IOException("not positive");
    }
    return v;
  }

  private static long count(JsonParser p, JsonToken value) throws java.io.IOException {
    if (value != JsonToken.VALUE_NUMBER_INT) {
      throw new java.io.IOException("not an integer");
    }
    JsonParser.NumberType n = p.getNumberType();
    if (n != JsonParser.NumberType.INT && n != JsonParser.NumberType.LONG) {
      throw new java.io.IOException("out of range");
    }
    long v = p.getLongValue();
    if (v < 0) {
      throw new java.io.IOException("negative");
    }
    return v;
  }
}

package dev.tether.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reads and writes the JSON text frames of the Tether IM protocol (see PROTOCOL.md) with Jackson.
 *
 * <p>Encoding writes fields in a fixed order ({@code type, id, room, from, seq, ts, epoch, body}
 * for envelopes, {@code type, id, seq, from, ts, epoch} for acks; PROTOCOL.md lists the others)
 * and leaves out fields that are unset. Decoding is
 * strict about what the protocol requires and lenient about the rest: unknown fields are ignored so
 * that newer peers can add some. Every decode problem is a {@link MalformedEnvelopeException} whose
 * message names the field and what was wrong, for example {@code "missing field 'room' in chat"};
 * no other exception escapes.
 *
 * <h2>The sender-order counter</h2>
 * A client that keeps sender order (PROTOCOL.md, "Sender order") numbers every envelope it writes
 * on a connection 1, 2, 3, ... in a field {@code n}. The counter belongs to one transmission, not to
 * the envelope (a resend on another connection gets another), so it is not a field of
 * {@link Envelope}: encode an envelope once with {@link #encode}, keep the string, and add the
 * counter each time it is written with {@link #withCounter}, which costs one string copy and no
 * JSON work. A server reads it with {@link #decodeCounted}; {@link #decode} checks it and drops it.
 *
 * <h2>Cost</h2>
 * A well-formed frame is decoded in one pass over its chars ({@code FastDecoder}: no parser, no
 * tree, no copy of the text) and encoded straight into one buffer ({@code FastEncoder}); only frames that are malformed or unusual (a body holding
 * a double or an application object) take the slower, careful paths, which build a tree or use
 * Jackson's generator. A decoded body is read into the map the envelope keeps: it is not copied
 * again, neither by the envelope nor by {@link Envelope#accepted}.
 *
 * <p>Instances are immutable and thread-safe; share one. {@link #shared()} is such an instance.
 */
public final class EnvelopeCodec {
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
  // After MAP, which instances use.
  private static final EnvelopeCodec SHARED = new EnvelopeCodec();

  // Strict where leniency would let two peers read one frame differently: no trailing content, no
  // duplicate keys, and floats kept exact (1e400 stays a number instead of becoming "Infinity").
  private final ObjectMapper mapper = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();
  private final JsonFactory factory = mapper.getFactory();
  /** How many frames the careful decoder has read; tests check that well-formed ones don't go there. */
  private final LongAdder carefulDecodes = new LongAdder();
  /** How many frames Jackson's generator wrote; tests check that the protocol's own don't go there. */
  private final LongAdder generatorEncodes = new LongAdder();

  /** A codec; prefer {@link #shared()}. */
  public EnvelopeCodec() {}

  /** A process-wide codec instance. */
  public static EnvelopeCodec shared() {
    return SHARED;
  }

  /**
   * Encodes {@code message} as one JSON object. Envelopes whose body holds only strings, integers,
   * big decimals, booleans, nulls, maps and lists (everything a decoded body holds) are written
   * straight into one buffer; other bodies (doubles, objects of the application) go through
   * Jackson's generator, which writes the same JSON for what both can write.
   */
  public String encode(Wire message) {
    Objects.requireNonNull(message, "message == null");
    if (FastEncoder.writes(message)) {
      return FastEncoder.write(message);
    }
    generatorEncodes.increment();
    return encodeWithGenerator(message);
  }

  /** The generator's encoding of {@code message}; the reference the fast encoder is tested against. */
  String encodeWithGenerator(Wire message) {
    StringWriter out = new StringWriter(128);
    try (JsonGenerator g = factory.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("type", message.wireType());
      if (message instanceof Envelope e) {
        writeEnvelope(g, e);
      } else if (message instanceof Ack a) {
        g.writeStringField("id", a.id());
        g.writeNumberField("seq", a.seq());
        if (a.from() != null) {
          g.writeStringField("from", a.from());
        }
        if (a.ts() != 0) {
          g.writeNumberField("ts", a.ts());
        }
        if (a.epoch() != null) {
          g.writeStringField("epoch", a.epoch());
        }
      } else if (message instanceof ErrorReply r) {
        writeError(g, r);
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + message.wireType(), e);
    }
    return out.toString();
  }

  private void writeEnvelope(JsonGenerator g, Envelope e) throws IOException {
    g.writeStringField("id", e.id());
    g.writeStringField("room", e.room());
    if (e.from() != null) {
      g.writeStringField("from", e.from());
    }
    if (e.type() == Envelope.Type.RESUME) {
      g.writeNumberField("after", e.seq());
    } else if (e.seq() != 0) {
      g.writeNumberField("seq", e.seq());
    }
    if (e.ts() != 0) {
      g.writeNumberField("ts", e.ts());
    }
    if (e.epoch() != null) {
      g.writeStringField("epoch", e.epoch());
    }
    if (!e.body().isEmpty()) {
      g.writeFieldName("body");
      mapper.writeValue(g, e.body());
    }
  }

  private static void writeError(JsonGenerator g, ErrorReply r) throws IOException {
    if (r.id() != null) {
      g.writeStringField("id", r.id());
    }
    g.writeStringField("code", r.code());
    g.writeStringField("message", r.message());
    if (r.room() != null) {
      g.writeStringField("room", r.room());
    }
    if (r.last() != 0) {
      g.writeNumberField("first", r.first());
      g.writeNumberField("last", r.last());
    }
    if (r.oldEpoch() != null) {
      g.writeStringField("old_epoch", r.oldEpoch());
    }
    if (r.newEpoch() != null) {
      g.writeStringField("new_epoch", r.newEpoch());
    }
    if (r.n() != 0) {
      g.writeNumberField("n", r.n());
    }
    if (r.expected() != 0) {
      g.writeNumberField("expected", r.expected());
    }
    if (r.retryAfterMillis() != 0) {
      g.writeNumberField("retry_after", r.retryAfterMillis());
    }
  }

  /**
   * {@code frame}, an envelope as {@link #encode} made it (without a counter), with the
   * sender-order counter {@code "n":n} added as its last field. Meant for the moment an already
   * encoded envelope is written to a connection: it copies the string once and does no JSON work.
   * Adding a counter to a frame that already has one makes a frame the server refuses as
   * {@code malformed} (a duplicate field).
   *
   * @throws IllegalArgumentException if {@code n < 1} or {@code frame} is not a JSON object with
   *     at least one field
   */
  public String withCounter(String frame, long n) {
    Objects.requireNonNull(frame, "frame == null");
    if (n < 1) {
      throw new IllegalArgumentException("n < 1: " + n);
    }
    int end = frame.length() - 1;
    if (end < 2 || frame.charAt(0) != '{' || frame.charAt(end) != '}') {
      throw new IllegalArgumentException("not an encoded envelope: " + truncate(frame));
    }
    StringBuilder b = FastEncoder.buffer().append(frame); // one copy, then the closing brace goes
    b.setLength(end);
    return FastEncoder.done(b.append(",\"n\":").append(n).append('}'));
  }

  /**
   * Decodes one frame.
   *
   * @throws MalformedEnvelopeException if {@code json} is not a protocol frame; the message says why
   */
  public Wire decode(String json) {
    Objects.requireNonNull(json, "json == null");
    Wire fast = FastDecoder.decodeWire(json);
    if (fast != null) {
      return fast;
    }
    carefulDecodes.increment();
    return decodeTree(json).wire();
  }

  /**
   * Decodes one frame and its sender-order counter {@code n}, for a server (see PROTOCOL.md,
   * "Sender order").
   *
   * @throws MalformedEnvelopeException if {@code json} is not a protocol frame; the message says why
   */
  public Counted decodeCounted(String json) {
    Objects.requireNonNull(json, "json == null");
    Counted fast = FastDecoder.decode(json);
    if (fast != null) {
      return fast;
    }
    carefulDecodes.increment();
    return decodeTree(json);
  }

  /**
   * A decoded frame and the sender-order counter it carried.
   *
   * @param wire the frame
   * @param n its {@code n} field, at least 1; 0 if it had none
   */
  public record Counted(Wire wire, long n) {
    /** Checks the fields: {@code wire} non-null, {@code n} not negative. */
    public Counted {
      Objects.requireNonNull(wire, "wire == null");
      if (n < 0) {
        throw new IllegalArgumentException("n < 0: " + n);
      }
    }
  }

  /** The number of frames this codec decoded with the careful decoder rather than the fast path. */
  long carefulDecodes() {
    return carefulDecodes.sum();
  }

  /** The number of frames this codec encoded with Jackson's generator rather than the fast encoder. */
  long generatorEncodes() {
    return generatorEncodes.sum();
  }


  /**
   * The careful decoder: reads a tree, then checks every field, so that each problem gets its own
   * message. {@link FastDecoder} handles well-formed frames; anything it is unsure of comes here.
   */
  Counted decodeTree(String json) {
    JsonNode node;
    try {
      node = mapper.readTree(json);
    } catch (JsonProcessingException e) {
      throw new MalformedEnvelopeException("malformed JSON: " + e.getOriginalMessage(), e);
    } catch (RuntimeException e) {
      // Jackson's number and nesting constraints surface as runtime exceptions in some paths.
      throw new MalformedEnvelopeException("malformed JSON: " + e.getMessage(), e);
    }
    if (node == null || node.isMissingNode()) {
      throw new MalformedEnvelopeException("malformed JSON: empty frame");
    }
    if (!node.isObject()) {
      throw new MalformedEnvelopeException("expected a JSON object, got " + describe(node));
    }
    JsonNode typeNode = node.get("type");
    if (typeNode == null || typeNode.isNull()) {
      throw new MalformedEnvelopeException("missing field 'type'");
    }
    if (!typeNode.isTextual()) {
      throw new MalformedEnvelopeException("field 'type' must be a string, was " + describe(typeNode));
    }
    String type = typeNode.textValue();
    Wire wire;
    switch (type) {
      case "ack":
        String ackId = requiredString(node, "id", type);
        if (ackId.isEmpty()) {
          throw new MalformedEnvelopeException("field 'id' in ack is empty");
        }
        wire = new Ack(ackId, requiredCount(node, "seq", type), optionalEpoch(node, "epoch", type),
            optionalString(node, "from", type), optionalCount(node, "ts", type));
        break;
      case "error":
        wire = decodeError(node);
        break;
      default:
        Envelope.Type envelopeType = Envelope.Type.fromWireName(type);
        if (envelopeType == null) {
          throw new MalformedEnvelopeException("unknown type '" + truncate(type) + "'");
        }
        wire = decodeEnvelope(envelopeType, node);
    }
    return new Counted(wire, optionalPositive(node, "n", type));
  }

  private static ErrorReply decodeError(JsonNode node) {
    String t = "error";
    String id = optionalString(node, "id", t);
    String code = requiredString(node, "code", t);
    String message = requiredString(node, "message", t);
    String room = optionalString(node, "room", t);
    long first = 0;
    long last = 0;
    if (node.hasNonNull("first") || node.hasNonNull("last")) {
      first = requiredCount(node, "first", t);
      last = requiredCount(node, "last", t);
      if (last < first) {
        throw new MalformedEnvelopeException("range in error is empty: first " + first + " > last " + last);
      }
    }
    return new ErrorReply(id, code, message, room, first, last,
        optionalEpoch(node, "old_epoch", t), optionalEpoch(node, "new_epoch", t),
        optionalPositive(node, "n", t), optionalPositive(node, "expected", t),
        optionalCount(node, "retry_after", t));
  }

  private Envelope decodeEnvelope(Envelope.Type type, JsonNode node) {
    String t = type.wireName();
    String id = requiredString(node, "id", t);
    String room = requiredString(node, "room", t);
    String from = optionalString(node, "from", t);
    long seq = type == Envelope.Type.RESUME ? requiredCount(node, "after", t) : optionalCount(node, "seq", t);
    long ts = optionalCount(node, "ts", t);
    Map<String, Object> body = Map.of();
    JsonNode bodyNode = node.get("body");
    if (bodyNode != null && !bodyNode.isNull()) {
      if (!bodyNode.isObject()) {
        throw new MalformedEnvelopeException(
            "field 'body' in " + t + " must be an object, was " + describe(bodyNode));
      }
      body = mapper.convertValue(bodyNode, MAP);
    }
    if (type == Envelope.Type.CHAT) {
      JsonNode text = bodyNode == null ? null : bodyNode.get("text");
      if (text == null || text.isNull()) {
        throw new MalformedEnvelopeException("missing field 'body.text' in chat");
      }
      if (!text.isTextual()) {
        throw new MalformedEnvelopeException(
            "field 'body.text' in chat must be a string, was " + describe(text));
      }
    }
    if (id.isEmpty()) {
      throw new MalformedEnvelopeException("field 'id' in " + t + " is empty");
    }
    if (room.isEmpty()) {
      throw new MalformedEnvelopeException("field 'room' in " + t + " is empty");
    }
    return new Envelope(type, id, room, from, seq, ts, body, optionalEpoch(node, "epoch", t));
  }

  /** An optional epoch: a non-empty string. */
  private static String optionalEpoch(JsonNode node, String field, String type) {
    String value = optionalString(node, field, type);
    if (value != null && value.isEmpty()) {
      throw new MalformedEnvelopeException("field '" + field + "' in " + type + " is empty");
    }
    return value;
  }

  /** An optional counter: an integer of at least 1; 0 if absent. */
  private static long optionalPositive(JsonNode node, String field, String type) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return 0;
    }
    if (!value.isIntegralNumber()) {
      throw new MalformedEnvelopeException(
          "field '" + field + "' in " + type + " must be an integer, was " + describe(value));
    }
    if (!value.canConvertToLong() || value.longValue() < 1) {
      throw new MalformedEnvelopeException(
          "field '" + field + "' in " + type + " must be between 1 and 2^63-1, was "
              + truncate(value.asText()));
    }
    return value.longValue();
  }

  private static String requiredString(JsonNode node, String field, String type) {
    String value = optionalString(node, field, type);
    if (value == null) {
      throw new MalformedEnvelopeException("missing field '" + field + "' in " + type);
    }
    return value;
  }

  private static String optionalString(JsonNode node, String field, String type) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new MalformedEnvelopeException(
          "field '" + field + "' in " + type + " must be a string, was " + describe(value));
    }
    return value.textValue();
  }

  private static long requiredCount(JsonNode node, String field, String type) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new MalformedEnvelopeException("missing field '" + field + "' in " + type);
    }
    return count(value, field, type);
  }

  private static long optionalCount(JsonNode node, String field, String type) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? 0 : count(value, field, type);
  }

  private static long count(JsonNode value, String field, String type) {
    if (!value.isIntegralNumber()) {
      throw new MalformedEnvelopeException(
          "field '" + field + "' in " + type + " must be an integer, was " + describe(value));
    }
    if (!value.canConvertToLong() || value.longValue() < 0) {
      throw new MalformedEnvelopeException(
          "field '" + field + "' in " + type + " must be between 0 and 2^63-1, was "
              + truncate(value.asText()));
    }
    return value.longValue();
  }

  private static String describe(JsonNode node) {
    JsonNodeType t = node.getNodeType();
    switch (t) {
      case ARRAY:
        return "an array";
      case OBJECT:
        return "an object";
      case STRING:
        return "a string";
      case NUMBER:
        return "a number";
      case BOOLEAN:
        return "a boolean";
      case NULL:
        return "null";
      default:
        return t.name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private static String truncate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}

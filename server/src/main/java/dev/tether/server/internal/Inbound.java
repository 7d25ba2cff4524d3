package dev.tether.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ErrorReply;
import dev.tether.api.MalformedEnvelopeException;
import dev.tether.api.Wire;
import dev.tether.api.WireRules;
import java.nio.ByteBuffer;

/**
 * What every frame a connection sends goes through before it is acted on, in this order: size
 * (closes with 1009), rate (refused {@code rate_limited}), sender order (refused
 * {@code out_of_order}, see {@link SenderOrder}), decoding (refused {@code malformed},
 * {@code unknown_type} or {@code unexpected_type}); then a chat goes to the {@link ChatPath}, a
 * join, resume or leave to the {@link Memberships}, and a frame that is not an envelope is echoed.
 * Every frame is answered; a frame refused before it is decoded is answered with the id and
 * counter read from its JSON, if it is any. Frames that arrive once the connection is closing are
 * not acted on.
 *
 * <p>Threads: called on the container's threads, one frame of a connection at a time (frames of
 * different connections at once). No state and no lock of its own; what it changes per connection
 * (the rate limiter, the sender order) only that connection's frame thread touches.
 */
final class Inbound {
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Hub hub;
  private final HubConfig config;
  private final ChatPath chats;
  private final Memberships memberships;

  Inbound(Hub hub, HubConfig config, ChatPath chats, Memberships memberships) {
    this.hub = hub;
    this.config = config;
    this.chats = chats;
    this.memberships = memberships;
  }

  void onBinary(Peer peer, ByteBuffer bytes) {
    if (bytes.remaining() > hub.maxMessageSize()) {
      hub.closings().tooBig(peer, bytes.remaining());
      return;
    }
    // The container may recycle its buffer once we return: this copy is ours.
    ByteBuffer copy = ByteBuffer.allocate(bytes.remaining()).put(bytes.duplicate()).flip();
    config.tap().frame(peer.user(), null, copy, null, 0);
    if (peer.isClosing()) {
      return;
    }
    if (!peer.withinRateLimit()) {
      peer.reply(rateLimited(null, 0, peer.retryAfterMillis()));
      return;
    }
    peer.send(copy.duplicate());
  }

  void onText(Peer peer, String text) {
    int max = hub.maxMessageSize();
    // Each char is at most 3 UTF-8 bytes (a surrogate pair, 2 chars, is 4): count only long texts.
    if (text.length() > max / 3) {
      long size = WireRules.utf8Length(text);
      if (size > max) {
        hub.closings().tooBig(peer, size);
        return;
      }
    }
    boolean isEnvelope = WireRules.isEnvelope(text);
    boolean limited = !peer.withinRateLimit();
    EnvelopeCodec.Counted counted = null;
    MalformedEnvelopeException malformed = null;
    if (isEnvelope && !limited) {
      try {
        counted = CODEC.decodeCounted(text);
      } catch (MalformedEnvelopeException e) {
        malformed = e;
      }
    }
    // Refused frames are not decoded: their id and counter are read from the JSON, if it is any.
    Ids ids = !isEnvelope ? Ids.NONE : counted != null ? Ids.of(counted) : Ids.of(text);
    Wire wire = counted == null ? null : counted.wire();
    config.tap().frame(peer.user(), text, null, wire instanceof Envelope e ? e : null, ids.n());
    if (peer.isClosing()) {
      return;
    }
    if (limited) {
      // Not taken: the counter stays, so what follows is out of order until this comes again.
      peer.reply(rateLimited(ids.id(), ids.n(), peer.retryAfterMillis()));
      return;
    }
    if (!isEnvelope) {
      peer.send(text);
      return;
    }
    if (peer.order().check(ids.n()) == SenderOrder.Verdict.AHEAD) {
      peer.reply(ErrorReply.outOfOrder(ids.id(), ids.n(), peer.order().expected()));
      return;
    }
    if (malformed != null) {
      String code = malformed.getMessage().startsWith("unknown type ") ? "unknown_type" : "malformed";
      peer.reply(new ErrorReply(ids.id(), code, malformed.getMessage()));
    } else if (wire instanceof Envelope envelope) {
      switch (envelope.type()) {
        case CHAT -> chats.chat(peer, envelope, ids.n());
        case JOIN, LEAVE, RESUME -> memberships.request(peer, envelope);
      }
    } else if (wire instanceof Ack ack) {
      peer.reply(unexpected(ack.id(), ack.wireType()));
    } else if (wire instanceof ErrorReply error) {
      peer.reply(unexpected(error.id(), error.wireType()));
    }
  }

  private ErrorReply rateLimited(String id, long n, long retryAfterMillis) {
    return ErrorReply.rateLimited(id, n, retryAfterMillis, "more than " + config.limits().messagesPerSecond()
        + " messages a second on this connection: refused");
  }

  private static ErrorReply unexpected(String id, String type) {
    return new ErrorReply(id, "unexpected_type", "clients may not send '" + type + "'");
  }

  /**
   * The id and sender-order counter of a frame, for its answer: null and 0 where it has none.
   */
  private record Ids(String id, long n) {
    static final Ids NONE = new Ids(null, 0);

    static Ids of(EnvelopeCodec.Counted counted) {
      Wire w = counted.wire();
      String id = w instanceof Envelope e ? e.id() : w instanceof Ack a ? a.id() : ((ErrorReply) w).id();
      return new Ids(id, counted.n());
    }

    /** Read from a JSON object the codec did not decode: a string {@code id}, an integer {@code n} ≥ 1. */
    static Ids of(String text) {
      try {
        JsonNode node = MAPPER.readTree(text);
        if (node == null || !node.isObject()) {
          return NONE;
        }
        JsonNode id = node.get("id");
        JsonNode n = node.get("n");
        return new Ids(id != null && id.isTextual() && !id.textValue().isEmpty() ? id.textValue() : null,
            n != null && n.isIntegralNumber() && n.canConvertToLong() && n.longValue() > 0 ? n.longValue() : 0);
      } catch (Exception e) {
        return NONE;
      }
    }
  }
}

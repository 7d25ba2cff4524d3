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
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of one server that outlives restarts: rooms with their seq counters and history, the
 * dedup memory and the counters; plus the open connections. Every received frame is shown to a
 * {@link FrameTap} first. All
 * methods are thread-safe and are called on Tyrus worker threads (frames) or the user's thread
 * (fault tooling). Chats, joins and resumes of one room are handled under that room's lock; sends
 * are asynchronous, so no lock is held while waiting on the network.
 */
public final class Hub {
  static final int DEDUP_CAPACITY = 100_000;
  /** Chats of history kept per room unless configured otherwise. */
  public static final int HISTORY_LIMIT = 10_000;

  private static final Logger log = LoggerFactory.getLogger(Hub.class);
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Clock clock;
  private final int historyLimit;
  private final Limits limits;
  /** Maps a bearer token to its user, or null if unknown; null for no authentication. */
  private final java.util.function.Function<String, String> authenticator;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
  private final Dedup dedup = new Dedup(DEDUP_CAPACITY);
  private final FrameTap tap;
  private final Set<Peer> peers = ConcurrentHashMap.newKeySet();
  private final AtomicInteger handshakes = new AtomicInteger();
  private final AtomicInteger anonymous = new AtomicInteger();
  private final AtomicBoolean rejecting = new AtomicBoolean();

  /**
   * @param clock stamps accepted chats
   * @param historyLimit chats of history kept per room, at least 1
   * @param limits message size, rate and origin limits
   * @param nanoTime measures time for rate limits
   * @param authenticator maps a bearer token to its user, or to null if it is not accepted; null
   *     for no authentication (the {@code user} query parameter is trusted)
   * @param tap sees every frame received
   */
  public Hub(Clock clock, int historyLimit, Limits limits, LongSupplier nanoTime,
      java.util.function.Function<String, String> authenticator, FrameTap tap) {
    if (historyLimit < 1) {
      throw new IllegalArgumentException("historyLimit < 1: " + historyLimit);
    }
    this.clock = clock;
    this.historyLimit = historyLimit;
    this.limits = limits;
    this.nanoTime = nanoTime;
    this.authenticator = authenticator;
    this.tap = tap;
  }

  public int maxMessageSize() {
    return limits.maxMessageSize();
  }

  /** The config of this hub's endpoint at {@code /im}, to deploy on a Tyrus server container. */
  public ServerEndpointConfig endpointConfig() {
    return ServerEndpointConfig.Builder.create(ImEndpoint.class, "/im")
        .configurator(new ImConfigurator(this))
        .build();
  }

  /**
   * Says whether a handshake with this {@code Origin} (null: none) may go on; counts it if not,
   * as {@link #admitHandshake} is not called then.
   */
  boolean admitOrigin(String origin) {
    if (limits.admitsOrigin(origin)) {
      return true;
    }
    handshakes.incrementAndGet();
    return false;
  }

  /** Counts a handshake and says whether it may go on. */
  boolean admitHandshake() {
    handshakes.incrementAndGet();
    return !rejecting.get();
  }

  java.util.function.Function<String, String> authenticator() {
    return authenticator;
  }

  public void rejectNewConnections(boolean reject) {
    rejecting.set(reject);
  }

  public int handshakeCount() {
    return handshakes.get();
  }

  public int connectionCount() {
    return peers.size();
  }

  /** The newest accepted chats of {@code room}, oldest first; empty for an unknown room. */
  public List<Envelope> history(String room) {
    Room r = rooms.get(room);
    return r == null ? List.of() : r.history();
  }

  Peer open(Session session, String user) {
    RateLimiter limiter =
        limits.messagesPerSecond() == 0 ? null : new RateLimiter(limits.messagesPerSecond(), nanoTime);
    Peer peer = new Peer(session, user == null || user.isEmpty() ? nextAnonymous() : user, limiter);
    peers.add(peer);
    return peer;
  }

  private String nextAnonymous() {
    return "anon-" + anonymous.incrementAndGet();
  }

  void closed(Peer peer) {
    if (!peers.remove(peer)) {
      return;
    }
    for (Room room : peer.rooms()) {
      synchronized (room) {
        room.members().remove(peer);
      }
    }
    peer.rooms().clear();
  }

  /** Forgets every connection, for a server that stopped: their memberships end with them. */
  public void closedAll() {
    for (Peer peer : List.copyOf(peers)) {
      closed(peer);
    }
  }

  /** Aborts every connection; they stop counting as open at once, not when Tyrus notices. */
  public void dropAll() {
    for (Peer peer : List.copyOf(peers)) {
      try {
        peer.abort();
      } finally {
        closed(peer);
      }
    }
  }

  public void sendAll(String text) {
    for (Peer peer : List.copyOf(peers)) {
      peer.send(text);
    }
  }

  public void closeAll(int code, String reason) {
    for (Peer peer : List.copyOf(peers)) {
      peer.close(code, reason);
    }
  }

  void onBinary(Peer peer, ByteBuffer bytes) {
    if (bytes.remaining() > limits.maxMessageSize()) {
      tooBig(peer, bytes.remaining());
      return;
    }
    if (!peer.withinRateLimit()) {
      tap.received(peer.user(), null, copyOf(bytes), null);
      reply(peer, rateLimited(null));
      return;
    }
    ByteBuffer copy = copyOf(bytes);
    tap.received(peer.user(), null, copy, null);
    peer.send(copy.duplicate());
  }

  void onText(Peer peer, String text) {
    // Each char is at most 3 UTF-8 bytes (a surrogate pair, 2 chars, is 4): count only long texts.
    if (text.length() > limits.maxMessageSize() / 3) {
      long size = WireRules.utf8Length(text);
      if (size > limits.maxMessageSize()) {
        tooBig(peer, size);
        return;
      }
    }
    if (!peer.withinRateLimit()) {
      tap.received(peer.user(), text, null, null);
      reply(peer, rateLimited(WireRules.isEnvelope(text) ? idOf(text) : null));
      return;
    }
    if (!WireRules.isEnvelope(text)) {
      tap.received(peer.user(), text, null, null);
      peer.send(text);
      return;
    }
    Wire wire;
    try {
      wire = CODEC.decode(text);
    } catch (MalformedEnvelopeException e) {
      tap.received(peer.user(), text, null, null);
      String code = e.getMessage().startsWith("unknown type ") ? "unknown_type" : "malformed";
      reply(peer, new ErrorReply(idOf(text), code, e.getMessage()));
      return;
    }
    tap.received(peer.user(), text, null, wire instanceof Envelope e ? e : null);
    if (wire instanceof Envelope envelope) {
      switch (envelope.type()) {
        case CHAT -> chat(peer, envelope);
        case JOIN -> join(peer, envelope);
        case LEAVE -> leave(peer, envelope);
        case RESUME -> resume(peer, envelope);
      }
    } else if (wire instanceof Ack ack) {
      reply(peer, unexpected(ack.id(), ack.wireType()));
    } else if (wire instanceof ErrorReply error) {
      reply(peer, unexpected(error.id(), error.wireType()));
    }
  }

  /** Closes with 1009; Tyrus has already read the frame, so nothing more is to be saved. */
  private void tooBig(Peer peer, long size) {
    log.debug("{} sent {} bytes, more than {}: closing with 1009", peer, size, limits.maxMessageSize());
    peer.close(CloseReason.CloseCodes.TOO_BIG.getCode(),
        "message > " + limits.maxMessageSize() + " bytes: " + size);
  }

  private ErrorReply rateLimited(String id) {
    return new ErrorReply(id, "rate_limited",
        "more than " + limits.messagesPerSecond() + " messages a second on this connection: refused");
  }

  private static ByteBuffer copyOf(ByteBuffer bytes) {
    return ByteBuffer.allocate(bytes.remaining()).put(bytes.duplicate()).flip();
  }

  private static ErrorReply unexpected(String id, String type) {
    return new ErrorReply(id, "unexpected_type", "clients may not send '" + type + "'");
  }

  private void chat(Peer peer, Envelope chat) {
    Room room = rooms.get(chat.room());
    if (room == null) {
      reply(peer, notMember(chat));
      return;
    }
    synchronized (room) {
      Long seq = dedup.seqOf(peer.user(), chat.id());
      if (seq != null) {
        reply(peer, new Ack(chat.id(), seq));
        return;
      }
      if (!room.members().contains(peer)) {
        reply(peer, notMember(chat));
        return;
      }
      Envelope stamped = chat.accepted(peer.user(), room.lastSeq() + 1, clock.millis());
      room.append(stamped);
      dedup.remember(peer.user(), chat.id(), stamped.seq());
      reply(peer, new Ack(chat.id(), stamped.seq()));
      String json = CODEC.encode(stamped);
      for (Peer member : room.members()) {
        member.send(json);
      }
    }
  }

  private static ErrorReply notMember(Envelope chat) {
    return new ErrorReply(
        chat.id(), "not_member", "not a member of room '" + chat.room() + "': join it first");
  }

  private void join(Peer peer, Envelope join) {
    Room room = rooms.computeIfAbsent(join.room(), name -> new Room(name, historyLimit));
    synchronized (room) {
      if (!enter(peer, room)) {
        return;
      }
      reply(peer, new Ack(join.id(), room.lastSeq()));
    }
  }

  /**
   * Joins, replays the held chats above {@code after} and acks, all under the room's lock: a live
   * chat fans out either before the replay starts (and is then part of it, or was already
   * delivered to a member) or after the ack, never in between.
   */
  private void resume(Peer peer, Envelope resume) {
    Room room = rooms.computeIfAbsent(resume.room(), name -> new Room(name, historyLimit));
    synchronized (room) {
      if (!enter(peer, room)) {
        return;
      }
      long after = resume.seq();
      long oldest = room.oldestSeq();
      // Not "oldest > after + 1": after may be Long.MAX_VALUE.
      if (after < oldest - 1) {
        reply(peer, ErrorReply.historyGap(resume.id(), room.name(), after + 1, oldest - 1));
      }
      for (Envelope chat : room.since(after)) {
        reply(peer, chat);
      }
      reply(peer, new Ack(resume.id(), room.lastSeq()));
    }
  }

  /**
   * Requires the room's monitor. Makes {@code peer} a member of {@code room}; false if the
   * connection has closed meanwhile, in which case it is left no member.
   */
  private boolean enter(Peer peer, Room room) {
    room.members().add(peer);
    peer.rooms().add(room);
    if (!peers.contains(peer)) {
      // The connection closed while we were joining: don't leave a dead member behind.
      room.members().remove(peer);
      return false;
    }
    return true;
  }

  private void leave(Peer peer, Envelope leave) {
    Room room = rooms.get(leave.room());
    if (room == null) {
      reply(peer, new Ack(leave.id(), 0));
      return;
    }
    synchronized (room) {
      room.members().remove(peer);
      peer.rooms().remove(room);
      reply(peer, new Ack(leave.id(), room.lastSeq()));
    }
  }

  private static void reply(Peer peer, Wire wire) {
    peer.send(CODEC.encode(wire));
  }

  /** The string {@code id} of a JSON object, or null if the text is not one or has none. */
  private static String idOf(String text) {
    try {
      JsonNode id = MAPPER.readTree(text).get("id");
      return id != null && id.isTextual() && !id.textValue().isEmpty() ? id.textValue() : null;
    } catch (Exception e) {
      return null;
    }
  }
}

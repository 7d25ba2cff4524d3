package dev.tether.server.internal;

import dev.tether.api.Wire;
import dev.tether.api.WireRules;
import dev.tether.server.internal.Outbound.Frame;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One open WebSocket connection of a server: its user, its memberships (one
 * {@link Subscription} per room), its {@link Outbound} queue and its {@link SenderOrder}. Frames of
 * one connection are handled one at a time by the container; memberships are changed on that
 * thread and read by others, so the map is concurrent. Once the server has decided to close the
 * connection it is {@linkplain #closing() closing}, and frames that still arrive are not acted on.
 */
public final class Peer {
  private final Session session;
  private final String user;
  /** The endpoint config (its configurator) the connection came in through. */
  private final Object entry;
  /** Null when the server sets no rate limit. */
  private final RateLimiter limiter;
  private final ConcurrentHashMap<String, Subscription> subscriptions = new ConcurrentHashMap<>(4);
  private final SenderOrder order = new SenderOrder();
  /** Whether the connection negotiated protocol v2 ({@link WireRules#PROTOCOL_V2}). */
  private final boolean v2;
  private Outbound outbound;
  private volatile boolean closing;

  Peer(Session session, String user, RateLimiter limiter, Object entry) {
    this.session = session;
    this.user = user;
    this.entry = entry;
    this.limiter = limiter;
    this.v2 = WireRules.PROTOCOL_V2.equals(session.getNegotiatedSubprotocol());
  }

  /** Whether the connection speaks protocol v2: its own chats are answered by acks that stand for them. */
  boolean v2() {
    return v2;
  }

  /** Set once, right after construction. */
  void outbound(Outbound outbound) {
    this.outbound = outbound;
  }

  Outbound outbound() {
    return outbound;
  }

  Session session() {
    return session;
  }

  /** Whether the connection came in through {@code endpoint}'s config; any for null. */
  boolean cameThrough(Object endpoint) {
    return endpoint == null || endpoint == entry;
  }

  /** Whether this frame is within the connection's rate limit; always true without one. */
  boolean withinRateLimit() {
    return limiter == null || limiter.tryAcquire();
  }

  /** How long until a frame is within the rate limit again, in milliseconds (at least 1). */
  long retryAfterMillis() {
    return limiter == null ? 1 : limiter.millisUntilNextToken();
  }

  SenderOrder order() {
    return order;
  }

  /** The server is closing this connection: what still arrives on it is not acted on. */
  void closing() {
    closing = true;
  }

  boolean isClosing() {
    return closing;
  }

  /** The user this connection belongs to. */
  public String user() {
    return user;
  }

  Subscription subscription(String room) {
    return subscriptions.get(room);
  }

  void subscribe(Subscription subscription) {
    subscriptions.put(subscription.room(), subscription);
  }

  Subscription unsubscribe(String room) {
    return subscriptions.remove(room);
  }

  Collection<Subscription> subscriptions() {
    return subscriptions.values();
  }

  /** Queues an ack, error or chat for this connection; dropped if the connection is going. */
  void reply(Wire wire) {
    outbound.enqueue(Frame.text(Hub.encode(wire), true));
  }

  /**
   * Queues {@code text} exactly as given, as one text frame; dropped if the connection is going.
   * For echoes, and for test tooling that sends what a server might.
   */
  public void send(String text) {
    outbound.enqueue(Frame.text(text, true));
  }

  /** Queues a binary frame; the buffer must be this peer's own. */
  void send(ByteBuffer bytes) {
    outbound.enqueue(Frame.binary(bytes));
  }

  /** Sends a close frame with {@code code} and {@code reason} (see {@link Connections#close}). */
  public void close(int code, String reason) {
    closing = true;
    Connections.close(session, code, reason);
  }

  /** Ends the TCP connection without a close frame where the container allows it, else closes with 1011. */
  public void abort() {
    closing = true;
    Connections.abort(session);
  }

  @Override
  public String toString() {
    return "Peer{" + user + ", " + session.getId() + "}";
  }
}

package dev.tether.server.internal;

import dev.tether.api.Wire;
import dev.tether.api.WireRules;
import dev.tether.server.internal.Outbound.Frame;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

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
  /** A membership stays here until it ends, also while it is leaving. */
  private final ConcurrentHashMap<String, Subscription> subscriptions = new ConcurrentHashMap<>(4);
  /**
   * Per room, the requests waiting for a leaving membership to end; a room is here only while one
   * is leaving or its waiting requests are being performed. Compound changes hold the map's lock.
   */
  private final ConcurrentHashMap<String, RoomRequests> requests = new ConcurrentHashMap<>(0);
  private final SenderOrder order = new SenderOrder();
  /** Whether the connection negotiated protocol v2 ({@link WireRules#PROTOCOL_V2}). */
  private final boolean v2;
  private final Outbound outbound;
  private volatile boolean closing;

  /** {@code outbound}: makes the connection's queue, given this peer (its handlers may name it). */
  Peer(Session session, String user, RateLimiter limiter, Object entry, Function<Peer, Outbound> outbound) {
    this.session = session;
    this.user = user;
    this.entry = entry;
    this.limiter = limiter;
    this.v2 = WireRules.PROTOCOL_V2.equals(session.getNegotiatedSubprotocol());
    this.outbound = outbound.apply(this);
  }

  /** Whether the connection speaks protocol v2: its own chats are answered by acks that stand for them. */
  boolean v2() {
    return v2;
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

  /** Forgets {@code subscription} if it is still this connection's membership of its room. */
  void unsubscribe(Subscription subscription) {
    subscriptions.remove(subscription.room(), subscription);
  }

  /**
   * Whether a chat for {@code room} that arrives now is a member's: the last join, resume or leave
   * the connection sent for it was not a leave. Call on the connection's thread.
   */
  boolean isMember(String room) {
    RoomRequests waiting = requests.get(room);
    return waiting != null ? waiting.member : subscriptions.get(room) != null;
  }

  /** The lock of {@link #requests(String)} and of changes to it. */
  Object requestsLock() {
    return requests;
  }

  /** The requests of {@code room} waiting for a leave, or null; see {@link #requestsLock()}. */
  RoomRequests requests(String room) {
    return requests.get(room);
  }

  /** Holds what comes for {@code room} until {@code leaving} has left; requires the requests lock. */
  RoomRequests holdRequests(String room, Subscription leaving) {
    RoomRequests r = requests.computeIfAbsent(room, name -> new RoomRequests());
    r.leaving = leaving;
    return r;
  }

  /** Nothing waits for {@code room} any more; requires the requests lock. */
  void releaseRequests(String room) {
    requests.remove(room);
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

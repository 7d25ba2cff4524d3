package dev.tether.server.internal;

import dev.tether.api.EnvelopeCodec;
import dev.tether.api.Wire;
import dev.tether.api.WireRules;
import dev.tether.server.RoomStore;
import dev.tether.server.ServerStats;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The IM server of PROTOCOL.md, on any JSR-356 container: its connections, from the handshake's
 * admission to their close, and the parts that act on their frames. Room state (epochs, seqs,
 * history, dedup) is the {@link RoomStore}'s; the hub holds only connections, their memberships
 * and counters. The work is split by job:
 * <ul>
 *   <li>{@link Inbound}: each frame's checks (size, rate, sender order, decoding), in that order;
 *   <li>{@link ChatPath}: a chat's way from its connection through the store to its room's members
 *       and its sender's ack;
 *   <li>{@link Memberships}: joins, resumes and leaves, and the requests waiting behind a leave;
 *   <li>{@link Rooms}: which memberships each room's chats go to, and the store's feed;
 *   <li>{@link Subscription}: one membership's state machine (and its {@link Replay}s);
 *   <li>{@link Closings}: ending the connections the server gives up on (a store failure, a hole
 *       in a member's fan-out, a frame too big, a slow member, a failed send);
 *   <li>the hub itself: the open connections and admission (the connection cap), going away, the
 *       threads and the counters.
 * </ul>
 * Nothing here waits on the network or the disk: frames are queued to each connection's
 * {@link Outbound} and written by the shared send threads ({@code tether-server-N}, daemon, one
 * per core, at least two), store reads and writes run on the store's threads. Every frame is
 * answered, and the answers go out in the order the frames came, also those that wait on the
 * store (see {@link Outbound}).
 *
 * <p>Store failures: a chat the store refuses before its call returns (a store that knows it is
 * down) is answered {@code unavailable} and the connection's expected counter is not moved, so the
 * client sends it again later, in order. Any other store failure closes the connection with 1011,
 * and frames arriving after that are not acted on: the client resends what has no ack on its next
 * connection.
 *
 * <p>Thread-safe. Frames of one connection arrive one at a time on the container's threads;
 * connections open and close on the container's threads, and are forgotten on tooling's and the
 * timer's. The set of connections is concurrent; its monitor guards nothing but is what
 * {@link #goAway} waits on, notified by {@link #closed}. The counters are {@link LongAdder}s,
 * counted from any thread.
 */
public final class Hub {
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();
  private static final AtomicInteger HUBS = new AtomicInteger();

  private final HubConfig config;
  private final RoomStore store;
  private final Rooms rooms;
  private final Memberships memberships;
  private final Inbound inbound;
  private final Closings closings;
  private final Set<Peer> peers = ConcurrentHashMap.newKeySet();
  /** Places taken of {@link HubConfig#maxConnections()}: the peers, and those being opened. */
  private final AtomicInteger admitted = new AtomicInteger();
  private final AtomicInteger anonymous = new AtomicInteger();
  private final ExecutorService sender;
  private final ScheduledExecutorService timer;
  private final LongAdder chatsAccepted = new LongAdder();
  private final LongAdder resumes = new LongAdder();
  private final LongAdder gaps = new LongAdder();
  private final LongAdder dedupHits = new LongAdder();
  private final LongAdder slowMembersClosed = new LongAdder();

  public Hub(HubConfig config) {
    this.config = config;
    this.store = config.store();
    int n = HUBS.incrementAndGet();
    this.sender = Executors.newFixedThreadPool(
        Math.max(2, Runtime.getRuntime().availableProcessors()), threads("tether-server-" + n + "-"));
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, threads("tether-server-" + n + "-timer-"));
    t.setRemoveOnCancelPolicy(true);
    this.timer = t;
    this.closings = new Closings(this, config, sender, timer);
    this.rooms = new Rooms(store);
    this.memberships = new Memberships(this, rooms, store);
    this.inbound = new Inbound(this, config, new ChatPath(this, config, rooms), memberships);
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread thread = new Thread(r, prefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  public HubConfig config() {
    return config;
  }

  RoomStore store() {
    return store;
  }

  Rooms rooms() {
    return rooms;
  }

  Memberships memberships() {
    return memberships;
  }

  /** How the server ends the connections it gives up on. */
  Closings closings() {
    return closings;
  }

  /** Where each connection's frames go: {@link ImEndpoint} hands them over. */
  Inbound inbound() {
    return inbound;
  }

  /** A scheduler for short timer tasks (close and handshake timeouts); never for blocking work. */
  public ScheduledExecutorService timer() {
    return timer;
  }

  public int maxMessageSize() {
    return config.limits().maxMessageSize();
  }

  /** A new config of this hub's endpoint at {@code /im}, to add to any server container. */
  public ServerEndpointConfig endpointConfig() {
    return ServerEndpointConfig.Builder.create(ImEndpoint.class, "/im")
        .subprotocols(List.of(WireRules.PROTOCOL_V2))
        .configurator(new ImConfigurator(this))
        .extensions(Compression.installed(config))
        .build();
  }

  public int connectionCount() {
    return peers.size();
  }

  /** Connections open or being opened: what the handshake's early check of the cap compares. */
  int placesTaken() {
    return admitted.get();
  }

  /** Whether {@code peer} is open: opened by {@link #open} and not {@linkplain #closed closed} yet. */
  boolean isOpen(Peer peer) {
    return peers.contains(peer);
  }

  /** The open connections, for tooling that acts on all of them. */
  public List<Peer> peers() {
    return List.copyOf(peers);
  }

  public ServerStats stats() {
    return new ServerStats(peers.size(), rooms.count(), chatsAccepted.sum(), resumes.sum(),
        gaps.sum(), dedupHits.sum(), slowMembersClosed.sum());
  }

  void countAccepted() {
    chatsAccepted.increment();
  }

  void countDedupHit() {
    dedupHits.increment();
  }

  void countResume() {
    resumes.increment();
  }

  void countGap() {
    gaps.increment();
  }

  void countSlowMember() {
    slowMembersClosed.increment();
  }

  /** A fresh name for a connection that names no user (no authenticator, no {@code user} parameter). */
  String anonymousUser() {
    return "anon-" + anonymous.incrementAndGet();
  }

  /**
   * A new connection, which came in through the config whose configurator is {@code entry}; null
   * if the server is at its connection cap.
   */
  Peer open(Session session, String user, ImConfigurator entry) {
    if (entry.retired() || !admit()) {
      return null;
    }
    if (Connections.isTyrus(session)) {
      // Tyrus 2.2 reschedules an idle-timeout task on every frame unless the timeout is negative.
      session.setMaxIdleTimeout(-1);
    }
    int rate = config.limits().messagesPerSecond();
    Peer peer = new Peer(session, user == null || user.isEmpty() ? anonymousUser() : user,
        rate == 0 ? null : new RateLimiter(rate, config.nanoTime()), entry,
        p -> new Outbound(session, sender, config.maxQueuedMessages(), config.maxQueuedBytes(),
            why -> closings.slowMember(p, why), error -> closings.sendFailed(p, error)));
    peers.add(peer);
    if (entry.retired()) {
      // Retired while we opened: whoever retired it forgets the peers it sees; this one it may not.
      closed(peer);
      return null;
    }
    return peer;
  }

  /**
   * Takes one of the {@code maxConnections} places, atomically, so that connections opening at the
   * same moment cannot pass the cap together; false if none is left. {@link #closed} gives it back.
   */
  private boolean admit() {
    while (true) {
      int n = admitted.get();
      if (n >= config.maxConnections()) {
        return false;
      }
      if (admitted.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /**
   * Admits nothing more through {@code endpoint} (a config from {@link #endpointConfig()}), for a
   * listener that is stopping: handshakes get 503, sessions opening now are closed. Call before
   * {@link #closedAll(ServerEndpointConfig)}.
   */
  public void retire(ServerEndpointConfig endpoint) {
    ((ImConfigurator) endpoint.getConfigurator()).retire();
  }

  /** The connection ended, for whatever reason: its memberships end with it. */
  void closed(Peer peer) {
    if (!peers.remove(peer)) {
      return;
    }
    admitted.decrementAndGet();
    peer.outbound().close();
    memberships.endAll(peer);
    synchronized (peers) {
      peers.notifyAll();
    }
  }

  /**
   * Ends the memberships of {@code user}'s open connections in {@code room} without a word to them,
   * for tooling that fakes a server that lost track of a member; returns how many ended. Their
   * chats in the room are refused {@code not_member} until they join or resume it again.
   */
  public int dropMembership(String user, String room) {
    int ended = 0;
    for (Peer peer : peers) {
      if (!peer.user().equals(user)) {
        continue;
      }
      if (memberships.drop(peer, room)) {
        ended++;
      }
    }
    return ended;
  }

  /** Forgets one connection at once, as if it had closed (for tooling that aborted it). */
  public void forget(Peer peer) {
    closed(peer);
  }

  /** Forgets every connection, for a container that stopped without telling its endpoints. */
  public void closedAll() {
    closedAll(null);
  }

  /**
   * Forgets the connections that came in through {@code endpoint} (a config from
   * {@link #endpointConfig()}; null for all), for a container that stopped.
   */
  public void closedAll(ServerEndpointConfig endpoint) {
    Object entry = endpoint == null ? null : endpoint.getConfigurator();
    for (Peer peer : List.copyOf(peers)) {
      if (peer.cameThrough(entry)) {
        closed(peer);
      }
    }
  }

  /** Sends a close frame to every open connection. */
  public void closeAll(int code, String reason) {
    for (Peer peer : List.copyOf(peers)) {
      peer.outbound().close();
      peer.close(code, reason);
    }
  }

  /**
   * Closes the connections that came in through {@code endpoint} (null: all) with 1001 (going
   * away) and waits up to {@code timeout} for them to go.
   */
  public void goAway(ServerEndpointConfig endpoint, java.time.Duration timeout) {
    Object entry = endpoint == null ? null : endpoint.getConfigurator();
    List<Peer> going = peers.stream().filter(p -> p.cameThrough(entry)).toList();
    for (Peer peer : going) {
      peer.outbound().close();
      peer.close(CloseReason.CloseCodes.GOING_AWAY.getCode(), "server shutting down");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (peers) {
      while (going.stream().anyMatch(peers::contains)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        try {
          peers.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** Releases the hub's threads, waiting briefly for them to end. Connections should be closed first. */
  public void shutdown() {
    rooms.close();
    sender.shutdown();
    timer.shutdownNow();
    try {
      sender.awaitTermination(2, TimeUnit.SECONDS);
      timer.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String encode(Wire wire) {
    return CODEC.encode(wire);
  }
}

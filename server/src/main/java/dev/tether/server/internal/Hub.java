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
import dev.tether.server.RoomStore;
import dev.tether.server.ServerStats;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IM server of PROTOCOL.md, on any JSR-356 container: takes each connection's frames, answers
 * them, and fans chats out to room members. Room state (epochs, seqs, history, dedup) is the
 * {@link RoomStore}'s; the hub holds only connections, their memberships and counters.
 *
 * <p>How a chat goes: the connection's thread checks membership and hands the chat to the store's
 * atomic {@link RoomStore#append}; the store calls back, in seq order per room, once the chat is
 * durable; the callback queues the sender's ack and offers the chat to every member of the room
 * (under the room's lock, so all members see one order). On a protocol v2 connection
 * ({@link WireRules#PROTOCOL_V2}) the sender's ack carries {@code from}, {@code ts} and
 * {@code epoch} and stands for its copy, which is then not sent to it (see
 * {@link Subscription#answerOwn}); the user's other connections get the copy as usual. Nothing here waits on the network or the
 * disk: frames are queued to each connection's {@link Outbound} and written by the shared send
 * threads ({@code tether-server-N}, daemon, one per core, at least two), store reads and writes run
 * on the store's threads.
 *
 * <p>Per connection, frames are checked in this order: size (closes with 1009), rate (refused
 * {@code rate_limited}), sender order (refused {@code out_of_order}, see {@link SenderOrder}), then
 * acted on; every frame is answered, and the answers go out in the order the frames came, also
 * those that wait on the store (see {@link Outbound}).
 *
 * <p>Store failures: a chat the store refuses before its call returns (a store that knows it is
 * down) is answered {@code unavailable} and the connection's expected counter is not moved, so the
 * client sends it again later, in order. Any other store failure closes the connection with 1011,
 * and frames arriving after that are not acted on: the client resends what has no ack on its next
 * connection.
 *
 * <p>Thread-safe. Frames of one connection arrive one at a time on the container's threads.
 */
public final class Hub {
  private static final Logger log = LoggerFactory.getLogger(Hub.class);
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final AtomicInteger HUBS = new AtomicInteger();
  /** What {@code unavailable} tells a client to wait before sending the chat again. */
  static final long UNAVAILABLE_RETRY_MILLIS = 1_000;

  private final HubConfig config;
  private final RoomStore store;
  /** The store's feed, if several servers share it: then chats are fanned out from it; else null. */
  private final RoomStore.Feed feed;
  private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
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
    this.feed = store.feed(this::dispatch);
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

  /** The open connections, for tooling that acts on all of them. */
  public List<Peer> peers() {
    return List.copyOf(peers);
  }

  public ServerStats stats() {
    return new ServerStats(peers.size(), rooms.size(), chatsAccepted.sum(), resumes.sum(),
        gaps.sum(), dedupHits.sum(), slowMembersClosed.sum());
  }

  void countResume() {
    resumes.increment();
  }

  void countGap() {
    gaps.increment();
  }

  /**
   * A new connection, which came in through the config whose configurator is {@code entry}; null
   * if the server is at its connection cap.
   */
  /** A fresh name for a connection that names no user (no authenticator, no {@code user} parameter). */
  String anonymousUser() {
    return "anon-" + anonymous.incrementAndGet();
  }

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
            why -> slowMember(p, why), error -> sendFailed(p, error)));
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
    for (Subscription sub : peer.subscriptions()) {
      unregister(sub);
      sub.end();
    }
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
      Subscription sub = peer.subscription(room);
      if (sub != null) {
        unregister(sub);
        synchronized (peer.requestsLock()) {
          peer.unsubscribe(sub);
        }
        sub.end();
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
    if (feed != null) {
      feed.close();
    }
    sender.shutdown();
    timer.shutdownNow();
    try {
      sender.awaitTermination(2, TimeUnit.SECONDS);
      timer.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void onBinary(Peer peer, ByteBuffer bytes) {
    if (bytes.remaining() > maxMessageSize()) {
      tooBig(peer, bytes.remaining());
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
    // Each char is at most 3 UTF-8 bytes (a surrogate pair, 2 chars, is 4): count only long texts.
    if (text.length() > maxMessageSize() / 3) {
      long size = WireRules.utf8Length(text);
      if (size > maxMessageSize()) {
        tooBig(peer, size);
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
        case CHAT -> chat(peer, envelope, ids.n());
        case JOIN, LEAVE, RESUME -> request(peer, envelope);
      }
    } else if (wire instanceof Ack ack) {
      peer.reply(unexpected(ack.id(), ack.wireType()));
    } else if (wire instanceof ErrorReply error) {
      peer.reply(unexpected(error.id(), error.wireType()));
    }
  }

  /** Closes with 1009; the container has already read the message, so nothing more is to be saved. */
  private void tooBig(Peer peer, long size) {
    peer.outbound().close();
    closeLater(peer, CloseReason.CloseCodes.TOO_BIG.getCode(), "message > " + maxMessageSize() + " bytes: " + size,
        () -> log.debug("{} sent {} bytes, more than {}: closing with 1009", peer, size, maxMessageSize()));
  }

  private ErrorReply rateLimited(String id, long n, long retryAfterMillis) {
    return ErrorReply.rateLimited(id, n, retryAfterMillis, "more than " + config.limits().messagesPerSecond()
        + " messages a second on this connection: refused");
  }

  private static ErrorReply unexpected(String id, String type) {
    return new ErrorReply(id, "unexpected_type", "clients may not send '" + type + "'");
  }

  private static ErrorReply notMember(Envelope chat) {
    return new ErrorReply(
        chat.id(), "not_member", "not a member of room '" + chat.room() + "': join it first");
  }

  private void chat(Peer peer, Envelope chat, long n) {
    boolean member = peer.isMember(chat.room());
    // Protocol v2: the sender's ack may stand for its copy (see Subscription#answerOwn). Not while
    // requests for the room wait for a leave: the membership that gets the chat is not made yet.
    Subscription own = member && peer.v2() && peer.requests(chat.room()) == null ? peer.subscription(chat.room()) : null;
    PendingAnswer answer = own != null ? new PendingAnswer(peer, own) : new PendingAnswer(peer);
    if (!member) {
      // Dedup comes before membership: a chat accepted before is acked again wherever it is sent.
      store.accepted(peer.user(), chat.id()).whenComplete((found, error) -> {
        if (error != null) {
          if (!answer.failedBeforeReturn(error)) {
            storeFailed(peer, "look up " + chat.id(), error);
          }
        } else if (found.isPresent()) {
          dedupHits.increment();
          answer.answer(new Ack(chat.id(), found.get().seq()));
        } else {
          answer.answer(notMember(chat));
        }
      });
    } else {
      String user = peer.user();
      long ts = config.clock().millis();
      // Sized by the text's chars (a cheap bound of its frame's share of the store's write queue).
      RoomStore.Draft draft = new RoomStore.Draft(chat.room(), user, chat.id(), ts, config.historyPerRoom(),
          config.historyBytesPerRoom(), chat.text().length(),
          new ChatFrame(chat, user, ts));
      RoomStore.AppendCallback callback = new RoomStore.AppendCallback() {
        @Override
        public void appended(RoomStore.Appended result) {
          Ack ack = new Ack(chat.id(), result.seq());
          if (result.duplicate()) {
            answer.answer(ack);
            dedupHits.increment();
          } else {
            answer.accepted(ack, peer.v2() ? new Ack(chat.id(), result.seq(), result.epoch(), user, result.ts()) : null);
            chatsAccepted.increment();
            if (feed == null) {
              dispatch(chat.room(), result.seq(), result.epoch(), result.frame());
            }
          }
        }

        @Override
        public void failed(Throwable error) {
          if (!answer.failedBeforeReturn(error)) {
            storeFailed(peer, "append to " + chat.room(), error);
          }
        }
      };
      Runnable append = () -> store.append(draft, callback);
      Subscription sub = peer.subscription(chat.room());
      if (sub == null) {
        append.run(); // a member by a join waiting behind its leave: the join's read comes after the chat
      } else {
        sub.afterOpen(append);
      }
    }
    Throwable refused = answer.returned();
    if (refused != null) {
      log.debug("room store refused chat {} of {}: answering unavailable", chat.id(), peer, refused);
      peer.order().untake(n);
      peer.reply(ErrorReply.unavailable(chat.id(), n, UNAVAILABLE_RETRY_MILLIS,
          "the server cannot take chats now (" + refused.getMessage() + "): send it again later"));
    }
  }

  /**
   * Reads the room's state for a member's join or resume, once its room is followed (at once for a
   * store without a feed); {@code issued} runs right after the read was handed to the store.
   */
  CompletionStage<RoomStore.RoomState> open(Subscription sub, Runnable issued) {
    Room home = sub.home();
    if (feed == null || home == null) {
      CompletionStage<RoomStore.RoomState> read = store.open(sub.room());
      issued.run();
      return read;
    }
    return home.ready().thenCompose(followed -> {
      CompletionStage<RoomStore.RoomState> read = store.open(sub.room());
      issued.run();
      return read;
    });
  }

  /**
   * Offers a new chat to the room's members here; called in seq order per room, from the store's
   * append callbacks or, for a store shared by several servers, from its feed.
   */
  void dispatch(String room, long seq, String epoch, String frame) {
    Room r = rooms.get(room);
    if (r != null) {
      r.offer(seq, epoch, frame, WireRules.utf8Length(frame));
    }
  }

  /**
   * A join, resume or leave from the connection's thread. While the connection's membership of the
   * room is leaving, it waits (with its answer's slot) until the leave is answered; see {@link #left}.
   */
  private void request(Peer peer, Envelope request) {
    synchronized (peer.requestsLock()) {
      RoomRequests waiting = peer.requests(request.room());
      if (waiting != null) {
        waiting.add(request, peer.outbound().slot());
        return;
      }
    }
    perform(peer, request, null);
  }

  /** Performs a join, resume or leave; {@code slot}: where its answer goes, or null to take a place now. */
  private void perform(Peer peer, Envelope request, Outbound.Slot slot) {
    switch (request.type()) {
      case JOIN -> join(peer, request, slot);
      case RESUME -> resume(peer, request, slot);
      case LEAVE -> leave(peer, request, slot);
      case CHAT -> throw new IllegalArgumentException("not a request: " + request);
    }
  }

  private void join(Peer peer, Envelope join, Outbound.Slot slot) {
    Subscription sub = peer.subscription(join.room());
    if (sub != null) {
      sub.join(join.id(), slot);
      return;
    }
    sub = subscribe(peer, join.room());
    if (sub != null) {
      sub.startJoin(join.id(), slot);
    }
  }

  private void resume(Peer peer, Envelope resume, Outbound.Slot slot) {
    Subscription sub = peer.subscription(resume.room());
    if (sub != null) {
      sub.resume(resume.id(), resume.seq(), resume.epoch(), slot);
      return;
    }
    sub = subscribe(peer, resume.room());
    if (sub != null) {
      sub.startResume(resume.id(), resume.seq(), resume.epoch(), slot);
    }
  }

  /** A new membership, registered with its room; null if the connection closed meanwhile. */
  private Subscription subscribe(Peer peer, String room) {
    Subscription sub = new Subscription(peer, room, this);
    peer.subscribe(sub);
    register(sub);
    if (!peers.contains(peer)) {
      // The connection closed while we were joining: don't leave a dead member behind.
      unregister(sub);
      sub.end();
      return null;
    }
    return sub;
  }

  private void leave(Peer peer, Envelope leave, Outbound.Slot slot) {
    Subscription sub = peer.subscription(leave.room());
    if (sub != null) {
      unregister(sub);
      synchronized (peer.requestsLock()) {
        if (sub.leave(leave.id(), slot)) {
          peer.unsubscribe(sub);
        } else {
          // Leaving: what comes for the room from now on waits until the leave is answered.
          peer.holdRequests(leave.room(), sub);
        }
      }
      return;
    }
    PendingAnswer answer = slot == null ? new PendingAnswer(peer) : new PendingAnswer(peer, slot);
    store.state(leave.room()).whenComplete((state, error) -> {
      if (error != null) {
        storeFailed(peer, "read " + leave.room(), error);
      } else {
        answer.answer(state.map(st -> new Ack(leave.id(), st.lastSeq(), st.epoch()))
            .orElseGet(() -> new Ack(leave.id(), 0)));
      }
    });
    answer.returned();
  }

  /**
   * A leaving membership answered its leave and ended (called without locks): the requests that
   * came for the room after the leave are performed now, in order, until one of them leaves
   * again and waits.
   */
  void left(Subscription sub) {
    Peer peer = sub.peer();
    RoomRequests waiting;
    synchronized (peer.requestsLock()) {
      peer.unsubscribe(sub);
      waiting = peer.requests(sub.room());
      if (waiting == null || waiting.leaving != sub) {
        return;
      }
      waiting.leaving = null;
      if (waiting.draining) {
        return; // the thread performing them goes on
      }
      waiting.draining = true;
    }
    while (true) {
      RoomRequests.Waiting next;
      synchronized (peer.requestsLock()) {
        if (waiting.leaving != null) {
          waiting.draining = false; // a leave waits again; its end goes on from here
          return;
        }
        next = waiting.waiting.pollFirst();
        if (next == null) {
          peer.releaseRequests(sub.room());
          return;
        }
      }
      perform(peer, next.request(), next.slot());
    }
  }

  private void register(Subscription sub) {
    while (true) {
      Room room = rooms.computeIfAbsent(sub.room(), Room::new);
      sub.home(room);
      Room.Added added = room.add(sub);
      if (added == Room.Added.RETIRED) {
        rooms.remove(sub.room(), room);
        continue;
      }
      if (added == Room.Added.FIRST) {
        follow(room);
      }
      return;
    }
  }

  /** A room's first member came: with a feed, follow the room; members read the store once it is ready. */
  private void follow(Room room) {
    if (feed == null) {
      room.followed();
      room.readyNow();
      return;
    }
    CompletionStage<Void> following = feed.follow(room.name());
    if (room.followed()) {
      feed.unfollow(room.name()); // its only member left while it was being followed
    }
    following.whenComplete((ok, error) -> {
      if (error == null) {
        room.readyNow();
        return;
      }
      log.warn("room store cannot follow room '{}' now ({}); its members here are closed with 1011", room.name(),
          error.toString());
      room.failed(error);
      retired(room, room.retire());
    });
  }

  private void unregister(Subscription sub) {
    Room room = sub.home();
    if (room != null) {
      retired(room, room.remove(sub));
    }
  }

  private void retired(Room room, Room.Removed removed) {
    if (removed != Room.Removed.KEPT) {
      rooms.remove(room.name(), room);
    }
    if (removed == Room.Removed.RETIRED_UNFOLLOW && feed != null) {
      feed.unfollow(room.name());
    }
  }

  /** The store failed an operation for {@code peer}: close it with 1011, so that it comes back and resends. */
  void storeFailed(Peer peer, String what, Throwable error) {
    if (peer.isClosing()) {
      log.debug("room store failed to {} for {}, which is closing already", what, peer, error);
      return;
    }
    peer.closing();
    peer.outbound().close();
    closeLater(peer, CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "room store unavailable",
        () -> log.warn("room store failed to {} for {}; closing the connection with 1011", what, peer, error));
  }

  /**
   * A member was offered a chat beyond the one it expected: a store broke its ordering promise.
   * Closing (1011) makes the client resume, which fills the hole from the history.
   */
  void fanOutHole(Peer peer, String room) {
    peer.closing();
    peer.outbound().close();
    closeLater(peer, CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "missed chats of " + room,
        () -> log.warn("{} missed chats of room '{}' in fan-out; closing with 1011 so that it resumes", peer, room));
  }

  /** Called from the member queue's overflow, under the room's lock (and a store's): it only counts and hands over. */
  private void slowMember(Peer peer, String why) {
    slowMembersClosed.increment();
    closeLater(peer, CloseReason.CloseCodes.TRY_AGAIN_LATER.getCode(), "member queue full",
        () -> log.info("{} does not read fast enough ({}): closing with 1013", peer, why));
  }

  private void sendFailed(Peer peer, Throwable error) {
    // A member that silently missed a frame would break the gap-free promise without a trace: end
    // the connection instead, so that the client reconnects and resumes from what it has.
    log.debug("send to {} failed; aborting the connection", peer, error);
    peer.closing();
    run(() -> {
      releaseMemberships(peer);
      peer.abort();
    });
  }

  /**
   * Closes {@code peer} with {@code code} off the caller's thread (which may hold room, store and
   * subscription locks), first running {@code report} there (logging, which may write to a console
   * synchronously, never runs under those locks), and aborts it if it has not ended after the close
   * timeout (a peer that does not read never gets the close frame, and a container may wait for
   * its answer until its idle timeout). Its memberships' held chats are released at once.
   */
  private void closeLater(Peer peer, int code, String reason, Runnable report) {
    peer.closing();
    run(() -> {
      report.run();
      releaseMemberships(peer);
      peer.close(code, reason);
      try {
        timer.schedule(() -> abortIfOpen(peer), config.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException shuttingDown) {
        abortIfOpen(peer);
      }
    });
  }

  /**
   * The close timeout passed: a connection the container has not reported closed is aborted and
   * forgotten. Not {@code session.isOpen()}: on Jetty that is false as soon as a close has started.
   */
  private void abortIfOpen(Peer peer) {
    if (peers.contains(peer)) {
      log.debug("{} not gone {} after close: aborting", peer, config.closeTimeout());
      peer.abort();
      closed(peer);
    }
  }

  private static void releaseMemberships(Peer peer) {
    for (Subscription sub : peer.subscriptions()) {
      sub.end();
    }
  }

  private void run(Runnable task) {
    try {
      sender.execute(task);
    } catch (RejectedExecutionException shuttingDown) {
      task.run();
    }
  }

  static String encode(Wire wire) {
    return CODEC.encode(wire);
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

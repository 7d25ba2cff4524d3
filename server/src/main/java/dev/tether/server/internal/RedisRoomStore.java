package dev.tether.server.internal;

import dev.tether.server.RoomStore;
import dev.tether.server.internal.RedisScripts.Script;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.MaintNotificationsConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.util.concurrent.EventExecutorGroup;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RoomStore#redis}: rooms, history and dedup in Redis (see {@link RedisKeys} for the keys),
 * each chat stored by one Lua script ({@link Script#CHAT}), and a {@link RedisFeeds} that tells
 * this server of every server's chats.
 *
 * <p>Connections: one command connection (pipelined; Lettuce runs one connection's commands in
 * the order they are issued, which is what keeps a connection's chats in order) and one pub/sub
 * connection. Both reconnect by themselves. While a connection is down, commands are refused at
 * once ({@code REJECT_COMMANDS}: a chat refused before {@link #append} returns is answered
 * {@code unavailable}); a command in flight fails when its connection dies or its timeout (2 s
 * unless the URI says otherwise) passes, which closes the sender's connection with 1011. A command
 * that timed out may still run in Redis later (Redis was only slow): what it stored is then acked
 * from the dedup memory when the client resends it.
 *
 * <p><b>Sender order across partial failures.</b> If a chat fails inside Redis (NOSCRIPT, OOM)
 * while the sender's next chat of the same room is already on its way, that next chat must not be
 * stored before it. Each chat names the sender's previous chat of the room that was still in
 * flight when it was issued; the script refuses it ({@code order}) if that one is not stored. A
 * refused chat is tried once more (behind its predecessor's NOSCRIPT retry, if any), and then
 * fails.
 *
 * <p>Threads: Lettuce's, named {@code tether-redis-N-*} (two I/O threads, two computation
 * threads, a timer), one that runs append callbacks ({@code tether-redis-N-callback-1}) and, only
 * for drafts not rendered by the server, one that renders them; all daemon; {@link #close()} ends
 * them. Stages complete on the I/O threads; nothing here blocks after the start.
 */
public final class RedisRoomStore implements RoomStore {
  private static final Logger log = LoggerFactory.getLogger(RedisRoomStore.class);
  private static final AtomicInteger STORES = new AtomicInteger();
  /** Accepted chats remembered for dedup, per user. */
  public static final int DEDUP_PER_USER = 1_000;
  /** How long an accepted chat is remembered for dedup at most. */
  public static final Duration DEDUP_MAX_AGE = Duration.ofHours(24);
  /** How long a command may take unless the URI says ({@code ?timeout=}). */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
  /** How often the pub/sub connection's liveness is checked. */
  public static final Duration PROBE_INTERVAL = Duration.ofSeconds(5);

  /**
   * How to open a store.
   *
   * @param uri Redis, as Lettuce takes it (without Tether's own parameters)
   * @param prefix the prefix of keys and channels
   * @param probeInterval how often the pub/sub probe ticks
   * @param dedupPerUser accepted chats remembered per user
   * @param dedupMaxAge how long an accepted chat is remembered at most
   * @param millis the clock of dedup ageing
   * @param firstPubSub where the first pub/sub connection goes (normally {@code uri}; a test routes
   *     it through a proxy to wedge it); replacements connect to {@code uri}
   */
  public record Options(RedisURI uri, String prefix, Duration probeInterval, int dedupPerUser, Duration dedupMaxAge,
      java.util.function.LongSupplier millis, RedisURI firstPubSub) {
    /** The options {@link RoomStore#redis} uses for {@code uri}. */
    public static Options of(java.net.URI uri) {
      RedisUris.Parsed p = RedisUris.parse(uri);
      return new Options(p.uri(), p.prefix(), PROBE_INTERVAL, DEDUP_PER_USER, DEDUP_MAX_AGE,
          System::currentTimeMillis, p.uri());
    }

    public Options withProbeInterval(Duration d) {
      return new Options(uri, prefix, d, dedupPerUser, dedupMaxAge, millis, firstPubSub);
    }

    public Options withDedup(int perUser, Duration maxAge, java.util.function.LongSupplier clock) {
      return new Options(uri, prefix, probeInterval, perUser, maxAge, clock, firstPubSub);
    }

    public Options withFirstPubSub(RedisURI first) {
      return new Options(uri, prefix, probeInterval, dedupPerUser, dedupMaxAge, millis, first);
    }
  }

  private final Options options;
  private final String where;
  private final ClientResources resources;
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisAsyncCommands<String, String> commands;
  private final RedisScripts scripts;
  private final RedisKeys keys;
  private final RedisFeeds feeds;
  private final RedisRenderedAppends rendered;
  /** Runs append callbacks, one at a time, in the order their outcomes came. */
  private final java.util.concurrent.ExecutorService callbacks;
  private final PubSubProbe probe;
  private final ScheduledFuture<?> probing;
  /** Per (user, room): the id of the sender's newest chat whose reply has not come. */
  private final ConcurrentHashMap<String, String> inFlight = new ConcurrentHashMap<>();
  private final AtomicLong resets = new AtomicLong();
  private final AtomicLong orderRefusals = new AtomicLong();
  /** Nanos since the command connection was lost, or 0 while it is up. */
  private final AtomicLong downSince = new AtomicLong();
  private volatile boolean closed;

  private RedisRoomStore(Options options) {
    this.options = options;
    this.where = RedisUris.redacted(options.uri());
    int n = STORES.incrementAndGet();
    this.resources = DefaultClientResources.builder()
        .ioThreadPoolSize(2)
        .computationThreadPoolSize(2)
        .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
        .threadFactoryProvider(pool -> daemon("tether-redis-" + n + "-" + pool.replace("lettuce-", "") + "-"))
        .build();
    RedisClient c = null;
    StatefulRedisConnection<String, String> conn = null;
    RedisFeeds f = null;
    try {
      c = RedisClient.create(resources, options.uri());
      c.setOptions(ClientOptions.builder()
          .autoReconnect(true)
          .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
          .timeoutOptions(TimeoutOptions.enabled())
          .socketOptions(SocketOptions.builder().connectTimeout(options.uri().getTimeout()).keepAlive(true).build())
          .requestQueueSize(65_536)
          .maintNotificationsConfig(MaintNotificationsConfig.disabled())
          .build());
      c.addListener(new Outages());
      conn = c.connect(StringCodec.UTF8);
      this.scripts = new RedisScripts(conn.async());
      scripts.load(conn.sync());
      checkEviction(conn);
      this.keys = new RedisKeys(options.prefix(), options.uri().getDatabase());
      f = new RedisFeeds(c, options.uri(), keys, Epochs.next().substring(0, 8), resources.eventExecutorGroup(), this);
      f.connect(options.firstPubSub(), options.uri().getTimeout());
    } catch (RuntimeException | Error e) {
      shutdown(c, conn, f);
      throw new IllegalStateException("cannot open a room store on Redis at " + where + ": " + e.getMessage(), e);
    } catch (Exception e) {
      shutdown(c, conn, f);
      throw new IllegalStateException("cannot open a room store on Redis at " + where + ": " + e, e);
    }
    this.client = c;
    this.connection = conn;
    this.commands = conn.async();
    this.feeds = f;
    this.callbacks = java.util.concurrent.Executors.newSingleThreadExecutor(daemon("tether-redis-" + n + "-callback-"));
    this.rendered = new RedisRenderedAppends(
        (d, frame, epoch, seq, previous) -> runChat(d, frame, epoch, Long.toString(seq), "cas", previous,
            feeds.floor(d.room())),
        new RedisRenderedAppends.Outcome() {
          @Override
          public void ok(Draft d, List<Object> reply, String frame, AppendCallback callback) {
            stored(d, reply, RoomFeed.Floor.NONE, frame, callback);
          }

          @Override
          public void dup(List<Object> reply, AppendCallback callback) {
            duplicate(reply, callback);
          }

          @Override
          public void failed(Throwable error, AppendCallback callback) {
            Throwable cause = RedisScripts.unwrap(error);
            callback.failed(cause instanceof io.lettuce.core.RedisException ? failure(cause) : cause);
          }
        }, "tether-redis-" + n + "-render");
    this.probe = new PubSubProbe(new PubSubProbe.Target() {
      @Override
      public boolean connected() {
        return feeds.connected();
      }

      @Override
      public CompletionStage<Long> publishProbe() {
        return commands.publish(feeds.probeChannel(), "probe");
      }

      @Override
      public void replace(String why) {
        feeds.replace(why);
      }
    }, feeds::received);
    long every = options.probeInterval().toMillis();
    this.probing = resources.eventExecutorGroup().scheduleAtFixedRate(this::tick, every, every, TimeUnit.MILLISECONDS);
    log.info("room store on Redis at {} (prefix '{}')", where, options.prefix());
  }

  /** {@link RoomStore#redis}. */
  public static RedisRoomStore open(java.net.URI uri) {
    return open(Options.of(uri));
  }

  /** A store with these options, for tests and tuning. */
  public static RedisRoomStore open(Options options) {
    return new RedisRoomStore(options);
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private void checkEviction(StatefulRedisConnection<String, String> conn) {
    try {
      Map<String, String> policy = conn.sync().configGet("maxmemory-policy");
      String p = policy.getOrDefault("maxmemory-policy", "");
      if (p.startsWith("allkeys-") || p.startsWith("volatile-")) {
        log.warn("Redis at {} evicts keys (maxmemory-policy {}): evicted history and dedup memory are lost"
            + " (a lost room starts a new epoch); use maxmemory-policy noeviction", where, p);
      }
    } catch (RuntimeException e) {
      log.debug("cannot read Redis's maxmemory-policy (a managed Redis?); not checked", e);
    }
  }

  private void tick() {
    try {
      probe.tick();
    } catch (RuntimeException e) {
      log.warn("Redis pub/sub probe failed", e);
    }
  }

  void schedule(Runnable task, Duration delay) {
    if (closed) {
      return;
    }
    try {
      EventExecutorGroup group = resources.eventExecutorGroup();
      group.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException shuttingDown) {
      log.debug("not scheduled: the store is closing", shuttingDown);
    }
  }

  // ---- the SPI

  @Override
  public Feed feed(FeedListener listener) {
    feeds.start(listener);
    return feeds;
  }

  @Override
  public CompletionStage<RoomState> open(String room) {
    if (closed) {
      return closedStage();
    }
    RoomFeed.Floor floor = feeds.floor(room);
    return scripts.run(Script.OPEN, new String[] {keys.meta(room), keys.history(room)},
            Epochs.next(), Long.toString(floor.seq()), floor.epoch())
        .handle((reply, error) -> {
          if (error != null) {
            throw unavailable(error);
          }
          return new RoomState((String) reply.get(0), number(reply.get(1)));
        });
  }

  @Override
  public CompletionStage<Optional<RoomState>> state(String room) {
    if (closed) {
      return closedStage();
    }
    return commands.hmget(keys.meta(room), "e", "s").handle((values, error) -> {
      if (error != null) {
        throw unavailable(error);
      }
      String epoch = values.get(0).getValueOrElse(null);
      if (epoch == null) {
        return Optional.empty();
      }
      KeyValue<String, String> seq = values.get(1);
      return Optional.of(new RoomState(epoch, seq.hasValue() ? Long.parseLong(seq.getValue()) : 0));
    });
  }

  @Override
  public void append(Draft draft, AppendCallback callback) {
    if (closed) {
      callback.failed(new IllegalStateException("store closed"));
      return;
    }
    FrameTemplate template = draft.renderer() instanceof ChatFrame frame ? frame.template() : null;
    String sender = draft.user() + '\u0000' + draft.room();
    String previous = inFlight.put(sender, draft.id());
    if (previous == null || previous.equals(draft.id())) {
      previous = "";
    }
    Settled settled = new Settled(sender, draft.id(), callback);
    if (template == null) {
      rendered.append(draft, previous, settled);
    } else {
      chat(draft, template, previous, false, settled);
    }
    settled.returned = true;
  }

  /**
   * Forgets the sender's chat in flight once its outcome is known, then reports it on the callback
   * thread ({@code tether-redis-N-callback}), in the order the outcomes came (for one room: seq
   * order): never on Lettuce's I/O thread, so a callback that reads the store and waits does not
   * block the replies it waits for. A failure before {@link #append} returned is reported at once,
   * on the caller's thread: that is how the server tells "refused now" from "failed later".
   */
  private final class Settled implements AppendCallback {
    private final String sender;
    private final String id;
    private final AppendCallback callback;
    volatile boolean returned;

    Settled(String sender, String id, AppendCallback callback) {
      this.sender = sender;
      this.id = id;
      this.callback = callback;
    }

    @Override
    public void appended(Appended result) {
      report(() -> callback.appended(result));
    }

    @Override
    public void failed(Throwable error) {
      if (!returned) {
        inFlight.remove(sender, id);
        callback.failed(error);
      } else {
        report(() -> callback.failed(error));
      }
    }

    private void report(Runnable outcome) {
      try {
        callbacks.execute(() -> {
          inFlight.remove(sender, id);
          outcome.run();
        });
      } catch (RejectedExecutionException closing) {
        inFlight.remove(sender, id);
        callback.failed(new IllegalStateException("store closed"));
      }
    }
  }

  /** Runs the chat script with the frame's template: the script fills in the seq and epoch. */
  private void chat(Draft d, FrameTemplate t, String previous, boolean again, AppendCallback callback) {
    RoomFeed.Floor floor = feeds.floor(d.room());
    CompletableFuture<List<Object>> reply;
    try {
      reply = runChat(d, t.head(), t.mid(), t.tail(), t.layout(), previous, floor);
    } catch (RuntimeException e) {
      callback.failed(failure(e));
      return;
    }
    reply.whenComplete((r, error) -> {
      if (error != null) {
        callback.failed(failure(error));
        return;
      }
      switch ((String) r.get(0)) {
        case "order" -> {
          orderRefusals.incrementAndGet();
          if (!again) {
            chat(d, t, previous, true, callback); // behind its predecessor's NOSCRIPT retry, if any
          } else {
            callback.failed(new IllegalStateException("chat " + d.id() + " of " + d.user()
                + " came after one of theirs that Redis did not store"));
          }
        }
        case "dup" -> duplicate(r, callback);
        default -> {
          long seq = number(r.get(1));
          String epoch = (String) r.get(2);
          stored(d, r, floor, t.render(seq, epoch), callback);
        }
      }
    });
  }

  private CompletableFuture<List<Object>> runChat(Draft d, String head, String mid, String tail, String layout,
      String previous, RoomFeed.Floor floor) {
    String[] k = {keys.meta(d.room()), keys.history(d.room()), keys.dedup(d.user()), keys.dedupOrder(d.user())};
    return scripts.run(Script.CHAT, k, d.id(), d.room(), head, mid, tail, layout,
        Long.toString(d.ts()), Long.toString(options.millis().getAsLong()), Integer.toString(d.historyLimit()),
        Epochs.next(), keys.channel(d.room()), Long.toString(floor.seq()), floor.epoch(), previous,
        Integer.toString(options.dedupPerUser()), Long.toString(options.dedupMaxAge().toMillis()), keys.prefix(),
        Long.toString(d.historyBytes()));
  }

  private void duplicate(List<Object> r, AppendCallback callback) {
    callback.appended(new Appended((String) r.get(3), number(r.get(1)), number(r.get(2)), true, null));
  }

  private void stored(Draft d, List<Object> r, RoomFeed.Floor floor, String frame, AppendCallback callback) {
    long seq = number(r.get(1));
    String epoch = (String) r.get(2);
    if (number(r.get(3)) == 1 && !floor.epoch().isEmpty()) {
      resets.incrementAndGet();
      log.warn("room '{}': its stream was lost in Redis (this node had seen seq {} of epoch {}); new epoch {}",
          d.room(), floor.seq(), floor.epoch(), epoch);
    }
    callback.appended(new Appended(epoch, seq, d.ts(), false, frame));
  }

  @Override
  public CompletionStage<Optional<Appended>> accepted(String user, String id) {
    if (closed) {
      return closedStage();
    }
    CompletionStage<Void> decided = rendered.whenDecided(user, id);
    if (!decided.toCompletableFuture().isDone()) {
      return decided.thenCompose(v -> accepted(user, id));
    }
    return scripts.run(Script.ACCEPTED, new String[] {keys.dedup(user)}, id, keys.prefix())
        .handle((reply, error) -> {
          if (error != null) {
            throw unavailable(error);
          }
          if (reply.isEmpty()) {
            return Optional.empty();
          }
          return Optional.of(new Appended((String) reply.get(2), number(reply.get(0)), number(reply.get(1)), true, null));
        });
  }

  @Override
  public CompletionStage<History> history(String room, long after, int limit) {
    if (closed) {
      return closedStage();
    }
    return read(room, Math.max(0, after), limit);
  }

  /** A page of history after {@code after} (none if negative), for {@link #history} and the feeds. */
  CompletionStage<History> read(String room, long after, int limit) {
    String first = after < 0 || after == Long.MAX_VALUE || limit < 1 ? "" : (after + 1) + "-0";
    return scripts.run(Script.HISTORY, new String[] {keys.meta(room), keys.history(room)}, first,
            Integer.toString(Math.max(1, limit)))
        .handle((reply, error) -> {
          if (error != null) {
            throw unavailable(error);
          }
          String epoch = (String) reply.get(0);
          List<StoredChat> chats = new ArrayList<>((reply.size() - 3) / 2);
          for (int i = 3; i + 1 < reply.size(); i += 2) {
            chats.add(new StoredChat(number(reply.get(i)), (String) reply.get(i + 1)));
          }
          return new History(epoch.isEmpty() ? null : epoch, number(reply.get(1)), number(reply.get(2)), chats);
        });
  }

  static long number(Object o) {
    return o instanceof Long l ? l : Long.parseLong((String) o);
  }

  /**
   * A failed Redis call as the store reports it: its message says what happened without naming the
   * Redis (it may reach clients, in {@code unavailable}); the cause has the details, for the log.
   */
  private static IllegalStateException failure(Throwable error) {
    Throwable cause = RedisScripts.unwrap(error);
    String what = cause instanceof io.lettuce.core.RedisCommandTimeoutException ? "Redis timed out"
        : cause instanceof io.lettuce.core.RedisCommandExecutionException ? "Redis refused the command"
        : "Redis unavailable";
    return new IllegalStateException(what, cause);
  }

  private static java.util.concurrent.CompletionException unavailable(Throwable error) {
    return new java.util.concurrent.CompletionException(failure(error));
  }

  private static <T> CompletionStage<T> closedStage() {
    return CompletableFuture.failedFuture(new IllegalStateException("store closed"));
  }

  /** Whether the command connection is up (false while Lettuce reconnects). */
  public boolean connected() {
    return connection.isOpen();
  }

  /** Counters, for tests and logs. */
  public record Stats(long pubSubReplacements, long resets, long orderRefusals) {}

  public Stats stats() {
    return new Stats(feeds.replacements(), resets.get(), orderRefusals.get());
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    probing.cancel(false);
    rendered.close();
    feeds.close();
    shutdown(client, connection, feeds);
    callbacks.shutdown();
    try {
      callbacks.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void shutdown(RedisClient c, StatefulRedisConnection<String, String> conn, RedisFeeds f) {
    if (f != null) {
      f.closeConnection();
    }
    if (conn != null) {
      try {
        conn.close();
      } catch (RuntimeException e) {
        log.debug("closing the Redis connection failed", e);
      }
    }
    if (c != null) {
      c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
    try {
      resources.shutdown(0, 2, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.debug("Redis client threads did not stop in time", e);
    }
  }

  @Override
  public String toString() {
    return "RoomStore.redis(" + where + ")";
  }

  /** Logs an outage once, and how long it lasted. */
  private final class Outages implements RedisConnectionStateListener {
    @Override
    public void onRedisDisconnected(io.lettuce.core.RedisChannelHandler<?, ?> connection) {
      if (!closed && downSince.compareAndSet(0, System.nanoTime())) {
        log.warn("lost the connection to Redis at {}: chats are refused until it is back (reconnecting)", where);
      }
    }

    @Override
    public void onRedisConnected(io.lettuce.core.RedisChannelHandler<?, ?> connection, SocketAddress address) {
      long since = downSince.getAndSet(0);
      if (since != 0) {
        log.info("connected to Redis at {} again after {} ms", where, (System.nanoTime() - since) / 1_000_000);
      }
    }
  }
}

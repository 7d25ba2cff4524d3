package dev.tether.server.internal;

import dev.tether.server.RoomStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RedisRoomStore}'s {@link RoomStore.Feed}: one pub/sub connection for the node, one
 * channel per followed room (each a {@link RoomFeed}), and a probe channel of the node's own that
 * {@link PubSubProbe} publishes to when the connection has been quiet, to tell a quiet connection
 * from a wedged one.
 *
 * <p>Lettuce reconnects the pub/sub connection by itself and subscribes its channels again; each
 * confirmation makes that room's feed read what it missed. When the probe finds the connection
 * deaf, {@link #replace} closes it and opens a new one, which subscribes every channel again.
 *
 * <p>Thread-safety: this object's monitor guards which rooms are followed and the connection;
 * SUBSCRIBE and UNSUBSCRIBE are sent under it (so Redis sees them in the order the follow counts
 * changed), and their completions run on {@code callbacks}, never inline. Pub/sub events come on
 * the connection's I/O thread and go to the room's feed without this monitor. Lock order: this,
 * then a room's feed ({@link #unfollow} closes it); nothing a feed does under its own monitor may
 * take this one.
 */
final class RedisFeeds implements RoomStore.Feed {
  private static final Logger log = LoggerFactory.getLogger(RedisFeeds.class);
  /** Channels per SUBSCRIBE when a new connection subscribes everything again. */
  private static final int SUBSCRIBE_BATCH = 500;

  private final RedisClient client;
  private final RedisURI uri;
  private final RedisKeys keys;
  private final String probeChannel;
  private final Executor callbacks;
  private final RoomFeed.Port port;
  /** Written under this; read by pub/sub events. */
  private final ConcurrentHashMap<String, RoomFeed> byChannel = new ConcurrentHashMap<>();
  /** Pub/sub events received on the current connection: what the probe watches. */
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong replacements = new AtomicLong();
  /** Guarded by this; null while a replacement connects. */
  private StatefulRedisPubSubConnection<String, String> connection;
  /** Written under this; events of older connections are ignored. */
  private volatile int generation;
  /** Guarded by this; a replacement is connecting. */
  private boolean replacing;
  /** Guarded by this. */
  private boolean closed;
  /**
   * Written once under this, by {@link #start}; null until then (then the store's server fans
   * out). Volatile, not guarded: rooms' feeds read it under their own monitors, and taking this
   * one there would invert the order {@link #unfollow} takes them in (this, then the room's).
   */
  private volatile RoomStore.FeedListener listener;

  RedisFeeds(RedisClient client, RedisURI uri, RedisKeys keys, String node, Executor callbacks,
      RedisRoomStore store) {
    this.client = client;
    this.uri = uri;
    this.keys = keys;
    this.probeChannel = keys.probe(node);
    this.callbacks = callbacks;
    this.port = new RoomFeed.Port() {
      @Override
      public CompletionStage<RoomStore.History> read(String room, long after, int limit) {
        return store.read(room, after, limit);
      }

      @Override
      public void deliver(String room, long seq, String epoch, String frame) {
        RoomStore.FeedListener l = listener();
        if (l != null) {
          l.chat(room, seq, epoch, frame);
        }
      }

      @Override
      public void retryLater(Runnable retry) {
        store.schedule(retry, Duration.ofMillis(500));
      }
    };
  }

  /** Opens the first connection and subscribes the probe channel; blocks (for the store's start only). */
  void connect(RedisURI first, Duration timeout) throws Exception {
    StatefulRedisPubSubConnection<String, String> c = client.connectPubSub(StringCodec.UTF8, first);
    synchronized (this) {
      connection = c;
      c.addListener(new Listener(generation));
    }
    c.async().subscribe(probeChannel).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  String probeChannel() {
    return probeChannel;
  }

  long received() {
    return received.get();
  }

  long replacements() {
    return replacements.get();
  }

  synchronized boolean connected() {
    return connection != null && connection.isOpen();
  }

  synchronized void start(RoomStore.FeedListener listener) {
    if (this.listener != null) {
      throw new IllegalStateException("this Redis store already feeds a server: give each server its own store");
    }
    this.listener = listener;
  }

  private RoomStore.FeedListener listener() {
    return listener;
  }

  /** What this node has seen of {@code room}'s stream, for the rollback check of the scripts. */
  RoomFeed.Floor floor(String room) {
    RoomFeed f = byChannel.get(keys.channel(room));
    return f == null ? RoomFeed.Floor.NONE : f.floor();
  }

  @Override
  public synchronized CompletionStage<Void> follow(String room) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("feed closed"));
    }
    String channel = keys.channel(room);
    RoomFeed f = byChannel.get(channel);
    if (f == null) {
      f = new RoomFeed(room, channel, port);
      byChannel.put(channel, f);
      f.follows = 1;
      subscribeLocked(f);
      return f.ready();
    }
    f.follows++;
    if (f.renewReady() && f.subscribing()) {
      subscribeLocked(f);
    }
    return f.ready();
  }

  @Override
  public synchronized void unfollow(String room) {
    String channel = keys.channel(room);
    RoomFeed f = byChannel.get(channel);
    if (f == null || --f.follows > 0) {
      return;
    }
    byChannel.remove(channel);
    f.close();
    if (connection != null && !closed) {
      try {
        connection.async().unsubscribe(channel).whenCompleteAsync((v, e) -> {
          if (e != null) {
            log.debug("unsubscribing {} failed (it goes with the connection)", channel, e);
          }
        }, callbacks);
      } catch (RuntimeException e) {
        log.debug("unsubscribing {} failed (it goes with the connection)", channel, e);
      }
    }
  }

  private void subscribeLocked(RoomFeed f) {
    if (connection == null) {
      return; // the replacement connection subscribes every followed room
    }
    try {
      connection.async().subscribe(f.channel()).whenCompleteAsync((v, e) -> {
        if (e != null) {
          f.subscribeFailed(e);
        }
      }, callbacks);
    } catch (RuntimeException e) {
      callbacks.execute(() -> f.subscribeFailed(e));
    }
  }

  /**
   * Replaces the pub/sub connection (the probe found it deaf, or it is gone): closes it, opens a new
   * one, and subscribes the probe channel and every followed room again; each room then catches
   * up from the history. Does nothing while a replacement is connecting.
   */
  void replace(String why) {
    StatefulRedisPubSubConnection<String, String> old;
    synchronized (this) {
      if (closed || replacing) {
        return;
      }
      replacing = true;
      old = connection;
      connection = null;
      generation++;
    }
    replacements.incrementAndGet();
    log.warn("Redis pub/sub connection {}: replacing it (the rooms followed catch up from the history)", why);
    if (old != null) {
      old.closeAsync();
    }
    client.connectPubSubAsync(StringCodec.UTF8, uri).whenComplete((c, error) -> {
      if (error != null) {
        log.warn("Redis pub/sub connection could not be opened again ({}); the probe tries again", error.toString());
        synchronized (this) {
          replacing = false;
        }
        return;
      }
      List<String> channels = new ArrayList<>();
      synchronized (this) {
        replacing = false;
        if (closed) {
          c.closeAsync();
          return;
        }
        c.addListener(new Listener(generation));
        connection = c;
        channels.add(probeChannel);
        channels.addAll(byChannel.keySet());
        for (int i = 0; i < channels.size(); i += SUBSCRIBE_BATCH) {
          String[] batch = channels.subList(i, Math.min(channels.size(), i + SUBSCRIBE_BATCH)).toArray(String[]::new);
          c.async().subscribe(batch).whenCompleteAsync((v, e) -> {
            if (e != null) {
              log.warn("Redis pub/sub: subscribing {} channels again failed; the probe will replace the connection",
                  batch.length, e);
            }
          }, callbacks);
        }
      }
    });
  }

  /** The connection was (re)established and its probe channel subscribed: ask again for what failed. */
  private synchronized void probeSubscribed() {
    for (RoomFeed f : byChannel.values()) {
      if (f.subscribing()) {
        subscribeLocked(f);
      }
    }
  }

  /** Stops following every room; the store closes the connection. */
  @Override
  public void close() {
    List<RoomFeed> feeds;
    synchronized (this) {
      closed = true;
      listener = null;
      feeds = List.copyOf(byChannel.values());
      byChannel.clear();
    }
    feeds.forEach(RoomFeed::close);
  }

  /** Closes the connection; for the store's close. */
  void closeConnection() {
    StatefulRedisPubSubConnection<String, String> c;
    synchronized (this) {
      closed = true;
      c = connection;
      connection = null;
    }
    if (c != null) {
      try {
        c.close();
      } catch (RuntimeException e) {
        log.debug("closing the pub/sub connection failed", e);
      }
    }
  }

  /** The listener of one connection; stale once the connection was replaced. */
  private final class Listener extends RedisPubSubAdapter<String, String> {
    private final int of;

    Listener(int generation) {
      this.of = generation;
    }

    @Override
    public void message(String channel, String message) {
      if (of != generation) {
        return;
      }
      received.incrementAndGet();
      RoomFeed f = byChannel.get(channel);
      if (f == null) {
        return; // the probe's own message, or a room no longer followed
      }
      int a = message.indexOf(':');
      int b = a < 0 ? -1 : message.indexOf(':', a + 1);
      long seq;
      try {
        seq = b < 0 ? -1 : Long.parseLong(message, 0, a, 10);
      } catch (NumberFormatException e) {
        seq = -1;
      }
      if (seq < 1) {
        log.warn("Redis pub/sub: a message on {} that is not SEQ:EPOCH:FRAME ignored", channel);
        return;
      }
      f.message(seq, message.substring(a + 1, b), message.substring(b + 1));
    }

    @Override
    public void subscribed(String channel, long count) {
      if (of != generation) {
        return;
      }
      received.incrementAndGet();
      if (channel.equals(probeChannel)) {
        probeSubscribed();
        return;
      }
      RoomFeed f = byChannel.get(channel);
      if (f != null) {
        f.subscribed();
      }
    }
  }
}

package dev.tether.stub.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine of a fault proxy: one daemon thread ({@code tether-proxy-N}) running an NIO selector
 * over the listening socket and both sides of every proxied connection. Delayed chunks wait in
 * per-direction queues on the same thread (the selector's timeout is the next due time), so there is
 * no thread per connection and no other thread at all.
 *
 * <p>While black-holed, what is read waits in those queues (up to {@link #MAX_PENDING} bytes a
 * direction, then reading stops) and is written once healed, as TCP retransmission would deliver
 * it. For a WebSocket target, each connection's client-to-server bytes go through a
 * {@link FrameFilter}, which drops whole messages when loss is switched on.
 *
 * <p>The fault switches are volatile fields read by the loop; operations that must touch channels
 * ({@link #cutAll()}, {@link #close()}) run as tasks on the loop and are waited for.
 */
public final class ProxyLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(ProxyLoop.class);
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final int CHUNK = 16 * 1024;
  /** Stop reading a direction while this many bytes wait to be written, so memory stays bounded. */
  private static final int MAX_PENDING = 1 << 20;

  private final InetSocketAddress target;
  /** Whether connections carry WebSocket in the clear, so that frames can be told apart. */
  private final boolean webSocket;
  private final Selector selector;
  private final ServerSocketChannel listener;
  private final Thread thread;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  /** Only touched on the loop thread. */
  private final Set<Link> links = new HashSet<>();
  private final AtomicInteger linkCount = new AtomicInteger();
  private volatile boolean blackhole;
  /** While true no channel is read: the proxy's receive windows close and senders stall. */
  private volatile boolean stopReading;
  private volatile boolean rejectNew;
  private volatile long latencyNanos;
  private volatile boolean running = true;
  /** Chance that a client's data message is dropped; 0 for none. */
  private volatile double lossProbability;
  private volatile long lossSeed;
  /** Bumped by every {@link #lossy} call, so that each connection seeds its generator anew. */
  private volatile int lossGeneration;
  /** Client data messages still to drop, whatever {@link #lossProbability} says. */
  private final AtomicLong dropNext = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  /** Bytes written to the target and to clients, over all connections. */
  private final AtomicLong bytesToServer = new AtomicLong();
  private final AtomicLong bytesToClient = new AtomicLong();
  /** Only touched on the loop thread: numbers connections in the order they were accepted. */
  private long accepted;

  private ProxyLoop(InetSocketAddress target, boolean webSocket) throws IOException {
    this.target = target;
    this.webSocket = webSocket;
    this.selector = Selector.open();
    this.listener = ServerSocketChannel.open();
    try {
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      listener.configureBlocking(false);
      listener.register(selector, SelectionKey.OP_ACCEPT);
    } catch (IOException e) {
      listener.close();
      selector.close();
      throw e;
    }
    this.thread = new Thread(this, "tether-proxy-" + THREADS.incrementAndGet());
    thread.setDaemon(true);
  }

  /**
   * Listens on an ephemeral loopback port and forwards every connection to {@code target};
   * {@code webSocket} if the connections carry WebSocket in the clear (ws://), which
   * {@link #lossy} and {@link #dropNext} need.
   */
  public static ProxyLoop start(InetSocketAddress target, boolean webSocket) throws IOException {
    ProxyLoop loop = new ProxyLoop(target, webSocket);
    loop.thread.start();
    return loop;
  }

  /** Bytes forwarded to the target so far, over all connections. */
  public long bytesToServer() {
    return bytesToServer.get();
  }

  /** Bytes forwarded to clients so far, over all connections. */
  public long bytesToClient() {
    return bytesToClient.get();
  }

  /** Whether frames can be told apart: the target speaks WebSocket in the clear. */
  public boolean frameAware() {
    return webSocket;
  }

  /**
   * From now on drops each client data message with {@code probability}, drawn per connection
   * from a generator seeded with {@code seed} and the connection's number; 0 ends it.
   */
  public void lossy(double probability, long seed) {
    lossSeed = seed;
    lossProbability = probability;
    lossGeneration++;
  }

  /** Drops the next {@code messages} client data messages, on whichever connections they come. */
  public void dropNext(long messages) {
    dropNext.addAndGet(messages);
  }

  /** Client data messages dropped so far. */
  public long dropped() {
    return dropped.get();
  }

  public int port() {
    return listener.socket().getLocalPort();
  }

  public void blackhole(boolean on) {
    blackhole = on;
    selector.wakeup();
  }

  /**
   * Stops (or resumes) reading from every connection, both sides; bytes already read are still
   * written. The loop drops its read interest on its next turn, which the wakeup brings at once.
   */
  public void stopReading(boolean on) {
    stopReading = on;
    selector.wakeup();
  }

  public void rejectNew(boolean on) {
    rejectNew = on;
  }

  public void latency(Duration latency) {
    latencyNanos = latency.toNanos();
    selector.wakeup();
  }

  public int connectionCount() {
    return linkCount.get();
  }

  /** Resets every connection, both sides, and waits until that is done. */
  public void cutAll() {
    runOnLoop(() -> new ArrayList<>(links).forEach(Link::abort));
  }

  /** Resets every connection, stops listening and ends the thread. Idempotent. */
  public synchronized void close() {
    if (!running) {
      return;
    }
    runOnLoop(() -> {
      new ArrayList<>(links).forEach(Link::abort);
      running = false;
    });
    if (Thread.currentThread() == thread) {
      return;
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void runOnLoop(Runnable task) {
    if (!thread.isAlive()) {
      return; // the loop ended and closed every connection
    }
    if (Thread.currentThread() == thread) {
      task.run();
      return;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    tasks.add(() -> {
      try {
        task.run();
        done.complete(null);
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
      }
    });
    selector.wakeup();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    try {
      while (true) {
        try {
          done.get(50, TimeUnit.MILLISECONDS);
          return;
        } catch (TimeoutException e) {
          if (!thread.isAlive()) {
            return; // the loop ended after taking its last tasks; it closed every connection
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("proxy loop did not run the task within 5 s", e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      throw new IllegalStateException("proxy loop task failed: " + e.getCause(), e);
    }
  }

  @Override
  public void run() {
    try {
      while (running) {
        for (Runnable task; (task = tasks.poll()) != null; ) {
          task.run();
        }
        if (!running) {
          break;
        }
        long wait = flushAll();
        if (wait < 0) {
          selector.select();
        } else if (wait == 0) {
          selector.selectNow();
        } else {
          selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait + 999_999)));
        }
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
          SelectionKey key = keys.next();
          keys.remove();
          if (!key.isValid()) {
            continue;
          }
          if (key.channel() == listener) {
            accept();
          } else {
            ((Link) key.attachment()).handle(key);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("proxy loop failed", e);
    } finally {
      running = false;
      // Let callers waiting on tasks go; with every socket closed there is nothing left to do.
      for (Runnable task; (task = tasks.poll()) != null; ) {
        task.run();
      }
      new ArrayList<>(links).forEach(Link::abort);
      closeQuietly(listener);
      try {
        selector.close();
      } catch (IOException ignored) {
        // nothing left to release
      }
    }
  }

  /** Writes every due chunk; returns nanos until the next chunk is due, or -1 if none waits. */
  private long flushAll() {
    long now = System.nanoTime();
    long next = -1;
    for (Link link : new ArrayList<>(links)) {
      long wait = link.flush(now);
      if (wait >= 0 && (next < 0 || wait < next)) {
        next = wait;
      }
    }
    return next;
  }

  private void accept() throws IOException {
    SocketChannel client = listener.accept();
    if (client == null) {
      return;
    }
    if (rejectNew) {
      reset(client);
      return;
    }
    SocketChannel upstream = SocketChannel.open();
    try {
      client.configureBlocking(false);
      client.setOption(StandardSocketOptions.TCP_NODELAY, true);
      upstream.configureBlocking(false);
      upstream.setOption(StandardSocketOptions.TCP_NODELAY, true);
      boolean connected = upstream.connect(target);
      Link link = new Link(client, upstream, connected, ++accepted);
      links.add(link);
      linkCount.incrementAndGet();
      link.updateInterest(System.nanoTime());
    } catch (IOException e) {
      log.debug("cannot connect to {}", target, e);
      reset(client);
      reset(upstream);
    }
  }

  private static void reset(SocketChannel channel) {
    try {
      channel.setOption(StandardSocketOptions.SO_LINGER, 0);
    } catch (IOException | RuntimeException ignored) {
      // the channel may already be closed; closing is what matters
    }
    closeQuietly(channel);
  }

  private static void closeQuietly(java.nio.channels.Channel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing is best effort
    }
  }

  private record Chunk(ByteBuffer bytes, long due) {}

  /** One direction of a link: bytes read from one side waiting to be written to the other. */
  private static final class Pipe {
    final ArrayDeque<Chunk> pending = new ArrayDeque<>();
    int pendingBytes;
    long lastDue = Long.MIN_VALUE;
    boolean eof;
    boolean outputShut;

    void clear() {
      pending.clear();
      pendingBytes = 0;
    }
  }

  /** A proxied connection: the client's socket and ours to the target. Loop thread only. */
  private final class Link {
    final SocketChannel client;
    final SocketChannel upstream;
    final SelectionKey clientKey;
    final SelectionKey upstreamKey;
    final Pipe up = new Pipe();
    final Pipe down = new Pipe();
    /** Follows the client's frames, for a WebSocket target; null otherwise. */
    final FrameFilter filter;
    /** This connection's number, in the order they were accepted. */
    final long ordinal;
    /** Draws the loss of this connection's messages; seeded for {@link #randomGeneration}. */
    SplittableRandom random;
    int randomGeneration = -1;
    boolean connected;
    boolean closed;

    Link(SocketChannel client, SocketChannel upstream, boolean connected, long ordinal) throws IOException {
      this.client = client;
      this.upstream = upstream;
      this.connected = connected;
      this.ordinal = ordinal;
      this.filter = webSocket ? new FrameFilter(this::dropMessage) : null;
      this.clientKey = client.register(selector, 0, this);
      this.upstreamKey = upstream.register(selector, 0, this);
    }

    /** Whether the client's data message now starting is lost. */
    private boolean dropMessage() {
      boolean drop = dropNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
      double p = lossProbability;
      if (!drop && p > 0) {
        int generation = lossGeneration;
        if (random == null || randomGeneration != generation) {
          // SplitMix64's constant spreads the connection numbers over the seed space.
          random = new SplittableRandom(lossSeed + 0x9E3779B97F4A7C15L * ordinal);
          randomGeneration = generation;
        }
        drop = random.nextDouble() < p;
      }
      if (drop) {
        dropped.incrementAndGet();
      }
      return drop;
    }

    void handle(SelectionKey key) {
      try {
        boolean fromClient = key == clientKey;
        if (!fromClient && key.isConnectable()) {
          upstream.finishConnect();
          connected = true;
        }
        if (key.isValid() && key.isReadable()) {
          read(fromClient ? client : upstream, fromClient ? up : down);
        }
        if (!closed) {
          flush(System.nanoTime());
        }
      } catch (IOException e) {
        log.debug("proxied connection failed", e);
        abort();
      }
    }

    private void read(SocketChannel source, Pipe pipe) throws IOException {
      if (stopReading) {
        return; // selected as readable before the switch; leave the bytes in the kernel
      }
      ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
      int n = source.read(buffer);
      if (n < 0) {
        pipe.eof = true;
        return;
      }
      if (n == 0) {
        return;
      }
      buffer.flip();
      if (pipe == up && filter != null) {
        buffer = filter.filter(buffer);
        n = buffer.remaining();
        if (n == 0) {
          return;
        }
      }
      long due = Math.max(System.nanoTime() + latencyNanos, pipe.lastDue);
      pipe.lastDue = due;
      pipe.pending.addLast(new Chunk(buffer, due));
      pipe.pendingBytes += n;
    }

    /** Writes what is due in both directions; returns nanos until the next due chunk or -1. */
    long flush(long now) {
      if (closed) {
        return -1;
      }
      try {
        if (blackhole) {
          // Held, not lost: written once healed.
          updateInterest(now);
          return -1;
        }
        long a = connected ? write(up, upstream, now) : -1;
        long b = write(down, client, now);
        if (up.outputShut && down.outputShut) {
          close();
          return -1;
        }
        updateInterest(now);
        return a < 0 ? b : b < 0 ? a : Math.min(a, b);
      } catch (IOException e) {
        log.debug("proxied connection failed", e);
        abort();
        return -1;
      }
    }

    private long write(Pipe pipe, SocketChannel sink, long now) throws IOException {
      while (!pipe.pending.isEmpty()) {
        Chunk head = pipe.pending.peekFirst();
        if (head.due() > now) {
          return head.due() - now;
        }
        int n = sink.write(head.bytes());
        pipe.pendingBytes -= n;
        (pipe == up ? bytesToServer : bytesToClient).addAndGet(n);
        if (head.bytes().hasRemaining()) {
          return -1; // socket buffer full: OP_WRITE wakes us
        }
        pipe.pending.pollFirst();
      }
      if (pipe.eof && !pipe.outputShut) {
        sink.shutdownOutput();
        pipe.outputShut = true;
      }
      return -1;
    }

    void updateInterest(long now) {
      if (closed) {
        return;
      }
      clientKey.interestOps(ops(up, down, now));
      upstreamKey.interestOps(connected ? ops(down, up, now) : SelectionKey.OP_CONNECT);
    }

    /** Interest of the channel that is the source of {@code in} and the sink of {@code out}. */
    private int ops(Pipe in, Pipe out, long now) {
      int ops = 0;
      if (!in.eof && in.pendingBytes < MAX_PENDING && !stopReading) {
        ops |= SelectionKey.OP_READ;
      }
      Chunk head = out.pending.peekFirst();
      if (head != null && head.due() <= now && !blackhole) {
        ops |= SelectionKey.OP_WRITE;
      }
      return ops;
    }

    void abort() {
      if (closed) {
        return;
      }
      reset(client);
      reset(upstream);
      forget();
    }

    private void close() {
      closeQuietly(client);
      closeQuietly(upstream);
      forget();
    }

    private void forget() {
      closed = true;
      up.clear();
      down.clear();
      if (links.remove(this)) {
        linkCount.decrementAndGet();
      }
    }
  }
}

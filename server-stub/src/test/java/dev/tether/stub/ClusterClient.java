package dev.tether.stub;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ErrorReply;
import dev.tether.api.Wire;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A reference client of PROTOCOL.md's rules for clients, on raw frames, for the cluster tests: it
 * resumes its rooms on every connection (reporting resets and gaps), resends every unacked chat in
 * order, numbers what it writes and follows the sender-order rules (rewind on
 * {@code out_of_order}, {@code unavailable} and {@code rate_limited}), and when a connection fails
 * or cannot be made it moves to the next node URI in turn. It runs on a thread of its own; the
 * test reads what it delivered through thread-safe snapshots.
 */
final class ClusterClient implements AutoCloseable {
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();
  private static final Duration ACK_TIMEOUT = Duration.ofSeconds(8);
  private static final int WINDOW = 200;

  /** A chat delivered to the app. */
  record Delivered(String room, String epoch, long seq, String id, String from, String text, long atNanos) {}

  /** A reset reported to the app: the room's stream was lost after {@code position} of {@code epoch}. */
  record Reset(String room, String epoch, long position) {}

  private static final class Position {
    String epoch;
    long seq;
    /** A resume of this room is written and not answered. */
    boolean resuming;
  }

  final String user;
  private final List<URI> nodes;
  private final List<String> rooms;
  private final Thread thread;
  private volatile boolean closed;

  // Shared with the test.
  private final ConcurrentLinkedQueue<Envelope> toSend = new ConcurrentLinkedQueue<>();
  final List<Delivered> delivered = new CopyOnWriteArrayList<>();
  final List<Reset> resets = new CopyOnWriteArrayList<>();
  final List<String> gaps = new CopyOnWriteArrayList<>();
  final Map<String, Long> ackedSeqs = new java.util.concurrent.ConcurrentHashMap<>();
  /** Ack arrival times (nanoTime), by chat id. */
  final Map<String, Long> ackedAt = new java.util.concurrent.ConcurrentHashMap<>();
  final AtomicInteger connects = new AtomicInteger();
  final AtomicInteger failedConnects = new AtomicInteger();
  final AtomicInteger unavailable = new AtomicInteger();
  final AtomicInteger outOfOrder = new AtomicInteger();
  final AtomicInteger droppedById = new AtomicInteger();
  final List<Integer> closeCodes = new CopyOnWriteArrayList<>();
  /** The node URI each connection went to, in order. */
  final List<URI> connectedTo = new CopyOnWriteArrayList<>();

  // The client thread's own.
  private int node;
  private final Map<String, Position> positions = new HashMap<>();
  private final Set<String> deliveredIds = new HashSet<>();
  /** Chats written at least once and not acked, in the order first written. */
  private final LinkedHashMap<String, Envelope> unacked = new LinkedHashMap<>();
  private WsRecorder ws;
  private long nextN;
  private final TreeMap<Long, Envelope> written = new TreeMap<>();
  private final Map<String, Long> counterOf = new HashMap<>();
  private Long rewind;
  private long rewindAtNanos;
  private long lastAnswerNanos;

  ClusterClient(String user, List<URI> nodes, List<String> rooms) {
    this.user = user;
    this.nodes = List.copyOf(nodes);
    this.rooms = List.copyOf(rooms);
    for (String room : rooms) {
      positions.put(room, new Position());
    }
    this.thread = new Thread(this::run, "cluster-client-" + user);
    thread.setDaemon(true);
  }

  ClusterClient start() {
    thread.start();
    return this;
  }

  /** Queues a chat to send (from any thread). */
  void send(Envelope chat) {
    toSend.add(chat);
  }

  /** What was delivered of {@code room}, in order. */
  List<Delivered> delivered(String room) {
    return delivered.stream().filter(d -> d.room().equals(room)).toList();
  }

  /** Connected, and every room's resume answered. */
  boolean ready() {
    return positionsKnown;
  }

  private volatile boolean positionsKnown;

  private void run() {
    try {
      while (!closed) {
        if (ws == null) {
          connect();
          continue;
        }
        writeNew();
        if (broken) {
          lost();
          continue;
        }
        WsRecorder.Event event = ws.poll(Duration.ofMillis(10));
        if (event instanceof WsRecorder.Text t) {
          onWire(CODEC.decode(t.text()));
        } else if (event instanceof WsRecorder.Closed c) {
          closeCodes.add(c.code());
          lost();
          continue;
        } else if (event instanceof WsRecorder.Failure) {
          lost();
          continue;
        }
        long now = System.nanoTime();
        if (rewind != null && rewindAtNanos != 0 && now >= rewindAtNanos) {
          rewindAtNanos = 0;
          writeAgainFrom(rewind);
        }
        if (!written.isEmpty() && rewindAtNanos == 0 && now - lastAnswerNanos > ACK_TIMEOUT.toNanos()) {
          lost(); // rule 4: nothing answers; start over on a new connection
        }
      }
    } catch (Exception e) {
      if (!closed) {
        throw new IllegalStateException(user + " failed", e);
      }
    } finally {
      if (ws != null) {
        ws.close();
      }
    }
  }

  private void lost() {
    broken = false;
    positionsKnown = false;
    ws.close();
    ws = null;
    node = (node + 1) % nodes.size();
    // Back off while connections keep failing at once (the store is down), as a real client would.
    boolean quick = System.nanoTime() - connectedAtNanos < TimeUnit.SECONDS.toNanos(1);
    quickLosses = quick ? Math.min(quickLosses + 1, 5) : 0;
    if (quickLosses > 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100L * quickLosses));
    }
  }

  private long connectedAtNanos;
  private int quickLosses;

  private void connect() throws Exception {
    URI uri = nodes.get(node);
    try {
      ws = WsRecorder.connect(URI.create(uri + "?user=" + user));
    } catch (Exception e) {
      failedConnects.incrementAndGet();
      node = (node + 1) % nodes.size();
      if (node == 0) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // a pause after each whole round
      }
      return;
    }
    connects.incrementAndGet();
    connectedTo.add(uri);
    connectedAtNanos = System.nanoTime();
    nextN = 1;
    written.clear();
    counterOf.clear();
    rewind = null;
    rewindAtNanos = 0;
    lastAnswerNanos = System.nanoTime();
    for (String room : rooms) {
      Position p = positions.get(room);
      p.resuming = true;
      write(Envelope.resume(room, p.seq, p.epoch));
    }
    for (Envelope chat : unacked.values()) {
      write(chat);
    }
  }

  private void writeNew() throws Exception {
    while (rewind == null && written.size() < WINDOW) {
      Envelope chat = toSend.poll();
      if (chat == null) {
        return;
      }
      unacked.put(chat.id(), chat);
      write(chat);
    }
  }

  private void write(Envelope e) {
    long n = nextN++;
    written.put(n, e);
    counterOf.put(e.id(), n);
    send(CODEC.withCounter(CODEC.encode(e), n));
  }

  private void writeAgainFrom(long k) {
    for (Map.Entry<Long, Envelope> entry : new ArrayList<>(written.tailMap(k, true).entrySet())) {
      send(CODEC.withCounter(CODEC.encode(entry.getValue()), entry.getKey()));
    }
  }

  /** Sends on the current connection; a failure is the connection's end, which its close event reports. */
  private void send(String text) {
    try {
      ws.send(text);
    } catch (Exception e) {
      broken = true;
    }
  }

  /** The current connection failed a send: start over on the next one. */
  private boolean broken;

  private void onWire(Wire wire) throws Exception {
    if (wire instanceof Envelope chat) {
      onChat(chat);
      return;
    }
    lastAnswerNanos = System.nanoTime();
    if (wire instanceof Ack ack) {
      onAck(ack);
      return;
    }
    ErrorReply error = (ErrorReply) wire;
    switch (error.code()) {
      case ErrorReply.HISTORY_GAP -> {
        // Reported, and the position moves past it: the replay that follows starts at last + 1.
        gaps.add(error.room() + ":" + error.first() + ".." + error.last());
        Position p = positions.get(error.room());
        p.seq = Math.max(p.seq, error.last());
      }
      case ErrorReply.EPOCH_CHANGED -> {
        Position p = positions.get(error.room());
        resets.add(new Reset(error.room(), p.epoch, p.seq));
        p.epoch = error.newEpoch();
        p.seq = 0;
      }
      case ErrorReply.OUT_OF_ORDER, ErrorReply.UNAVAILABLE, ErrorReply.RATE_LIMITED -> refused(error);
      default -> throw new IllegalStateException(user + ": unexpected refusal " + error);
    }
  }

  private void refused(ErrorReply error) throws Exception {
    if (error.code().equals(ErrorReply.OUT_OF_ORDER)) {
      outOfOrder.incrementAndGet();
    } else {
      unavailable.incrementAndGet();
    }
    if (rewind != null && error.n() > rewind) {
      return; // stale: an answer to a write from before the rewind
    }
    boolean later = !error.code().equals(ErrorReply.OUT_OF_ORDER);
    rewind = later ? error.n() : error.expected();
    if (later) {
      rewindAtNanos = System.nanoTime() + Math.max(1, error.retryAfterMillis()) * 1_000_000L;
    } else {
      writeAgainFrom(rewind);
    }
  }

  private void onAck(Ack ack) {
    Long n = counterOf.get(ack.id());
    Envelope e = n == null ? null : written.remove(n);
    if (n != null && n.equals(rewind)) {
      rewind = null;
    }
    if (e == null) {
      return;
    }
    if (e.type() == Envelope.Type.RESUME) {
      Position p = positions.get(e.room());
      p.resuming = false;
      if (p.epoch != null && ack.epoch() != null && !ack.epoch().equals(p.epoch)) {
        resets.add(new Reset(e.room(), p.epoch, p.seq));
        p.seq = 0;
      }
      if (ack.epoch() != null) {
        p.epoch = ack.epoch();
      }
      p.seq = Math.max(p.seq, ack.seq());
      positionsKnown = positions.values().stream().noneMatch(x -> x.resuming);
    } else if (e.type() == Envelope.Type.CHAT) {
      unacked.remove(ack.id());
      ackedSeqs.put(ack.id(), ack.seq());
      ackedAt.put(ack.id(), System.nanoTime());
    }
  }

  private void onChat(Envelope chat) throws Exception {
    Position p = positions.get(chat.room());
    if (p == null) {
      return;
    }
    if (chat.epoch() != null && p.epoch != null && !chat.epoch().equals(p.epoch)) {
      resets.add(new Reset(chat.room(), p.epoch, p.seq));
      p.seq = 0;
    }
    if (chat.epoch() != null) {
      p.epoch = chat.epoch();
    }
    if (chat.seq() <= p.seq) {
      return;
    }
    if (chat.seq() > p.seq + 1) {
      if (!p.resuming) {
        p.resuming = true;
        write(Envelope.resume(chat.room(), p.seq, p.epoch));
      }
      return;
    }
    p.seq = chat.seq();
    if (!deliveredIds.add(chat.id())) {
      droppedById.incrementAndGet();
      return;
    }
    delivered.add(new Delivered(chat.room(), chat.epoch(), chat.seq(), chat.id(), chat.from(), chat.text(),
        System.nanoTime()));
  }

  @Override
  public void close() {
    closed = true;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

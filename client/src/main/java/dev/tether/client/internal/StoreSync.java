package dev.tether.client.internal;

import dev.tether.api.Envelope;
import dev.tether.client.OutboxStore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only caller of a socket's {@link OutboxStore}, which is user-implementable and does disk I/O:
 * none of its methods runs while the socket's lock is held.
 *
 * <ul>
 *   <li>{@link OutboxStore#add} runs on the sending thread, inside {@link #inStoreOrder}: durable
 *       sends take turns on a lock of their own (never the socket's), so that the order envelopes
 *       are committed in is the order they enter the outbox, and {@code send} returns after its
 *       commit.
 *   <li>{@link OutboxStore#remove} and {@link OutboxStore#saveRoom(String, long, String)} run
 *       later, in order, on a serial queue on the shared I/O pool; {@link #settle} lets
 *       {@code close()} wait for them.
 *   <li>A room's position is saved only once the delegate has returned for the chat that moved it
 *       ({@link #saveRoomsLater}): the positions are taken when the chats are queued for the
 *       delegate, and handed to the store queue by a task queued behind those callbacks. A process
 *       killed before a chat's callback returned therefore resumes before that chat and gets it
 *       again: at least once to the app across a crash, never skipped.
 * </ul>
 *
 * <p>Lock order: the send-order lock, then the socket's lock; never the other way. The positions
 * handed over by the callbacks are guarded by a lock of their own, taken without any other.
 */
final class StoreSync {
  private static final Logger log = LoggerFactory.getLogger(StoreSync.class);
  private final OutboxStore store;
  private final Object lock;
  /**
   * Held across each durable send: the commit and the outbox insert happen in the same turn. This
   * and the fields below it but {@code events} are null without a store: nothing uses them then.
   */
  private final Object sendOrder;
  private final SerialExecutor later;
  /** The delegate's callbacks, behind which room positions are released for saving. */
  private final Callbacks events;
  /** Positions whose callbacks have returned, waiting for the store queue; guarded by itself. */
  private final Map<String, Position> released;
  /** Guarded by released. True while a save of the released positions is queued and has not run. */
  private boolean releasedSaveQueued;
  /** Guarded by released. True once close() settled: positions released later are not saved. */
  private boolean settled;

  /** A room's position to save: its last delivered seq (-1: the room was left) and epoch. */
  private record Position(long lastSeq, String epoch) {}

  /**
   * @param store null for none: every method is then a no-op
   * @param events the socket's callbacks, behind which room positions are saved
   */
  StoreSync(OutboxStore store, Object lock, Callbacks events) {
    this.store = store;
    this.lock = lock;
    this.events = events;
    this.sendOrder = store == null ? null : new Object();
    this.later = store == null ? null : new SerialExecutor(TetherThreads.io(), "outbox store call");
    this.released = store == null ? null : new LinkedHashMap<>();
  }

  boolean isDurable() {
    return store != null;
  }

  /** Envelopes a previous client left in the store, in store order; for the constructor. */
  List<Envelope> pending() {
    return store == null ? List.of() : store.pending();
  }

  /** Rooms and their last delivered seq, as the store has them; for the constructor. */
  Map<String, Long> rooms() {
    return store == null ? Map.of() : store.rooms();
  }

  /** The epochs of the rooms' positions, where the store has them; for the constructor. */
  Map<String, String> roomEpochs() {
    return store == null ? Map.of() : store.roomEpochs();
  }

  /** Runs a durable send in turn with the others. The caller must not hold the socket's lock. */
  <T> T inStoreOrder(Supplier<T> send) {
    assert !Thread.holdsLock(lock);
    synchronized (sendOrder) {
      return send.get();
    }
  }

  /** Commits {@code envelope}; blocking. Call inside {@link #inStoreOrder}, without the lock. */
  void commit(Envelope envelope, String frame) {
    assert Thread.holdsLock(sendOrder) && !Thread.holdsLock(lock);
    store.add(envelope, frame);
  }

  /** Waits until a durable send under way (one that began before close()) is done. */
  private void awaitSends() {
    assert !Thread.holdsLock(lock);
    synchronized (sendOrder) {
      // nothing: taking the turn is the wait
    }
  }

  /** Queues the removal of an envelope that was acked or failed for good. */
  void forgetLater(String id) {
    if (store != null) {
      later.enqueue(() -> store.remove(id));
    }
  }

  /**
   * Queues a save of the room positions that changed since the last call, to run once the delegate
   * has returned for every callback queued so far: call it after queueing the callbacks of the
   * chats that moved them, in the same locked section. The positions (and their epochs) are taken
   * now, so a save never runs ahead of the callbacks; later saves of a room override earlier ones.
   */
  void saveRoomsLater(RoomTracker rooms) {
    assert Thread.holdsLock(lock);
    if (store == null || !rooms.hasDirty()) {
      return;
    }
    Map<String, Long> dirty = rooms.takeDirty();
    Map<String, Position> positions = new LinkedHashMap<>(dirty.size() * 2);
    dirty.forEach((room, lastSeq) -> positions.put(room, new Position(lastSeq, rooms.epoch(room))));
    events.afterCallbacks(() -> release(positions));
  }

  /** On the callback executor, behind the callbacks of the chats that moved {@code positions}. */
  private void release(Map<String, Position> positions) {
    boolean queue;
    synchronized (released) {
      if (settled) {
        return; // after close(): a later client on this store gets these chats again
      }
      released.putAll(positions);
      queue = !releasedSaveQueued;
      releasedSaveQueued = true;
    }
    if (queue) {
      later.enqueue(this::saveReleased);
      later.start();
    }
  }

  /** On the store queue: saves every position released since the last save. */
  private void saveReleased() {
    Map<String, Position> batch;
    synchronized (released) {
      releasedSaveQueued = false;
      batch = new LinkedHashMap<>(released);
      released.clear();
    }
    batch.forEach((room, p) -> store.saveRoom(room, p.lastSeq(), p.epoch()));
  }

  /** Runs what was queued. Call after releasing the lock. */
  void start() {
    if (later != null) {
      later.start();
    }
  }

  /**
   * For close(): waits for a durable send under way, for the callbacks queued before close() (so
   * that the positions they release are saved; not when close() is called from a callback, which
   * would wait for itself) and for the queued store calls, up to 5 s in all, so that the caller may
   * close the store once close() returns. Positions released after this are not saved: a later
   * client on the store gets those chats again.
   */
  void settle(String target) {
    assert !Thread.holdsLock(lock);
    if (store == null) {
      return;
    }
    awaitSends();
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    try {
      if (!events.isCallbackThread() && !events.awaitIdle(Duration.ofSeconds(5))) {
        log.warn("{}: delegate callbacks still running 5 s after close(); the room positions they deliver"
            + " are not saved", target);
      }
      synchronized (released) {
        settled = true;
      }
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      if (!later.awaitIdle(left)) {
        log.warn("{}: outbox store writes still pending after close()", target);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

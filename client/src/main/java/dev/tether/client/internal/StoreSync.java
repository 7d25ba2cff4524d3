package dev.tether.client.internal;

import dev.tether.api.Envelope;
import dev.tether.client.OutboxStore;
import java.time.Duration;
import java.util.HashMap;
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
 *       later, in order, on a serial queue on the shared I/O pool; {@link #awaitIdle} lets
 *       {@code close()} wait for them.
 * </ul>
 *
 * <p>Lock order: the send-order lock, then the socket's lock; never the other way.
 */
final class StoreSync {
  private static final Logger log = LoggerFactory.getLogger(StoreSync.class);
  private final OutboxStore store;
  private final Object lock;
  /** Held across each durable send: the commit and the outbox insert happen in the same turn. */
  private final Object sendOrder = new Object();
  private final SerialExecutor later = new SerialExecutor(TetherThreads.io(), "outbox store call");
  /** Guarded by lock. True while a room save is queued and has not yet taken the changes. */
  private boolean roomSaveQueued;

  /** @param store null for none: every method is then a no-op */
  StoreSync(OutboxStore store, Object lock) {
    this.store = store;
    this.lock = lock;
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

  /** Queues a save of the room positions that changed, unless one is queued already. */
  void saveRoomsLater(RoomTracker rooms) {
    assert Thread.holdsLock(lock);
    if (store == null || roomSaveQueued || !rooms.hasDirty()) {
      return;
    }
    roomSaveQueued = true;
    later.enqueue(() -> {
      Map<String, Long> dirty;
      Map<String, String> epochs = new HashMap<>();
      synchronized (lock) {
        roomSaveQueued = false;
        dirty = rooms.takeDirty();
        dirty.keySet().forEach(room -> epochs.put(room, rooms.epoch(room)));
      }
      dirty.forEach((room, lastSeq) -> store.saveRoom(room, lastSeq, epochs.get(room)));
    });
  }

  /** Runs what was queued. Call after releasing the lock. */
  void start() {
    later.start();
  }

  /**
   * For close(): waits for a durable send under way and for the queued store calls (up to 5 s), so
   * that the caller may close the store once close() returns.
   */
  void settle(String target) {
    assert !Thread.holdsLock(lock);
    if (store == null) {
      return;
    }
    awaitSends();
    try {
      if (!later.awaitIdle(Duration.ofSeconds(5))) {
        log.warn("{}: outbox store writes still pending after close()", target);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package dev.tether.client;

import dev.tether.api.Envelope;
import dev.tether.client.internal.MemoryOutboxStore;
import dev.tether.client.internal.SqliteOutboxStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where a {@link TetherClient} keeps what must survive a restart of the process: envelopes not yet
 * acknowledged by the server, in send order, and each joined room with the last seq delivered to the
 * app. A restarted client built on the same store sends the envelopes again (the server drops the
 * ones it already took) and resumes its rooms where it left off.
 *
 * <ul>
 *   <li>No store, the default: the client's outbox lives and dies with the client.
 *   <li>{@link #inMemory()} keeps them for the life of the store object, so that a new client in
 *       the same process can take over.
 *   <li>{@link #sqlite(Path)} keeps them in an SQLite file (needs {@code org.xerial:sqlite-jdbc} on
 *       the class path). {@code send(Envelope)} returns only after the envelope is committed, so a
 *       process killed right after {@code send} returns loses nothing.
 * </ul>
 *
 * <p>A room's position is saved only after the delegate's {@code onEnvelope} returned for the chat
 * that moved it (and the positions of chats delivered before {@code close()} are saved by the time
 * it returns). A process that dies while the app is handling a chat therefore resumes before that
 * chat and gets it again: at least once to the app across a crash, never skipped. An app that must
 * not process a chat twice across a crash records the ids it processed (or what it did with them)
 * in its own storage, in the same transaction as the processing.
 *
 * <p>Each room's position is kept with its epoch ({@link #saveRoom(String, long, String)},
 * {@link #roomEpochs()}); both methods have defaults so that stores written before epochs still
 * compile and work, without noticing a reset across a restart of the client.
 *
 * <p>A store belongs to one client at a time. Implementations must be thread-safe: the client calls
 * {@link #add} on the sending thread, inside {@code send(Envelope)}, and the other methods on its own
 * threads; never while holding its lock, so a slow disk delays only the sends that wait for it, not
 * incoming messages. Durable sends take turns: envelopes are added in the order they enter the
 * outbox.
 */
public interface OutboxStore extends AutoCloseable {

  /** A store in memory. */
  static OutboxStore inMemory() {
    return new MemoryOutboxStore();
  }

  /**
   * A store in the SQLite database {@code file}, created if missing. Commits use WAL with
   * {@code synchronous=NORMAL}: a committed envelope survives the process being killed at any
   * moment; after a power loss or OS crash the last few commits may be lost. Use
   * {@link #sqlite(Path, boolean)} with {@code true} to fsync every commit instead (several times
   * slower per send).
   *
   * @throws dev.tether.api.TetherException if the database cannot be opened
   * @throws IllegalStateException if the SQLite driver ({@code org.xerial:sqlite-jdbc}, which
   *     tether-client does not bring) is not on the class path
   */
  static OutboxStore sqlite(Path file) {
    return new SqliteOutboxStore(file, false);
  }

  /**
   * As {@link #sqlite(Path)}; with {@code fsyncEveryCommit} each commit is flushed to the disk
   * ({@code synchronous=FULL}) and survives a power loss too.
   */
  static OutboxStore sqlite(Path file, boolean fsyncEveryCommit) {
    return new SqliteOutboxStore(file, fsyncEveryCommit);
  }

  /** Persists an envelope about to be sent; {@code frame} is its encoded JSON. Idempotent per id. */
  void add(Envelope envelope, String frame);

  /** Forgets an envelope: it was acknowledged, or it failed for good. */
  void remove(String id);

  /** The envelopes waiting, in the order they were added. */
  List<Envelope> pending();

  /** Records the last seq delivered in {@code room}; {@code -1} forgets the room (it was left). */
  void saveRoom(String room, long lastSeq);

  /**
   * Records the last seq delivered in {@code room} and the epoch of the stream it belongs to (see
   * PROTOCOL.md, "Epochs"; null if the server named none); {@code -1} forgets the room. The client
   * calls this one. Keep the epoch with the position: a client restarted on this store resumes with
   * it, and so learns if the server lost the room's stream meanwhile
   * ({@link dev.tether.api.SocketDelegate#onReset}).
   *
   * <p>The default, for stores written before epochs, calls {@link #saveRoom(String, long)} and
   * drops the epoch: a restarted client then resumes without one, and notices a reset only if the
   * server's stream is now shorter than its position.
   */
  default void saveRoom(String room, long lastSeq, String epoch) {
    saveRoom(room, lastSeq);
  }

  /** Joined rooms and the last seq delivered in each. */
  Map<String, Long> rooms();

  /**
   * The epoch of each joined room's position, as last saved with
   * {@link #saveRoom(String, long, String)}; rooms saved without one are absent. The default, for
   * stores that do not keep epochs, is empty.
   */
  default Map<String, String> roomEpochs() {
    return Map.of();
  }

  /** Releases the store's resources. */
  @Override
  void close();
}

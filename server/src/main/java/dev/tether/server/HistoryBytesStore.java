package dev.tether.server;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The store a {@link TetherServer} gives its hub: the application's store, with the server's
 * {@link TetherServer.Builder#historyBytesPerRoom history bytes per room} on every draft. Adds
 * nothing else; closing it closes the application's store.
 */
final class HistoryBytesStore implements RoomStore {
  private final RoomStore delegate;
  private final long historyBytes;

  HistoryBytesStore(RoomStore delegate, long historyBytes) {
    this.delegate = delegate;
    this.historyBytes = historyBytes;
  }

  @Override
  public CompletionStage<RoomState> open(String room) {
    return delegate.open(room);
  }

  @Override
  public CompletionStage<Optional<RoomState>> state(String room) {
    return delegate.state(room);
  }

  @Override
  public void append(Draft draft, AppendCallback callback) {
    delegate.append(draft.withHistoryBytes(historyBytes), callback);
  }

  @Override
  public CompletionStage<Optional<Appended>> accepted(String user, String id) {
    return delegate.accepted(user, id);
  }

  @Override
  public CompletionStage<History> history(String room, long after, int limit) {
    return delegate.history(room, after, limit);
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}

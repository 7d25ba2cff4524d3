package dev.tether.client.internal;

import dev.tether.api.Envelope;
import dev.tether.client.OutboxStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link OutboxStore#inMemory()}: thread-safe maps, guarded by this. */
public final class MemoryOutboxStore implements OutboxStore {
  private final Map<String, Envelope> pending = new LinkedHashMap<>();
  private final Map<String, Long> rooms = new LinkedHashMap<>();
  private final Map<String, String> epochs = new LinkedHashMap<>();

  @Override
  public synchronized void add(Envelope envelope, String frame) {
    pending.putIfAbsent(envelope.id(), envelope);
  }

  @Override
  public synchronized void remove(String id) {
    pending.remove(id);
  }

  @Override
  public synchronized List<Envelope> pending() {
    return new ArrayList<>(pending.values());
  }

  @Override
  public void saveRoom(String room, long lastSeq) {
    saveRoom(room, lastSeq, null);
  }

  @Override
  public synchronized void saveRoom(String room, long lastSeq, String epoch) {
    if (lastSeq < 0) {
      rooms.remove(room);
      epochs.remove(room);
      return;
    }
    rooms.put(room, lastSeq);
    if (epoch == null) {
      epochs.remove(room);
    } else {
      epochs.put(room, epoch);
    }
  }

  @Override
  public synchronized Map<String, Long> rooms() {
    return new LinkedHashMap<>(rooms);
  }

  @Override
  public synchronized Map<String, String> roomEpochs() {
    return new LinkedHashMap<>(epochs);
  }

  @Override
  public void close() {}

  @Override
  public String toString() {
    return "OutboxStore.inMemory()";
  }
}

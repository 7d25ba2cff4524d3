package dev.tether.api;

import java.util.AbstractMap;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * An envelope's body: an unmodifiable view of a map nobody else holds, in insertion order. The
 * {@link Envelope} constructor copies any other map into one of these and takes one of these as it
 * is, so a decoded body (the codec builds its map and hands it over) and the copies an envelope
 * makes of itself ({@link Envelope#accepted}, {@link Envelope#withId}) cost no further copy.
 * Read-only like {@link Collections#unmodifiableMap}: every mutator throws
 * {@link UnsupportedOperationException}. Values are not copied (a nested map stays what it was).
 */
final class FrozenMap extends AbstractMap<String, Object> {
  /** Never handed out: only read. */
  private final LinkedHashMap<String, Object> map;

  /** Takes {@code owned}, which the caller must not keep or change. */
  private FrozenMap(LinkedHashMap<String, Object> owned) {
    this.map = owned;
  }

  /** Freezes a map the caller built and gives up; the codec's decoded bodies. */
  static FrozenMap adopt(LinkedHashMap<String, Object> owned) {
    return new FrozenMap(owned);
  }

  /** A frozen map of one entry. */
  static FrozenMap single(String key, Object value) {
    LinkedHashMap<String, Object> map = new LinkedHashMap<>(2);
    map.put(key, value);
    return new FrozenMap(map);
  }

  /** A frozen copy of {@code body}, or {@code body} itself if it is frozen already. */
  static Map<String, Object> of(Map<String, Object> body) {
    if (body instanceof FrozenMap) {
      return body;
    }
    if (body.isEmpty()) {
      return Map.of();
    }
    LinkedHashMap<String, Object> copy = new LinkedHashMap<>(capacityFor(body.size()));
    copy.putAll(body);
    return new FrozenMap(copy);
  }

  /** A LinkedHashMap capacity that holds {@code n} entries without resizing. */
  static int capacityFor(int n) {
    return (int) Math.ceil(n / 0.75) + 1;
  }

  /** The entries, for the codec's writer: read only. */
  Map<String, Object> entries() {
    return map;
  }

  @Override
  public Object get(Object key) {
    return map.get(key);
  }

  @Override
  public Object getOrDefault(Object key, Object defaultValue) {
    return map.getOrDefault(key, defaultValue);
  }

  @Override
  public boolean containsKey(Object key) {
    return map.containsKey(key);
  }

  @Override
  public boolean containsValue(Object value) {
    return map.containsValue(value);
  }

  @Override
  public int size() {
    return map.size();
  }

  @Override
  public boolean isEmpty() {
    return map.isEmpty();
  }

  @Override
  public Set<Entry<String, Object>> entrySet() {
    return Collections.unmodifiableMap(map).entrySet();
  }

  @Override
  public Set<String> keySet() {
    return Collections.unmodifiableSet(map.keySet());
  }

  @Override
  public Collection<Object> values() {
    return Collections.unmodifiableCollection(map.values());
  }

  @Override
  public void forEach(BiConsumer<? super String, ? super Object> action) {
    map.forEach(action);
  }

  @Override
  public boolean equals(Object o) {
    return o == this || map.equals(o instanceof FrozenMap f ? f.map : o);
  }

  @Override
  public int hashCode() {
    return map.hashCode();
  }

  @Override
  public String toString() {
    return map.toString();
  }
}

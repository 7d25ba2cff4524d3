package dev.tether.api;

import java.util.AbstractMap;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
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
  /** Never handed out: only read. Null for a map of one entry, which {@link #key} holds. */
  private final LinkedHashMap<String, Object> map;
  /** The one entry's key when {@link #map} is null. */
  private final String key;
  /** The one entry's value when {@link #map} is null. */
  private final Object value;

  /** Takes {@code owned}, which the caller must not keep or change. */
  private FrozenMap(LinkedHashMap<String, Object> owned) {
    this.map = owned;
    this.key = null;
    this.value = null;
  }

  private FrozenMap(String key, Object value) {
    this.map = null;
    this.key = key;
    this.value = value;
  }

  /** Freezes a map the caller built and gives up; the codec's decoded bodies. */
  static FrozenMap adopt(LinkedHashMap<String, Object> owned) {
    return new FrozenMap(owned);
  }

  /** A frozen map of one entry (a chat's text), held in two fields: no hash map behind it. */
  static FrozenMap single(String key, Object value) {
    return new FrozenMap(Objects.requireNonNull(key, "key == null"), value);
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

  /** True if this map is one entry, {@link #singleKey()} and {@link #singleValue()}. */
  boolean isSingle() {
    return map == null;
  }

  /** The key of a {@linkplain #isSingle() single} entry. */
  String singleKey() {
    return key;
  }

  /** The value of a {@linkplain #isSingle() single} entry. */
  Object singleValue() {
    return value;
  }

  /** The entries, for the codec's writer: read only. */
  Map<String, Object> entries() {
    return map != null ? map : Collections.singletonMap(key, value);
  }

  @Override
  public Object get(Object k) {
    return map != null ? map.get(k) : key.equals(k) ? value : null;
  }

  @Override
  public Object getOrDefault(Object k, Object defaultValue) {
    return map != null ? map.getOrDefault(k, defaultValue) : key.equals(k) ? value : defaultValue;
  }

  @Override
  public boolean containsKey(Object k) {
    return map != null ? map.containsKey(k) : key.equals(k);
  }

  @Override
  public boolean containsValue(Object v) {
    return map != null ? map.containsValue(v) : Objects.equals(value, v);
  }

  @Override
  public int size() {
    return map != null ? map.size() : 1;
  }

  @Override
  public boolean isEmpty() {
    return map != null && map.isEmpty();
  }

  @Override
  public Set<Entry<String, Object>> entrySet() {
    return map != null ? Collections.unmodifiableMap(map).entrySet()
        : Collections.singleton(new SimpleImmutableEntry<>(key, value));
  }

  @Override
  public Set<String> keySet() {
    return map != null ? Collections.unmodifiableSet(map.keySet()) : Collections.singleton(key);
  }

  @Override
  public Collection<Object> values() {
    return map != null ? Collections.unmodifiableCollection(map.values()) : Collections.singletonList(value);
  }

  @Override
  public void forEach(BiConsumer<? super String, ? super Object> action) {
    if (map != null) {
      map.forEach(action);
    } else {
      action.accept(key, value);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o == this || entries().equals(o instanceof FrozenMap f ? f.entries() : o);
  }

  @Override
  public int hashCode() {
    return map != null ? map.hashCode() : Objects.hashCode(key) ^ Objects.hashCode(value);
  }

  @Override
  public String toString() {
    return entries().toString();
  }
}

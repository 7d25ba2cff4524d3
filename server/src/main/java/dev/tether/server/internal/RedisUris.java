package dev.tether.server.internal;

import io.lettuce.core.RedisURI;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Reads the URI of {@link dev.tether.server.RoomStore#redis}: Lettuce's, plus Tether's {@code prefix}. */
final class RedisUris {
  /** The key and channel prefix unless the URI says. */
  static final String DEFAULT_PREFIX = "tether";

  private RedisUris() {}

  /** Lettuce's URI and the prefix. */
  record Parsed(RedisURI uri, String prefix) {}

  static Parsed parse(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.startsWith("redis")) {
      throw new IllegalArgumentException("not a Redis URI (redis://HOST:PORT expected): " + redacted(uri));
    }
    String prefix = DEFAULT_PREFIX;
    boolean timeout = false;
    List<String> rest = new ArrayList<>();
    String query = uri.getRawQuery();
    if (query != null) {
      for (String param : query.split("&")) {
        if (param.startsWith("prefix=")) {
          prefix = java.net.URLDecoder.decode(param.substring("prefix=".length()), java.nio.charset.StandardCharsets.UTF_8);
          if (prefix.isEmpty()) {
            throw new IllegalArgumentException("empty prefix in " + redacted(uri));
          }
        } else if (!param.isEmpty()) {
          timeout |= param.startsWith("timeout=");
          rest.add(param);
        }
      }
    }
    String text = uri.toString();
    int q = text.indexOf('?');
    String base = q < 0 ? text : text.substring(0, q);
    RedisURI redis;
    try {
      redis = RedisURI.create(rest.isEmpty() ? base : base + "?" + String.join("&", rest));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a Redis URI: " + redacted(uri) + " (" + e.getMessage() + ")", e);
    }
    if (!timeout) {
      redis.setTimeout(RedisRoomStore.DEFAULT_TIMEOUT);
    }
    return new Parsed(redis, prefix);
  }

  /** {@code uri} without credentials or query, for logs. */
  static String redacted(URI uri) {
    String host = uri.getHost() == null ? "" : uri.getHost();
    return uri.getScheme() + "://" + host + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
        + (uri.getRawPath() == null ? "" : uri.getRawPath());
  }

  /** {@code uri} without credentials, for logs. */
  static String redacted(RedisURI uri) {
    if (uri.getSentinels() != null && !uri.getSentinels().isEmpty()) {
      return "redis-sentinel://" + uri.getSentinels().get(0).getHost() + ":" + uri.getSentinels().get(0).getPort()
          + " (master " + uri.getSentinelMasterId() + ")";
    }
    return (uri.isSsl() ? "rediss://" : "redis://") + uri.getHost() + ":" + uri.getPort()
        + (uri.getDatabase() == 0 ? "" : "/" + uri.getDatabase());
  }
}

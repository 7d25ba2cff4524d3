package dev.tether.server.internal;

import java.util.Locale;
import java.util.Set;

/**
 * Which {@code Origin} headers a handshake may carry: any, only the server's own origin (the
 * {@code Origin}'s host and port equal the {@code Host} header), or a list. A handshake without
 * {@code Origin} (not from a browser) is always admitted: only browsers are held to it. The
 * same-origin check ignores the scheme and trusts the {@code Host} header as received: behind a
 * reverse proxy that rewrites it, list the public origins instead (see
 * {@code TetherServer.Builder.allowedOrigins}).
 */
public final class Origins {
  /** Any origin. */
  public static final Origins ANY = new Origins(null, false);
  /** Only pages served from the same host and port as the WebSocket endpoint. */
  public static final Origins SAME_ORIGIN = new Origins(null, true);

  /** Lower case; null for ANY and SAME_ORIGIN. */
  private final Set<String> allowed;
  private final boolean sameOrigin;

  private Origins(Set<String> allowed, boolean sameOrigin) {
    this.allowed = allowed;
    this.sameOrigin = sameOrigin;
  }

  /** Exactly these origins, such as {@code https://chat.example.com}, compared ignoring case. */
  public static Origins of(Set<String> origins) {
    return new Origins(origins.stream().map(o -> o.toLowerCase(Locale.ROOT))
        .collect(java.util.stream.Collectors.toUnmodifiableSet()), false);
  }

  /** The first check, which sees only the header (null: none); the same-origin check comes later. */
  boolean admitsOrigin(String origin) {
    return origin == null || allowed == null || allowed.contains(origin.toLowerCase(Locale.ROOT));
  }

  /** The same-origin check, which needs the {@code Host} header; true unless this policy is same-origin. */
  boolean admitsForHost(String origin, String host) {
    if (!sameOrigin || origin == null) {
      return true;
    }
    if (host == null) {
      return false;
    }
    int scheme = origin.indexOf("://");
    String authority = scheme < 0 ? origin : origin.substring(scheme + 3);
    return authority.equalsIgnoreCase(host.trim());
  }

  @Override
  public String toString() {
    return allowed != null ? allowed.toString() : sameOrigin ? "same origin" : "any";
  }
}

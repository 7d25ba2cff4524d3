package dev.tether.client.internal;

import dev.tether.api.WireRules;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.Extension;
import jakarta.websocket.HandshakeResponse;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Builds the JSR-356 endpoint configuration of one attempt: subprotocols (protocol v2,
 * {@code tether.v2}, then the user's), extensions, extra handshake headers, and what the response
 * says about the attempt's {@link Connection} (the server's name for the user).
 */
final class EndpointConfigs {
  private EndpointConfigs() {}

  /**
   * @param supplier called on every handshake (so that a refreshed token is used on reconnect);
   *     null for none. Its headers override the fixed ones.
   * @param subprotocols to offer, as {@link #offered} made them (made once per client, not per attempt)
   * @param extensions to offer, such as permessage-deflate
   * @param beforeHandshake run first on every handshake, on the connecting thread
   * @param attempt whose {@link Connection#user} the response's {@value #USER_HEADER} sets
   */
  static ClientEndpointConfig create(Map<String, String> headers, Supplier<Map<String, String>> supplier,
      List<String> subprotocols, List<Extension> extensions, Runnable beforeHandshake, Connection attempt) {
    ClientEndpointConfig.Configurator configurator = new ClientEndpointConfig.Configurator() {
      @Override
      public void beforeRequest(Map<String, List<String>> request) {
        beforeHandshake.run();
        headers.forEach((name, value) -> request.put(name, List.of(value)));
        if (supplier != null) {
          Map<String, String> fresh = supplier.get();
          if (fresh != null) {
            fresh.forEach((name, value) -> request.put(name, List.of(value)));
          }
        }
      }

      @Override
      public void afterResponse(HandshakeResponse response) {
        attempt.user = user(response.getHeaders());
      }
    };
    return ClientEndpointConfig.Builder.create()
        .preferredSubprotocols(subprotocols)
        .extensions(extensions)
        .configurator(configurator)
        .build();
  }

  /**
   * The subprotocols a client offers: protocol v2 ({@code tether.v2}) first (only a Tether server
   * knows it, and one that does not answers without it), then the user's; immutable.
   */
  static List<String> offered(List<String> subprotocols) {
    if (subprotocols.isEmpty()) {
      return V2_ONLY;
    }
    List<String> offered = new ArrayList<>(subprotocols.size() + 1);
    offered.add(WireRules.PROTOCOL_V2);
    for (String p : subprotocols) {
      if (!p.equals(WireRules.PROTOCOL_V2)) {
        offered.add(p);
      }
    }
    return List.copyOf(offered);
  }

  /** What a client without subprotocols of its own offers: one list for all of them. */
  private static final List<String> V2_ONLY = List.of(WireRules.PROTOCOL_V2);

  /** The response header in which a Tether server names the connection's user (PROTOCOL.md). */
  static final String USER_HEADER = "Tether-User";

  /** The user a {@value #USER_HEADER} header names (percent-encoded UTF-8), or null without one. */
  static String user(Map<String, List<String>> headers) {
    if (headers == null) {
      return null;
    }
    for (Map.Entry<String, List<String>> header : headers.entrySet()) {
      if (USER_HEADER.equalsIgnoreCase(header.getKey()) && header.getValue() != null
          && !header.getValue().isEmpty()) {
        try {
          String user = URLDecoder.decode(header.getValue().get(0).strip(), StandardCharsets.UTF_8);
          return user.isEmpty() ? null : user;
        } catch (IllegalArgumentException malformed) {
          return null; // not from a Tether server: no name rather than a wrong one
        }
      }
    }
    return null;
  }
}

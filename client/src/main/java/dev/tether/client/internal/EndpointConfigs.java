package dev.tether.client.internal;

import dev.tether.api.WireRules;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.Extension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Builds the JSR-356 endpoint configuration: subprotocols (protocol v2, {@code tether.v2}, then the
 * user's), extensions and extra handshake headers.
 */
final class EndpointConfigs {
  private EndpointConfigs() {}

  /**
   * @param supplier called on every handshake (so that a refreshed token is used on reconnect);
   *     null for none. Its headers override the fixed ones.
   * @param extensions to offer, such as permessage-deflate
   * @param beforeHandshake run first on every handshake, on the connecting thread
   */
  static ClientEndpointConfig create(Map<String, String> headers, Supplier<Map<String, String>> supplier,
      List<String> subprotocols, List<Extension> extensions, Runnable beforeHandshake) {
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
    };
    // Protocol v2 first: only a Tether server knows it, and one that does not answers without it.
    List<String> offered = new ArrayList<>(subprotocols.size() + 1);
    offered.add(WireRules.PROTOCOL_V2);
    for (String p : subprotocols) {
      if (!p.equals(WireRules.PROTOCOL_V2)) {
        offered.add(p);
      }
    }
    return ClientEndpointConfig.Builder.create()
        .preferredSubprotocols(offered)
        .extensions(extensions)
        .configurator(configurator)
        .build();
  }
}

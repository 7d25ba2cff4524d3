package dev.tether.client.internal;

import jakarta.websocket.ClientEndpointConfig;
import java.util.List;
import java.util.Map;

/** Builds the JSR-356 endpoint configuration: subprotocols and extra handshake headers. */
final class EndpointConfigs {
  private EndpointConfigs() {}

  static ClientEndpointConfig create(Map<String, String> headers, List<String> subprotocols) {
    ClientEndpointConfig.Configurator configurator = new ClientEndpointConfig.Configurator() {
      @Override
      public void beforeRequest(Map<String, List<String>> request) {
        headers.forEach((name, value) -> request.put(name, List.of(value)));
      }
    };
    return ClientEndpointConfig.Builder.create()
        .preferredSubprotocols(subprotocols)
        .configurator(configurator)
        .build();
  }
}

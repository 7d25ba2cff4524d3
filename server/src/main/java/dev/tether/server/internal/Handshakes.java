package dev.tether.server.internal;

import jakarta.websocket.server.HandshakeRequest;
import java.util.List;
import java.util.Map;

/** Reading a handshake the same way on every container. */
public final class Handshakes {
  private Handshakes() {}

  /** The first value of header {@code name}, matched ignoring case (containers differ), or null. */
  public static String header(HandshakeRequest request, String name) {
    Map<String, List<String>> headers = request.getHeaders();
    List<String> values = headers.get(name);
    if (values == null) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
          values = e.getValue();
          break;
        }
      }
    }
    return values == null || values.isEmpty() ? null : values.get(0);
  }
}

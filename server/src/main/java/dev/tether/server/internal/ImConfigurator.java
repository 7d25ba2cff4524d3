package dev.tether.server.internal;

import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.List;
import java.util.function.Function;
import org.glassfish.tyrus.core.HandshakeException;

/**
 * Binds the endpoint of one server to its {@link Hub}, counts handshakes and refuses them while the
 * hub rejects new connections or when their {@code Origin} is not allowed.
 *
 * <p>Tyrus calls {@link #checkOrigin} first and answers {@code false} with 403 (then
 * {@link #modifyHandshake} is not called), so a refused origin is counted there.
 *
 * <p>Refusal throws Tyrus's {@link HandshakeException} with status 503 out of
 * {@link #modifyHandshake}. The method cannot declare it, so it is thrown unchecked; Tyrus's engine
 * catches exactly this exception around the handshake, answers with its status and opens no
 * session. Setting status 503 on the response instead would not do: Tyrus treats a 503 response as
 * a successful upgrade and opens a session anyway.
 */
final class ImConfigurator extends ServerEndpointConfig.Configurator {
  /** User property holding the user a bearer token named; read by {@link ImEndpoint}. */
  static final String AUTHENTICATED_USER = "dev.tether.server.user";

  private final Hub hub;

  ImConfigurator(Hub hub) {
    this.hub = hub;
  }

  @Override
  public boolean checkOrigin(String originHeaderValue) {
    return hub.admitOrigin(originHeaderValue);
  }

  @Override
  public void modifyHandshake(
      ServerEndpointConfig config, HandshakeRequest request, HandshakeResponse response) {
    if (!hub.admitHandshake()) {
      throw Sneaky.<RuntimeException>raise(
          new HandshakeException(503, "stub server is rejecting new connections"));
    }
    Function<String, String> authenticator = hub.authenticator();
    if (authenticator != null) {
      String user = userForBearer(authenticator, request.getHeaders().get("Authorization"));
      if (user == null) {
        // The token is never logged or echoed: only whether there was one.
        throw Sneaky.<RuntimeException>raise(new HandshakeException(401, "missing or unknown bearer token"));
      }
      // Per handshake: Tyrus gives each handshake its own copy of the user properties.
      config.getUserProperties().put(AUTHENTICATED_USER, user);
    }
  }

  private static String userForBearer(Function<String, String> authenticator, List<String> header) {
    if (header == null || header.isEmpty()) {
      return null;
    }
    String value = header.get(0);
    if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return authenticator.apply(value.substring(7).trim());
  }

  @Override
  public <T> T getEndpointInstance(Class<T> endpointClass) {
    return endpointClass.cast(new ImEndpoint(hub));
  }

  private static final class Sneaky {
    @SuppressWarnings("unchecked")
    static <E extends Throwable> RuntimeException raise(Throwable t) throws E {
      throw (E) t;
    }
  }
}

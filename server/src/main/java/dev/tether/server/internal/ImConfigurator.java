package dev.tether.server.internal;

import dev.tether.api.WireRules;
import dev.tether.server.Authenticator;
import jakarta.websocket.Extension;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits or refuses each handshake and binds the endpoint of one server to its {@link Hub}. In
 * order: the tap (test tooling: 503), the origin (403; the list check in {@link #checkOrigin}, which
 * every container answers with 403, the same-origin check here), the connection cap (503), the
 * authenticator (401/403, or 503 if it throws). Refusing is container-specific: see
 * {@link Refusals}.
 *
 * <p>It also picks the extensions of each connection: permessage-deflate or not ({@link Compression}),
 * and its protocol version: v2 if the client offers {@link WireRules#PROTOCOL_V2}, else v1.
 *
 * <p>Containers call {@link #checkOrigin} first and do not call {@link #modifyHandshake} if it says
 * no, so a refused origin is shown to the tap there.
 */
final class ImConfigurator extends ServerEndpointConfig.Configurator {
  private static final Logger log = LoggerFactory.getLogger(ImConfigurator.class);

  /**
   * User property holding the connection's user: the one the authenticator named or, without one,
   * the {@code user} query parameter or a fresh anonymous name; read by {@link ImEndpoint}.
   */
  static final String AUTHENTICATED_USER = "dev.tether.server.user";

  private final Hub hub;
  /** Set once the listener this config serves is stopping: nothing more is admitted through it. */
  private volatile boolean retired;

  ImConfigurator(Hub hub) {
    this.hub = hub;
  }

  void retire() {
    retired = true;
  }

  boolean retired() {
    return retired;
  }

  @Override
  public boolean checkOrigin(String originHeaderValue) {
    if (hub.config().limits().origins().admitsOrigin(originHeaderValue)) {
      return true;
    }
    hub.config().tap().handshake();
    return false;
  }

  @Override
  public void modifyHandshake(ServerEndpointConfig config, HandshakeRequest request, HandshakeResponse response) {
    HubConfig c = hub.config();
    if (!c.tap().handshake()) {
      Refusals.refuse(config, request, 503, "server is rejecting new connections");
      return;
    }
    if (retired) {
      Refusals.refuse(config, request, 503, "server shutting down");
      return;
    }
    String origin = Handshakes.header(request, "Origin");
    if (!c.limits().origins().admitsForHost(origin, Handshakes.header(request, "Host"))) {
      Refusals.refuse(config, request, 403, "origin not allowed");
      return;
    }
    // Early and not atomic (a handshake admitted here may still not open): handshakes completing
    // together can all pass it. The cap itself is kept when the connection opens (Hub.open), which
    // closes those beyond it at once with 1013.
    if (hub.placesTaken() >= c.maxConnections()) {
      Refusals.refuse(config, request, 503, "too many connections");
      return;
    }
    Authenticator authenticator = c.authenticator();
    if (authenticator != null) {
      String user;
      try {
        user = authenticator.authenticate(request);
      } catch (Authenticator.Refused refused) {
        Refusals.refuse(config, request, refused.status(), refused.getMessage());
        return;
      } catch (RuntimeException e) {
        // Not a "no": the authenticator could not decide (its backend is down, say). 401 would be
        // final for clients; 503 makes them come back later.
        log.warn("authenticator failed; refusing the handshake with 503 so that the client retries", e);
        Refusals.refuse(config, request, 503, "cannot authenticate now");
        return;
      }
      if (user == null || user.isEmpty()) {
        // Credentials are never logged or echoed: only that they were not accepted.
        Refusals.refuse(config, request, 401, "missing or unknown credentials");
        return;
      }
      // Per handshake: every container gives each handshake its own copy of the user properties.
      config.getUserProperties().put(AUTHENTICATED_USER, user);
      tellUser(response, user);
    } else {
      List<String> named = request.getParameterMap().get("user");
      String user = named == null || named.isEmpty() || named.get(0).isEmpty() ? hub.anonymousUser() : named.get(0);
      config.getUserProperties().put(AUTHENTICATED_USER, user);
      tellUser(response, user);
    }
  }

  /**
   * The first subprotocol the client asks for that the endpoint has ({@link WireRules#PROTOCOL_V2});
   * none (v1) if it asks for none of them. Decided here rather than by the container's default,
   * which differs between containers (and may be another container's, found by the ServiceLoader).
   */
  @Override
  public String getNegotiatedSubprotocol(List<String> supported, List<String> requested) {
    for (String asked : requested) {
      String p = asked.trim();
      if (supported.contains(p)) {
        return p;
      }
    }
    return "";
  }

  /** The response header that names the connection's user (PROTOCOL.md, "Who you are"). */
  static final String USER_HEADER = "Tether-User";

  /** Names {@code user} in the response, percent-encoded as UTF-8 so that any name fits a header. */
  private static void tellUser(HandshakeResponse response, String user) {
    String encoded = java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    response.getHeaders().put(USER_HEADER, List.of(encoded));
  }

  /** See {@link Compression#negotiate}. */
  @Override
  public List<Extension> getNegotiatedExtensions(List<Extension> installed, List<Extension> requested) {
    return Compression.negotiate(hub.config().compression(), installed, requested, super::getNegotiatedExtensions);
  }

  @Override
  public <T> T getEndpointInstance(Class<T> endpointClass) {
    return endpointClass.cast(new ImEndpoint(hub, this));
  }
}

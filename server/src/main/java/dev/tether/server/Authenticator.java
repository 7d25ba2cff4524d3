package dev.tether.server;

import jakarta.websocket.server.HandshakeRequest;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Decides who a connection belongs to, from its opening handshake: returns the user's name, or
 * refuses the handshake. Without one, a {@link TetherServer} takes the user from the {@code user}
 * query parameter, which anyone can set.
 * <pre>{@code
 * TetherServer server = TetherServer.builder()
 *     .authenticator(Authenticator.bearerTokens(tokens::userFor))   // 401 without a known token
 *     .build();
 * }</pre>
 *
 * <h2>Refusing</h2>
 * Return null, or throw {@link Refused#unauthorized}, for "who are you?" (HTTP 401); throw
 * {@link Refused#forbidden} for "I know who you are, and no" (HTTP 403). No session opens. Clients
 * should treat both as final. Where the container cannot answer a handshake with a status
 * (Tomcat), the connection opens and is closed at once with 1008 (policy violation) and a reason
 * starting with the status, such as {@code "401 missing or unknown bearer token"}.
 *
 * <h2>Threads</h2>
 * Called on the container's thread that handles the handshake, once per handshake, concurrently
 * for different connections: it must be thread-safe and should be quick (it holds up that thread).
 * Never log the credentials it sees.
 *
 * <h2>Failing</h2>
 * Only null and {@link Refused} are answers. A {@link RuntimeException} it throws means it could
 * not decide (its identity backend timed out, say): the server logs it and refuses the handshake
 * with 503 "cannot authenticate now" (on Tomcat: opened, then closed with 1013), which clients
 * retry later, so that an outage of the backend does not log every client out for good.
 */
@FunctionalInterface
public interface Authenticator {

  /**
   * The user this handshake belongs to, or null to refuse it with 401.
   *
   * @throws Refused to refuse it with the status it names
   * @throws RuntimeException if it cannot decide now: the handshake is refused with 503
   */
  String authenticate(HandshakeRequest request) throws Refused;

  /**
   * Requires {@code Authorization: Bearer TOKEN}; {@code userForToken} names the user of a token,
   * or returns null for a token it does not accept (an expired one, say): then 401.
   */
  static Authenticator bearerTokens(Function<String, String> userForToken) {
    Objects.requireNonNull(userForToken, "userForToken == null");
    return request -> {
      List<String> header = request.getHeaders().get("Authorization");
      if (header == null || header.isEmpty()) {
        return null;
      }
      String value = header.get(0);
      if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
        return null;
      }
      return userForToken.apply(value.substring(7).trim());
    };
  }

  /**
   * A refused handshake: its HTTP status (401 or 403) and a short reason, sent to the client in
   * the response. The reason must not contain credentials.
   */
  final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    /** The HTTP status of the refusal, 401 or 403. */
    private final int status;

    private Refused(int status, String reason) {
      super(Objects.requireNonNull(reason, "reason == null"), null, false, false);
      this.status = status;
    }

    /** 401: no or unknown credentials. */
    public static Refused unauthorized(String reason) {
      return new Refused(401, reason);
    }

    /** 403: known, but not allowed. */
    public static Refused forbidden(String reason) {
      return new Refused(403, reason);
    }

    /** 401 or 403. */
    public int status() {
      return status;
    }
  }
}

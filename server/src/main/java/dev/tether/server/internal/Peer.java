package dev.tether.server.internal;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One open WebSocket connection of the stub server and the user it belongs to. Sends are
 * asynchronous and never throw: a failed send means the connection is going away, which the
 * endpoint's close callback handles.
 */
public final class Peer {
  private static final Logger log = LoggerFactory.getLogger(Peer.class);

  private final Session session;
  private final String user;
  /** Null when the server sets no rate limit. */
  private final RateLimiter limiter;
  /** Rooms this connection joined; updated under the room's lock, read on close. */
  private final Set<Room> rooms = ConcurrentHashMap.newKeySet();

  Peer(Session session, String user, RateLimiter limiter) {
    this.session = session;
    this.user = user;
    this.limiter = limiter;
  }

  /** Whether this frame is within the connection's rate limit; always true without one. */
  boolean withinRateLimit() {
    return limiter == null || limiter.tryAcquire();
  }

  public String user() {
    return user;
  }

  Set<Room> rooms() {
    return rooms;
  }

  /*
   * A failed send means the member silently missed a frame, which would break the gap-free promise
   * without a trace. So the connection is aborted instead: the client sees it end, reconnects and
   * resumes from the last seq it has.
   */

  void send(String text) {
    try {
      session.getAsyncRemote().sendText(text, result -> {
        if (!result.isOK()) {
          sendFailed(result.getException());
        }
      });
    } catch (RuntimeException e) {
      sendFailed(e);
    }
  }

  void send(ByteBuffer bytes) {
    try {
      session.getAsyncRemote().sendBinary(bytes, result -> {
        if (!result.isOK()) {
          sendFailed(result.getException());
        }
      });
    } catch (RuntimeException e) {
      sendFailed(e);
    }
  }

  private void sendFailed(Throwable e) {
    log.debug("send to {} failed; aborting the connection", user, e);
    abort();
  }

  /** Sends a close frame with {@code code} and {@code reason}. */
  void close(int code, String reason) {
    try {
      session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code), reason));
    } catch (IOException | RuntimeException e) {
      log.debug("close of {} failed", user, e);
    }
  }

  /** Ends the TCP connection without a close frame; nothing to do if it is already closed. */
  void abort() {
    try {
      TransportAbort.abort(session);
    } catch (RuntimeException e) {
      log.debug("abort of {} failed; the connection is already closed", user, e);
    }
  }

  @Override
  public String toString() {
    return "Peer{" + user + ", " + session.getId() + "}";
  }
}

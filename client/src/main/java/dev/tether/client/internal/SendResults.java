package dev.tether.client.internal;

import jakarta.websocket.SendHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one {@link SendHandler} for async writes: a failed write means the connection is ending. */
final class SendResults {
  private static final Logger log = LoggerFactory.getLogger(SendResults.class);

  static final SendHandler HANDLER = result -> {
    if (!result.isOK()) {
      log.debug("write failed; the connection's close callback follows", result.getException());
    }
  };

  private SendResults() {}
}

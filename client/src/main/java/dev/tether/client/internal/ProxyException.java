package dev.tether.client.internal;

import java.io.IOException;

/**
 * An attempt failed at the HTTP proxy, before the server was reached: the proxy could not be
 * reached, refused the tunnel, or wants credentials we do not have. Its message names the proxy
 * and what it answered, never a credential. {@link HandshakeFailures} reports it as it is and ends
 * the socket if it is {@linkplain #terminal() terminal}.
 */
final class ProxyException extends IOException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final boolean terminal;

  /**
   * @param status the proxy's HTTP status, or -1 if it gave none
   * @param terminal true if retrying cannot help (no or refused credentials, a forbidden target)
   */
  ProxyException(String message, int status, boolean terminal, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.terminal = terminal;
  }

  /** The proxy's HTTP status, or -1. */
  int status() {
    return status;
  }

  boolean terminal() {
    return terminal;
  }
}

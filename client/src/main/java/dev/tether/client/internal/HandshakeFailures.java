package dev.tether.client.internal;

import java.lang.reflect.Method;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;

/**
 * Tells failed attempts that retrying cannot fix from those it may: a server that answers the
 * upgrade with 401 or 403 will do so again, and a certificate we do not trust stays untrusted. Such
 * failures are terminal: no reconnect storm against a server that will never let us in.
 *
 * <p>JSR-356 has no standard exception for an HTTP status, so the status is read from the cause
 * chain: Tyrus's {@code HandshakeException.getHttpStatusCode()}, Jetty's
 * {@code UpgradeException.getResponseStatusCode()}, or Tyrus's {@code AuthenticationException}
 * (401).
 */
final class HandshakeFailures {
  private HandshakeFailures() {}

  /** Why {@code failure} is terminal, or null if a later attempt may succeed. */
  static String terminalReason(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof CertificateException || t instanceof SSLException) {
        return "TLS handshake failed (" + t.getMessage() + "); not reconnecting: the server's"
            + " certificate or protocol will not change by retrying";
      }
      int status = httpStatus(t);
      if (status == 401 || status == 403) {
        return "the server refused the handshake with HTTP " + status
            + (status == 401 ? " Unauthorized" : " Forbidden") + "; not reconnecting";
      }
    }
    return null;
  }

  static int httpStatus(Throwable t) {
    if (t.getClass().getSimpleName().equals("AuthenticationException")) {
      return 401;
    }
    for (String name : new String[] {"getHttpStatusCode", "getResponseStatusCode"}) {
      try {
        Method m = t.getClass().getMethod(name);
        Object value = m.invoke(t);
        if (value instanceof Integer status) {
          return status;
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        // not this kind of exception
      }
    }
    return -1;
  }
}

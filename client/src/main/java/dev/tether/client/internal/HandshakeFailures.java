package dev.tether.client.internal;

import dev.tether.api.TetherException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;

/**
 * Turns a failed connection attempt into what the delegate is told, and tells failures that
 * retrying cannot fix from those it may. A server that answers the upgrade with a final 4xx status
 * (401, 403, 404, ...; not 408 Request Timeout or 429 Too Many Requests) will do so again, and a
 * certificate we do not trust stays untrusted: such failures are terminal, with no reconnect storm
 * against a server that will never let us in. One exception: a final status other than 401 and 403
 * from a server that accepted this URI before (a connection opened on it) is retried, since such a
 * server is more likely restarting (Tyrus on Grizzly answers 404 for a moment while it deploys its
 * endpoints) than wrong. An unresolvable host may resolve later (DNS, VPN), so it is retried, but its
 * failure names the host.
 *
 * <p>JSR-356 has no standard exception for an HTTP status, so the status is read from the cause
 * chain: Tyrus's {@code HandshakeException.getHttpStatusCode()}, Jetty's
 * {@code UpgradeException.getResponseStatusCode()}, or Tyrus's {@code AuthenticationException}
 * (401). Messages name the URI with its query values masked, since they may carry credentials.
 *
 * <p>A failure at an HTTP proxy ({@link ProxyException}) is reported as the proxy explained it, and
 * is terminal when the proxy's answer will not change (no or refused credentials, a forbidden
 * target).
 */
final class HandshakeFailures {
  private HandshakeFailures() {}

  /** What to report for a failed attempt, and whether retrying is pointless. */
  record Verdict(Throwable reported, boolean terminal) {}

  /**
   * Judges {@code failure}, thrown by {@code connectToServer} (or reported before open) for
   * {@code uri}.
   *
   * @param openedBefore true if a connection of this socket opened on {@code uri} before
   */
  static Verdict judge(URI uri, Throwable failure, boolean openedBefore) {
    // Judged on the container's own exceptions (their types and status codes); what is reported
    // carries no query value (containers such as Jetty name the whole URI in their messages).
    Verdict v = judgeAsThrown(uri, failure, openedBefore);
    Throwable reported = v.reported();
    Throwable cause = Redaction.scrub(reported.getCause(), uri);
    String message = Redaction.text(reported.getMessage(), uri);
    if (cause == reported.getCause() && message.equals(reported.getMessage())) {
      return v;
    }
    TetherException clean = new TetherException(message, cause);
    clean.setStackTrace(reported.getStackTrace());
    return new Verdict(clean, v.terminal());
  }

  private static Verdict judgeAsThrown(URI uri, Throwable failure, boolean openedBefore) {
    String prefix = "cannot connect to " + redacted(uri) + ": ";
    ProxyException proxy = proxyFailure(failure);
    if (proxy != null) {
      return new Verdict(new TetherException(prefix + proxy.getMessage(), failure), proxy.terminal());
    }
    String terminal = terminalReason(failure);
    int status = status(failure);
    if (terminal != null && openedBefore && status != 401 && status != 403 && status >= 400) {
      return new Verdict(new TetherException(prefix + answer(status)
          + "; retrying, as the server accepted this URI before (restarting?)", failure), false);
    }
    if (terminal != null) {
      return new Verdict(new TetherException(prefix + terminal, failure), true);
    }
    if (unresolved(failure)) {
      UnknownHostException unknown = new UnknownHostException(uri.getHost());
      unknown.initCause(failure);
      return new Verdict(new TetherException(prefix + "cannot resolve host " + uri.getHost(), unknown), false);
    }
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return new Verdict(new TetherException(prefix + root, failure), false);
  }

  /** Why {@code failure} makes a first attempt terminal, or null if a later attempt may succeed. */
  static String terminalReason(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof CertificateException || t instanceof SSLException) {
        return "TLS handshake failed (" + t.getMessage() + "); not reconnecting: the server's"
            + " certificate or protocol will not change by retrying";
      }
    }
    int status = status(failure);
    if (status == 401 || status == 403) {
      return "the server refused the handshake with HTTP " + status
          + (status == 401 ? " Unauthorized" : " Forbidden") + "; not reconnecting";
    }
    if (status >= 400 && status < 500 && status != 408 && status != 429) {
      return answer(status) + "; not reconnecting: the same request will get the same answer";
    }
    return null;
  }

  /** The proxy's account of what failed, if a proxy was in the way and said so. */
  private static ProxyException proxyFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ProxyException p) {
        return p;
      }
    }
    return null;
  }

  private static String answer(int status) {
    return "the server answered the handshake with HTTP " + status + reasonPhrase(status);
  }

  /** The first HTTP status in the cause chain, or -1. */
  private static int status(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      int status = httpStatus(t);
      if (status > 0) {
        return status;
      }
    }
    return -1;
  }

  /** The URI as messages and logs may show it: {@link Redaction#uri}. */
  static String redacted(URI uri) {
    return Redaction.uri(uri);
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

  private static boolean unresolved(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
        return true;
      }
    }
    return false;
  }

  private static String reasonPhrase(int status) {
    return switch (status) {
      case 400 -> " Bad Request";
      case 404 -> " Not Found";
      case 405 -> " Method Not Allowed";
      case 410 -> " Gone";
      case 426 -> " Upgrade Required";
      default -> "";
    };
  }
}

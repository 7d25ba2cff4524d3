package dev.tether.client.internal;

import java.net.URI;

/**
 * What logs, exception messages and {@code toString()} may show of a URI: scheme, host, port, path
 * and the names of its query parameters, never their values (nor a parameter without a name) (a token passed as {@code ?token=..}
 * would otherwise end up in a log), user info or fragment. The one place that decides it. Stateless;
 * public only for {@code TetherClient}'s builder.
 */
public final class Redaction {
  /** What stands for a query parameter's value. */
  static final String MASK = "***";

  private Redaction() {}

  /** {@code ws://host:port/path?user=***&token=***}; for an opaque URI only its scheme. */
  public static String uri(URI uri) {
    if (uri.isOpaque() || uri.getScheme() == null && uri.getHost() == null) {
      return (uri.getScheme() == null ? "" : uri.getScheme() + ":") + MASK;
    }
    StringBuilder b = new StringBuilder();
    if (uri.getScheme() != null) {
      b.append(uri.getScheme()).append("://");
    }
    if (uri.getHost() != null) {
      b.append(uri.getHost());
    }
    if (uri.getPort() != -1) {
      b.append(':').append(uri.getPort());
    }
    if (uri.getRawPath() != null) {
      b.append(uri.getRawPath());
    }
    String query = uri.getRawQuery();
    if (query != null) {
      b.append('?');
      String[] parameters = query.split("&", -1);
      for (int i = 0; i < parameters.length; i++) {
        if (i > 0) {
          b.append('&');
        }
        String parameter = parameters[i];
        int equals = parameter.indexOf('=');
        // A parameter without '=' may be a bare secret: masked whole.
        b.append(equals < 0 ? MASK : parameter.substring(0, equals + 1) + MASK);
      }
    }
    return b.toString();
  }

  /** {@code text} with every form of {@code uri}'s query in it masked. */
  static String text(String text, URI uri) {
    if (text == null || uri.getRawQuery() == null) {
      return text;
    }
    String masked = uri(uri);
    String maskedQuery = masked.substring(masked.indexOf('?') + 1);
    return text.replace(uri.toString(), masked)
        .replace(uri.getRawQuery(), maskedQuery)
        .replace(uri.getQuery(), maskedQuery);
  }

  /**
   * {@code failure} as it may be shown for {@code uri}: itself if no message in its chain holds the
   * URI's query, else a copy of the chain down to the last exception that does, with the query
   * masked in each message. A copy keeps its exception's class when that class has a public
   * {@code (String)} constructor (else it is a {@code TetherException} naming the class), and its
   * stack trace; below it the original exceptions are kept.
   */
  static Throwable scrub(Throwable failure, URI uri) {
    if (failure == null || uri.getRawQuery() == null || !mentions(failure, uri)) {
      return failure;
    }
    Throwable cause = failure.getCause() == failure ? null : scrub(failure.getCause(), uri);
    String message = text(failure.getMessage(), uri);
    Throwable copy;
    try {
      copy = failure.getClass().getConstructor(String.class).newInstance(message);
      if (cause != null) {
        copy.initCause(cause);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      copy = new dev.tether.api.TetherException(failure.getClass().getName() + ": " + message, cause);
    }
    copy.setStackTrace(failure.getStackTrace());
    return copy;
  }

  /** True if a message of {@code t} or its causes holds {@code uri}'s query. */
  private static boolean mentions(Throwable t, URI uri) {
    for (Throwable e = t; e != null; e = e.getCause() == e ? null : e.getCause()) {
      String m = e.getMessage();
      if (m != null && (m.contains(uri.getRawQuery()) || m.contains(uri.getQuery()))) {
        return true;
      }
    }
    return false;
  }
}

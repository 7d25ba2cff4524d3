package dev.tether.server.internal;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Grizzly announces each listener's start and stop at INFO through {@code java.util.logging}
 * ({@code INFO: Started listener bound to [0.0.0.0:8025]}, {@code INFO: [tether-listen-1] Started.}),
 * whatever SLF4J provider the application has, and Tether's own INFO line says the same. Before a
 * listener starts, the two loggers that do it are set to WARNING, unless the application gave them
 * (or their parents) a level of its own: its logging configuration wins. Warnings and errors of
 * Grizzly and Tyrus are untouched. README.md, "Logging", says how to route JUL into SLF4J instead.
 */
final class GrizzlyLogs {
  /** Held: JUL keeps loggers weakly, and a level set on a collected logger is lost. */
  private static final List<Logger> QUIETED = List.of(
      Logger.getLogger("org.glassfish.grizzly.http.server.NetworkListener"),
      Logger.getLogger("org.glassfish.grizzly.http.server.HttpServer"));

  private GrizzlyLogs() {}

  /** Quiets the start and stop announcements, unless the application configured their level. */
  static synchronized void quietStartAndStop() {
    for (Logger logger : QUIETED) {
      if (!configured(logger)) {
        logger.setLevel(Level.WARNING);
      }
    }
  }

  /** True if the logger or a parent below the root has a level: the application's configuration. */
  private static boolean configured(Logger logger) {
    for (Logger l = logger; l != null && l.getParent() != null; l = l.getParent()) {
      if (l.getLevel() != null) {
        return !(QUIETED.contains(l) && l.getLevel() == Level.WARNING);
      }
    }
    return false;
  }
}

package dev.tether.client.internal;

import java.lang.reflect.InaccessibleObjectException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the client does when the module system keeps it out of Tyrus's internals. On the class path
 * the client reaches two of them by reflection: the transport under a session (to abort a dead
 * connection without a close frame) and Grizzly's client socket (to notice a server that hangs up
 * during the handshake). On the module path Tyrus does not open those packages, so an application
 * must, with {@link #OPENS}; without it both fall back (a close frame instead of an abort, the
 * connect timeout instead of an immediate failure) and this says so once, at WARN. Thread-safe.
 */
final class ModuleAccess {
  private static final Logger log = LoggerFactory.getLogger(ModuleAccess.class);

  /** The JVM options that open what the client reaches. README.md, "Module path", lists them too. */
  static final String OPENS = "--add-opens org.glassfish.tyrus.core/org.glassfish.tyrus.core=dev.tether.client"
      + " --add-opens org.glassfish.tyrus.container.grizzly.client/org.glassfish.tyrus.container.grizzly.client"
      + "=dev.tether.client";

  private static final AtomicBoolean warned = new AtomicBoolean();

  private ModuleAccess() {}

  /**
   * Reports that {@code what} cannot be done because a package is not open to this module.
   *
   * @param fallback what happens instead
   */
  static void closed(String what, String fallback, InaccessibleObjectException e) {
    if (warned.compareAndSet(false, true)) {
      log.warn("cannot {}: Tyrus does not open its internals to dev.tether.client on the module path; {}."
          + " Run with {} (this is said once)", what, fallback, OPENS);
    }
    log.debug("cannot {}", what, e);
  }
}

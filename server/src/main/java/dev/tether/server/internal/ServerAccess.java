package dev.tether.server.internal;

import dev.tether.server.TetherServer;

/**
 * How test tooling in another module (the stub server) reaches into a {@link TetherServer} without
 * that being public API: {@code TetherServer} installs the one instance when its class initializes.
 * Not for applications.
 */
public abstract class ServerAccess {
  private static volatile ServerAccess instance;

  /**
   * Called once, by {@code TetherServer}'s static initializer.
   *
   * @throws IllegalStateException if an access is installed already: nothing can replace it
   */
  public static synchronized void install(ServerAccess access) {
    if (instance != null) {
      throw new IllegalStateException("ServerAccess is installed already");
    }
    instance = java.util.Objects.requireNonNull(access, "access == null");
  }

  /** The installed access, initializing {@code TetherServer} if that has not happened yet. */
  public static ServerAccess get() {
    if (instance == null) {
      try {
        Class.forName(TetherServer.class.getName(), true, TetherServer.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
    }
    return instance;
  }

  /** The hub a server runs. */
  public abstract Hub hub(TetherServer server);

  /** Builds a server whose frames and handshakes {@code tap} sees; it logs no authentication warning. */
  public abstract TetherServer build(TetherServer.Builder builder, Tap tap);
}

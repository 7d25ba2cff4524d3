package dev.tether.server.internal;

import org.glassfish.tyrus.core.HandshakeException;

/**
 * Tyrus's way to refuse a handshake: its engine catches exactly {@link HandshakeException} around
 * the handshake, answers with its status and opens no session. (Setting the status on the response
 * would not do: Tyrus treats any response as a successful upgrade.) Only loaded on Tyrus.
 */
final class TyrusRefusal {
  private TyrusRefusal() {}

  /** Throws Tyrus's refusal; declared to return one so that callers can write {@code throw of(..)}. */
  static RuntimeException of(int status, String reason) {
    throw Sneaky.<RuntimeException>raise(new HandshakeException(status, reason));
  }

  private static final class Sneaky {
    /** Throws a checked exception unchecked: modifyHandshake cannot declare it. */
    @SuppressWarnings("unchecked")
    static <E extends Throwable> RuntimeException raise(Throwable t) throws E {
      throw (E) t;
    }
  }
}

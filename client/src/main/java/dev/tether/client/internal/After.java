package dev.tether.client.internal;

import dev.tether.api.TetherException;
import jakarta.websocket.CloseReason;

/**
 * What a {@link Lifecycle} transition asks for once the lock is released: at most one thing to do on
 * the wire, and messages to fail. Transitions decide under the lock; the socket acts on the answer
 * after releasing it, so that no lock holder waits on the network.
 *
 * @param action what to do with {@code connection}
 * @param reason the close frame's code and reason, for {@link Action#CLOSE} and {@link Action#ABORT}
 * @param dropQueued if not null, every queued message fails with it: the socket stopped for good
 *     (applied by the socket under the same lock, right after the transition)
 */
record After(Action action, Connection connection, CloseReason reason, TetherException dropQueued) {

  /** Work on the wire, done after the lock is released. */
  enum Action {
    /** Nothing to do. */
    NONE,
    /** Start the handshake of {@code connection}, on an I/O thread. */
    CONNECT,
    /** {@code connection} opened: write what waits for it, then let sends write directly. */
    FLUSH,
    /** Send a close frame on {@code connection} (blocking on some containers: an I/O thread). */
    CLOSE,
    /** End {@code connection} without waiting for the peer (an I/O thread). */
    ABORT
  }

  static final After NOTHING = new After(Action.NONE, null, null, null);

  static After connect(Connection c) {
    return new After(Action.CONNECT, c, null, null);
  }

  static After flush(Connection c) {
    return new After(Action.FLUSH, c, null, null);
  }

  static After close(Connection c, CloseReason reason) {
    return new After(Action.CLOSE, c, reason, null);
  }

  static After abort(Connection c, CloseReason reason) {
    return new After(Action.ABORT, c, reason, null);
  }

  static After drop(TetherException cause) {
    return new After(Action.NONE, null, null, cause);
  }

  /** This, aborting {@code c} as well; this asks for nothing on the wire. */
  After andAbort(Connection c, CloseReason why) {
    if (action != Action.NONE) {
      throw new IllegalStateException("already " + action + " " + connection);
    }
    return new After(Action.ABORT, c, why, dropQueued);
  }
}

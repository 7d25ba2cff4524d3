package dev.tether.client.internal;

import dev.tether.api.ReadyState;
import java.time.Duration;

/**
 * Where a socket is in its life, as held by {@link Lifecycle}. Every move to a phase creates a new
 * instance, and phases are compared with {@code ==}, never {@code equals}: a timer or callback that
 * captured a phase (or the {@link Connection} of one) and finds a different one current is stale and
 * does nothing. That identity is the only staleness token; there are no flags to re-derive.
 *
 * <pre>
 *   Idle --open--> Attempt --handshake--> Open --close()--> Closing --peer's close--> Closed
 *                    |  ^                   |
 *        failed      |  | wait over         | lost, heartbeat or ack timeout
 *                    v  |                   v
 *                  Backoff <-----------  (retry)  ----> Idle (no retry: close code, terminal, gave up)
 *   network down: WaitingForNetwork instead of Backoff; network back: Attempt at once
 *   close() from Idle, Attempt, Backoff, WaitingForNetwork: Closed at once
 * </pre>
 */
sealed interface Phase {

  /** What {@code readyState()} reports in this phase. */
  ReadyState readyState();

  /** Not connected and not trying: new, or ended without a retry. {@code open()} starts an attempt. */
  record Idle() implements Phase {
    @Override
    public ReadyState readyState() {
      return ReadyState.CLOSED;
    }
  }

  /**
   * One connection attempt under way: TCP connect and opening handshake.
   *
   * @param retry the backoff step: 0 until the first wait after {@code open()}, a network change or
   *     a lost connection, n after the n-th wait since a connection last opened (with several URIs
   *     the attempts of one round share it)
   */
  record Attempt(int retry, Connection connection) implements Phase {
    @Override
    public ReadyState readyState() {
      return ReadyState.CONNECTING;
    }
  }

  /** The handshake completed; the connection carries messages. */
  record Open(Connection connection) implements Phase {
    @Override
    public ReadyState readyState() {
      return ReadyState.OPEN;
    }
  }

  /** Waiting {@code delay} before retry number {@code retry}. */
  record Backoff(int retry, Duration delay) implements Phase {
    @Override
    public ReadyState readyState() {
      return ReadyState.CONNECTING;
    }
  }

  /** The network monitor says the network is down; an attempt starts when it comes back. */
  record WaitingForNetwork() implements Phase {
    @Override
    public ReadyState readyState() {
      return ReadyState.CONNECTING;
    }
  }

  /** The user's {@code close(code, ..)} sent our close frame; waiting for the peer's. */
  record Closing(Connection connection, int code) implements Phase {
    @Override
    public ReadyState readyState() {
      return ReadyState.CLOSING;
    }
  }

  /** Closed by the user's {@code close()}; final. */
  record Closed() implements Phase {
    @Override
    public ReadyState readyState() {
      return ReadyState.CLOSED;
    }
  }
}

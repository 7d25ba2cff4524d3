package dev.tether.server.internal;

import jakarta.websocket.CloseReason;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's decisions to end a connection, and how it carries them out: a store failure
 * (1011, the client comes back and resends), a hole in a member's fan-out (1011, the client
 * resumes), a frame too big (1009), a member that does not read (1013), a send that failed
 * (aborted). The connection is marked {@linkplain Peer#closing() closing} at once, so that frames
 * still arriving on it are not acted on, and its memberships' held chats are released; a connection
 * that has not ended by the close timeout is aborted and forgotten.
 *
 * <p>Threads: every method may be called under room, store and subscription locks (from fan-out,
 * from a store's callback, from the member queue's overflow), so each only marks the connection,
 * closes its queue and counts; logging, the close frame and the abort run on a send thread, and
 * the abort after the close timeout on the hub's timer. No state and no lock of its own.
 */
final class Closings {
  /** The hub's logger: its name is what operators (and the server's tests) set the connection log by. */
  private static final Logger log = LoggerFactory.getLogger(Hub.class);

  private final Hub hub;
  private final HubConfig config;
  private final Executor sender;
  private final ScheduledExecutorService timer;

  Closings(Hub hub, HubConfig config, Executor sender, ScheduledExecutorService timer) {
    this.hub = hub;
    this.config = config;
    this.sender = sender;
    this.timer = timer;
  }

  /** The store failed an operation for {@code peer}: close it with 1011, so that it comes back and resends. */
  void storeFailed(Peer peer, String what, Throwable error) {
    if (peer.isClosing()) {
      log.debug("room store failed to {} for {}, which is closing already", what, peer, error);
      return;
    }
    peer.closing();
    peer.outbound().close();
    closeLater(peer, CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "room store unavailable",
        () -> log.warn("room store failed to {} for {}; closing the connection with 1011", what, peer, error));
  }

  /**
   * A member was offered a chat beyond the one it expected: a store broke its ordering promise.
   * Closing (1011) makes the client resume, which fills the hole from the history. Once the
   * connection is closing (for this or any reason) later holes, which every chat offered until its
   * memberships end is, change nothing and are not reported again.
   */
  void fanOutHole(Peer peer, String room) {
    if (peer.isClosing()) {
      log.debug("{} missed chats of room '{}' while closing already", peer, room);
      return;
    }
    peer.closing();
    peer.outbound().close();
    closeLater(peer, CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "missed chats of " + room,
        () -> log.warn("{} missed chats of room '{}' in fan-out; closing with 1011 so that it resumes", peer, room));
  }

  /** Closes with 1009; the container has already read the message, so nothing more is to be saved. */
  void tooBig(Peer peer, long size) {
    peer.outbound().close();
    closeLater(peer, CloseReason.CloseCodes.TOO_BIG.getCode(), "message > " + config.limits().maxMessageSize() + " bytes: " + size,
        () -> log.debug("{} sent {} bytes, more than {}: closing with 1009", peer, size, config.limits().maxMessageSize()));
  }

  /** Called from the member queue's overflow, under the room's lock (and a store's): it only counts and hands over. */
  void slowMember(Peer peer, String why) {
    hub.countSlowMember();
    closeLater(peer, CloseReason.CloseCodes.TRY_AGAIN_LATER.getCode(), "member queue full",
        () -> log.info("{} does not read fast enough ({}): closing with 1013", peer, why));
  }

  void sendFailed(Peer peer, Throwable error) {
    // A member that silently missed a frame would break the gap-free promise without a trace: end
    // the connection instead, so that the client reconnects and resumes from what it has.
    log.debug("send to {} failed; aborting the connection", peer, error);
    peer.closing();
    run(() -> {
      releaseMemberships(peer);
      peer.abort();
    });
  }

  /**
   * Closes {@code peer} with {@code code} off the caller's thread (which may hold room, store and
   * subscription locks), first running {@code report} there (logging, which may write to a console
   * synchronously, never runs under those locks), and aborts it if it has not ended after the close
   * timeout (a peer that does not read never gets the close frame, and a container may wait for
   * its answer until its idle timeout). Its memberships' held chats are released at once.
   */
  private void closeLater(Peer peer, int code, String reason, Runnable report) {
    peer.closing();
    run(() -> {
      report.run();
      releaseMemberships(peer);
      peer.close(code, reason);
      try {
        timer.schedule(() -> abortIfOpen(peer), config.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException shuttingDown) {
        abortIfOpen(peer);
      }
    });
  }

  /**
   * The close timeout passed: a connection the container has not reported closed is aborted and
   * forgotten. Not {@code session.isOpen()}: on Jetty that is false as soon as a close has started.
   */
  private void abortIfOpen(Peer peer) {
    if (hub.isOpen(peer)) {
      log.debug("{} not gone {} after close: aborting", peer, config.closeTimeout());
      peer.abort();
      hub.closed(peer);
    }
  }

  private static void releaseMemberships(Peer peer) {
    for (Subscription sub : peer.subscriptions()) {
      sub.end();
    }
  }

  private void run(Runnable task) {
    try {
      sender.execute(task);
    } catch (RejectedExecutionException shuttingDown) {
      task.run();
    }
  }
}

package dev.tether.client.internal;

import jakarta.websocket.CloseReason;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbound path of one socket: frame writes, pings, close frames and aborts. Nothing here runs
 * under the socket's lock or on the scheduler thread, since container writes may block: Jetty's
 * {@code sendPing} waits until the frame is written, {@code Session.close} may wait too, and a peer
 * that stops reading makes every such wait last. Frames are written with the container's async
 * sends from the thread that sent them; pings, close frames and aborts go to the shared I/O pool,
 * pings one at a time per connection.
 *
 * <p>Order: while a connection is open and {@linkplain Connection#flushed flushed}, a send writes at
 * once; before that it waits in the outbox, and {@link #flush} queues the resumes and the outbox in
 * resend order ({@link WriteFlow}) in one locked section, so nothing sent later overtakes what
 * waited. Frames are queued on the connection's {@link FrameWriter} under the lock, in the order of
 * their sender-order counters, and written after it is released.
 */
final class Outbound {
  private static final Logger log = LoggerFactory.getLogger(Outbound.class);

  private final Object lock;
  private final Lifecycle lifecycle;
  private final WriteFlow flow;
  private final Executor io;
  /** Runs what a locked section queued (callbacks, store calls); after the lock is released. */
  private final Runnable afterUnlock;

  Outbound(Object lock, Lifecycle lifecycle, WriteFlow flow, Executor io, Runnable afterUnlock) {
    this.lock = lock;
    this.lifecycle = lifecycle;
    this.flow = flow;
    this.io = io;
    this.afterUnlock = afterUnlock;
  }

  /**
   * Queues the resumes of the joined rooms, then the outbox, on {@code c}, which just opened, and
   * writes them; sends write directly from then on (as far as the sender order allows). Nothing
   * if {@code c} ended meanwhile: the next connection starts over.
   */
  void flush(Connection c) {
    assert !Thread.holdsLock(lock);
    synchronized (lock) {
      if (!lifecycle.isOpen(c)) {
        return;
      }
      flow.opened(c);
    }
    afterUnlock.run();
    c.writer.drain();
  }

  /** Writes a text frame on {@code c} from this thread; a failure means the connection is ending. */
  static void text(Connection c, String text) {
    try {
      c.remote.sendText(text, SendResults.HANDLER);
    } catch (RuntimeException e) {
      // The connection is going away; its close callback follows and waiting envelopes are resent.
      log.debug("text write failed on {}", c, e);
    }
  }

  /** Writes a binary frame on {@code c} from this thread. */
  static void binary(Connection c, ByteBuffer bytes) {
    try {
      c.remote.sendBinary(bytes, SendResults.HANDLER);
    } catch (RuntimeException e) {
      log.debug("binary write failed on {}", c, e);
    }
  }

  /** The user's ping: written on an I/O thread, after any ping of {@code c} before it. */
  void ping(Connection c, ByteBuffer payload) {
    c.pings.enqueue(() -> writePing(c, payload));
    c.pings.start();
  }

  /**
   * A heartbeat ping, called on the scheduler thread: handed to an I/O thread, unless the previous
   * heartbeat ping of {@code c} is still waiting to be written. Then the peer is not reading, and
   * the earlier ping's deadline will tell; stuck writes never pile up.
   */
  void heartbeatPing(Connection c, ByteBuffer payload) {
    if (!c.claimHeartbeatPing()) {
      log.debug("{}: previous heartbeat ping not written yet", c);
      return;
    }
    c.pings.enqueue(() -> {
      try {
        writePing(c, payload);
      } finally {
        c.heartbeatPingWritten();
      }
    });
    c.pings.start();
  }

  private static void writePing(Connection c, ByteBuffer payload) {
    try {
      c.remote.sendPing(payload);
    } catch (Exception e) {
      log.debug("ping write failed on {}", c, e);
    }
  }

  /** Sends a close frame on an I/O thread. */
  void close(Connection c, CloseReason reason) {
    io.execute(() -> ContainerSupport.closeQuietly(c.session, reason));
  }

  /** Ends {@code c} without waiting for the peer, on an I/O thread. */
  void abort(Connection c, CloseReason reason) {
    io.execute(() -> ContainerSupport.abort(c.session, c.remote, reason));
  }
}

package dev.tether.client.internal;

import jakarta.websocket.CloseReason;
import java.nio.ByteBuffer;
import java.util.List;
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
 * once; before that it waits in the outbox, and {@link #flush} writes the outbox in resend order,
 * taking the lock once per round, until a round finds nothing left. Only then do sends write
 * directly, so nothing sent later overtakes what waited.
 */
final class Outbound {
  private static final Logger log = LoggerFactory.getLogger(Outbound.class);

  private final Object lock;
  private final Lifecycle lifecycle;
  private final DeliveryTracker delivery;
  private final RoomTracker rooms;
  private final Executor io;
  /** Runs what a locked section queued (callbacks, store calls); after the lock is released. */
  private final Runnable afterUnlock;

  Outbound(Object lock, Lifecycle lifecycle, DeliveryTracker delivery, RoomTracker rooms, Executor io,
      Runnable afterUnlock) {
    this.lock = lock;
    this.lifecycle = lifecycle;
    this.delivery = delivery;
    this.rooms = rooms;
    this.io = io;
    this.afterUnlock = afterUnlock;
  }

  /**
   * Writes the resumes of the joined rooms, then the outbox, on {@code c}, which just opened; then
   * lets sends write directly. Stops if {@code c} ends meanwhile: the next connection starts over.
   */
  void flush(Connection c) {
    assert !Thread.holdsLock(lock);
    List<String> resumes;
    synchronized (lock) {
      if (!lifecycle.isOpen(c)) {
        return;
      }
      resumes = delivery.resumes(rooms);
    }
    resumes.forEach(frame -> text(c, frame));
    while (true) {
      List<Outbox.Entry> round;
      synchronized (lock) {
        if (!lifecycle.isOpen(c)) {
          return;
        }
        round = delivery.takeUnwritten();
        if (round.isEmpty()) {
          c.flushed = true;
          return;
        }
      }
      afterUnlock.run();
      for (Outbox.Entry e : round) {
        if (e.bytes != null) {
          binary(c, e.bytes.duplicate());
        } else {
          text(c, e.encoded != null ? e.encoded : e.text);
        }
      }
    }
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
    if (!c.heartbeatPingPending.compareAndSet(false, true)) {
      log.debug("{}: previous heartbeat ping not written yet", c);
      return;
    }
    c.pings.enqueue(() -> {
      try {
        writePing(c, payload);
      } finally {
        c.heartbeatPingPending.set(false);
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

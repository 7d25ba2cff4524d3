package dev.tether.server.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.http.HttpContent;
import org.glassfish.grizzly.http.HttpHeader;
import org.glassfish.grizzly.http.HttpResponsePacket;
import org.glassfish.grizzly.http.server.AddOn;
import org.glassfish.grizzly.http.server.HttpServerFilter;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection that has not completed its WebSocket handshake within a deadline counted
 * from when it was accepted, however it trickles bytes in (a slowloris holds a socket open by
 * sending a header byte now and then; an idle timeout would never fire). A Grizzly filter between
 * the HTTP codec and Tyrus's WebSocket filter starts a timer task per accepted connection and
 * cancels it when the server writes a {@code 101 Switching Protocols} response; a connection still
 * waiting when the task runs is closed. Costs one scheduled task per connection while it handshakes, none after.
 */
final class HandshakeTimeoutAddOn implements AddOn {
  private static final Logger log = LoggerFactory.getLogger(HandshakeTimeoutAddOn.class);

  private final long timeoutMillis;
  private final ScheduledExecutorService timer;
  private final ConcurrentHashMap<Connection<?>, ScheduledFuture<?>> pending = new ConcurrentHashMap<>();

  HandshakeTimeoutAddOn(Duration timeout, ScheduledExecutorService timer) {
    this.timeoutMillis = timeout.toMillis();
    this.timer = timer;
  }

  @Override
  public void setup(NetworkListener listener, FilterChainBuilder builder) {
    // Before the server's dispatching filter, as Tyrus's add-on (registered after this one) puts
    // its own: so the order is codec, this, Tyrus, and Tyrus's 101 response passes through here.
    int dispatcher = builder.indexOfType(HttpServerFilter.class);
    if (dispatcher >= 0) {
      builder.add(dispatcher, new Deadline());
    } else {
      builder.add(new Deadline());
    }
  }

  private final class Deadline extends BaseFilter {
    @Override
    public NextAction handleAccept(FilterChainContext ctx) throws IOException {
      start(ctx.getConnection());
      return ctx.getInvokeAction();
    }

    @Override
    public NextAction handleRead(FilterChainContext ctx) throws IOException {
      // A connection accepted before this filter saw it (there is none in practice) still gets one.
      Connection<?> connection = ctx.getConnection();
      if (!pending.containsKey(connection) && !Boolean.TRUE.equals(upgraded.get(connection))) {
        start(connection);
      }
      return ctx.getInvokeAction();
    }

    @Override
    public NextAction handleWrite(FilterChainContext ctx) throws IOException {
      if (isSwitchingProtocols(ctx.getMessage())) {
        Connection<?> connection = ctx.getConnection();
        upgraded.put(connection, Boolean.TRUE);
        ScheduledFuture<?> task = pending.remove(connection);
        if (task != null) {
          task.cancel(false);
        }
      }
      return ctx.getInvokeAction();
    }

    @Override
    public NextAction handleClose(FilterChainContext ctx) throws IOException {
      Connection<?> connection = ctx.getConnection();
      upgraded.remove(connection);
      ScheduledFuture<?> task = pending.remove(connection);
      if (task != null) {
        task.cancel(false);
      }
      return ctx.getInvokeAction();
    }
  }

  /** Connections that completed their handshake and are still open. */
  private final ConcurrentHashMap<Connection<?>, Boolean> upgraded = new ConcurrentHashMap<>();

  private void start(Connection<?> connection) {
    try {
      pending.computeIfAbsent(connection, c -> timer.schedule(() -> expire(c), timeoutMillis, TimeUnit.MILLISECONDS));
    } catch (RejectedExecutionException shuttingDown) {
      // the server is stopping; its connections go with it
    }
  }

  private void expire(Connection<?> connection) {
    if (pending.remove(connection) != null) {
      log.debug("no WebSocket handshake from {} within {} ms: closing", connection.getPeerAddress(), timeoutMillis);
      connection.closeSilently();
    }
  }

  private static boolean isSwitchingProtocols(Object message) {
    HttpHeader header = message instanceof HttpHeader h ? h
        : message instanceof HttpContent c ? c.getHttpHeader() : null;
    return header instanceof HttpResponsePacket response && response.getStatus() == 101;
  }
}

package dev.tether.server.internal;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.nio.AbstractNIOConnectionDistributor;
import org.glassfish.grizzly.nio.NIOTransport;
import org.glassfish.grizzly.nio.RegisterChannelResult;
import org.glassfish.grizzly.nio.RoundRobinConnectionDistributor;
import org.glassfish.grizzly.nio.SelectorRunner;

/**
 * Grizzly's channel distributor (round robin, as by default), plus a shutdown that releases every
 * socket. Grizzly's {@code shutdownNow()} asks each selector thread to close its selector, then
 * interrupts it; a thread interrupted first leaves its selector open, and a channel closed while
 * registered with that selector keeps its file descriptor (the JDK closes it on deregistration,
 * which then never comes): the listening port stays bound, which a loop of listen and close on
 * this machine showed in 7 to 31 of 300 stops. So {@link #shutdownAndRelease} waits for the
 * selector threads, then closes what they left: every channel still registered, and the selector.
 * Installed on a transport before it starts; the distributor is the one Grizzly hook that can see
 * the transport's selectors.
 */
final class GrizzlySelectors extends AbstractNIOConnectionDistributor {
  /** How long a stop waits for Grizzly's selector threads to end. */
  private static final long SELECTOR_THREADS_MILLIS = 2_000;

  private final RoundRobinConnectionDistributor distributor;

  GrizzlySelectors(NIOTransport transport) {
    super(transport);
    this.distributor = new RoundRobinConnectionDistributor(transport);
  }

  @Override
  public void registerChannel(SelectableChannel channel, int interestOps, Object attachment) throws IOException {
    distributor.registerChannel(channel, interestOps, attachment);
  }

  @Override
  public void registerChannelAsync(SelectableChannel channel, int interestOps, Object attachment,
      CompletionHandler<RegisterChannelResult> completionHandler) {
    distributor.registerChannelAsync(channel, interestOps, attachment, completionHandler);
  }

  @Override
  public void registerServiceChannelAsync(SelectableChannel channel, int interestOps, Object attachment,
      CompletionHandler<RegisterChannelResult> completionHandler) {
    distributor.registerServiceChannelAsync(channel, interestOps, attachment, completionHandler);
  }

  /** Runs {@code shutdownNow}, then releases the sockets and selectors the transport left behind. */
  void shutdownAndRelease(Runnable shutdownNow) {
    List<Selector> selectors = new ArrayList<>();
    SelectorRunner[] runners = getTransportSelectorRunners();
    if (runners != null) {
      for (SelectorRunner runner : runners) {
        if (runner != null && runner.getSelector() != null) {
          selectors.add(runner.getSelector());
        }
      }
    }
    ExecutorService kernel = transport.getKernelThreadPool();
    shutdownNow.run();
    if (kernel != null) {
      try {
        kernel.awaitTermination(SELECTOR_THREADS_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (Selector selector : selectors) {
      release(selector);
    }
  }

  private static void release(Selector selector) {
    if (!selector.isOpen()) {
      return;
    }
    try {
      for (SelectionKey key : List.copyOf(selector.keys())) {
        try {
          key.channel().close();
        } catch (IOException ignored) {
          // closing is all there is to do
        }
      }
      selector.close(); // deregisters the keys: the channels' descriptors close now
    } catch (IOException | RuntimeException ignored) {
      // a selector its own thread closed meanwhile is what we wanted
    }
  }
}

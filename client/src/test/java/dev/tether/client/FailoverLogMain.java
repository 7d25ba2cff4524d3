package dev.tether.client;

import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A client in a process of its own with its log at INFO (the tests' JVM logs WARN and up), for
 * {@link FailoverTest}'s check of what the log says: builds a client on the URIs given, waits until
 * it opens, prints {@code open URI} and exits.
 *
 * <p>Arguments: the URIs, first one first.
 */
public final class FailoverLogMain {
  private FailoverLogMain() {}

  public static void main(String[] args) throws Exception {
    URI[] uris = Arrays.stream(args).map(URI::create).toArray(URI[]::new);
    CountDownLatch open = new CountDownLatch(1);
    TetherClient client = TetherClient.builder(uris[0], Arrays.copyOfRange(uris, 1, uris.length))
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(50), Duration.ofMillis(200)))
        .delegate(new SocketDelegate() {
          @Override
          public void onOpen(TetherSocket socket) {
            open.countDown();
          }
        }).build();
    client.open();
    if (!open.await(60, TimeUnit.SECONDS)) {
      System.exit(1);
    }
    System.out.println("open " + client.uri());
    client.close();
    System.exit(0);
  }
}

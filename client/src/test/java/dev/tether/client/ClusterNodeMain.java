package dev.tether.client;

import dev.tether.server.RoomStore;
import dev.tether.server.TetherServer;
import java.net.URI;
import java.util.concurrent.CountDownLatch;

/**
 * A cluster node in a process of its own, for {@link ClusterFailoverTest}: a {@link TetherServer}
 * on {@code RoomStore.redis(..)}, listening on 127.0.0.1 at a free port until it is killed. Prints
 * {@code listening ws://...} once it accepts connections. No rate limit.
 *
 * <p>Arguments: the Redis URI.
 */
public final class ClusterNodeMain {
  private ClusterNodeMain() {}

  public static void main(String[] args) throws Exception {
    TetherServer server = TetherServer.builder().store(RoomStore.redis(URI.create(args[0]))).rateLimit(0).build();
    TetherServer.Running running = server.listen("127.0.0.1", 0);
    System.out.println("listening " + running.uri());
    System.out.flush();
    new CountDownLatch(1).await();
  }
}

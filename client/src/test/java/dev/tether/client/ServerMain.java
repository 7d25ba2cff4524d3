package dev.tether.client;

import dev.tether.server.RoomStore;
import dev.tether.server.TetherServer;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The server process of {@link ServerKillAndRestartTest}: a {@link TetherServer} on a SQLite store,
 * listening on 127.0.0.1 at a given port until it is killed. Prints {@code listening} once it
 * accepts connections. No rate limit: the test's senders flush thousands of chats at once.
 *
 * <p>Arguments: port, database file.
 */
public final class ServerMain {
  private ServerMain() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Path db = Path.of(args[1]);
    TetherServer server = TetherServer.builder().store(RoomStore.sqlite(db)).rateLimit(0).build();
    server.listen("127.0.0.1", port);
    System.out.println("listening");
    System.out.flush();
    new CountDownLatch(1).await();
  }
}

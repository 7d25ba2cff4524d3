package dev.tether.bench;

import dev.tether.server.RoomStore;
import dev.tether.server.ServerStats;
import dev.tether.server.TetherServer;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The soak's server, in its own JVM: a {@link TetherServer} with its defaults on
 * {@link RoomStore#sqlite} at {@code STORE}, or on {@link RoomStore#redis} if {@code STORE} is a
 * {@code redis://} URI (a node of a {@code --cluster} soak), listening on 127.0.0.1:{@code PORT}. Prints
 * {@code listening}, then once a second
 * {@code STAT connections heapAfterGcBytes threads chatsAccepted resumes gaps dedupHits slowMembersClosed}.
 * SIGTERM closes it as an operator's restart would (1001 to every client, store closed); SIGKILL
 * is a crash. Public API only. Arguments: {@code PORT STORE}.
 */
final class SoakServer {
  private SoakServer() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    RoomStore store = args[1].startsWith("redis://") ? RoomStore.redis(URI.create(args[1]))
        : RoomStore.sqlite(Path.of(args[1]));
    TetherServer server = TetherServer.builder().store(store).build();
    server.listen("127.0.0.1", port);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "soak-server-shutdown"));
    HeapWatch heap = HeapWatch.start(Soak.GC_PERIOD_S);
    System.out.println("listening");
    System.out.flush();
    while (!stopped.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
      ServerStats s = server.stats();
      System.out.println("STAT " + s.connections() + " " + heap.heapAfterGc() + " " + HeapWatch.threads()
          + " " + s.chatsAccepted() + " " + s.resumes() + " " + s.gaps() + " " + s.dedupHits()
          + " " + s.slowMembersClosed());
      System.out.flush();
    }
  }
}

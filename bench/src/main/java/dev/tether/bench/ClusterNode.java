package dev.tether.bench;

import dev.tether.server.RoomStore;
import dev.tether.server.TetherServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * A node of the {@code cluster} benchmark, in its own JVM: a {@link TetherServer} on
 * {@code memory} or a Redis URI, on a free loopback port, no rate limit. Prints
 * {@code listening ws://...}, then runs until its stdin ends.
 */
final class ClusterNode {
  private ClusterNode() {}

  public static void main(String[] args) throws Exception {
    RoomStore store = args[0].equals("memory") ? RoomStore.inMemory() : RoomStore.redis(URI.create(args[0]));
    TetherServer server = TetherServer.builder().store(store).rateLimit(0).maxConnections(100_000).build();
    TetherServer.Running running = server.listen("127.0.0.1", 0);
    System.out.println("listening " + running.uri());
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    while (in.readLine() != null) {
      // runs until the benchmark closes our stdin
    }
    server.close();
    System.exit(0);
  }
}

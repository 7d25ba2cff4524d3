package dev.tether.bench;

import dev.tether.server.RoomStore;
import dev.tether.server.TetherServer;
import dev.tether.server.internal.SqliteRoomStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The {@link TetherServer} of the {@code server} workload, in its own JVM: {@code memory} or
 * {@code sqlite:PATH} store, 127.0.0.1 on a given port, no rate limit (the workload is the flood)
 * and room for many connections; otherwise the defaults. Prints {@code listening}, then answers
 * commands on stdin: {@code heap} (used heap after GC, in bytes) and {@code commits} (SQLite
 * transactions committed so far, -1 for the memory store).
 */
final class BenchServer {
  private BenchServer() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String store = args[1];
    RoomStore rooms = store.equals("memory") ? RoomStore.inMemory()
        : RoomStore.sqlite(Path.of(store.substring("sqlite:".length())));
    TetherServer server = TetherServer.builder().store(rooms).rateLimit(0).maxConnections(100_000).build();
    server.listen("127.0.0.1", port);
    System.out.println("listening");
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      switch (line) {
        case "heap" -> System.out.println("HEAP " + Workload.usedHeapAfterGc());
        case "commits" -> System.out.println("COMMITS "
            + (rooms instanceof SqliteRoomStore sqlite ? sqlite.commits() : -1));
        case "threads" -> System.out.println("THREADS " + ManagementFactory.getThreadMXBean().getThreadCount());
        default -> System.out.println("ERROR unknown command " + line);
      }
      System.out.flush();
    }
    server.close();
  }
}

package dev.tether.server;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;

/**
 * The server process of {@link HistoryHeapTest}: a {@link TetherServer} with every default,
 * listening on a free loopback port, which it prints as {@code listening PORT}. Each {@code heap}
 * line on stdin is answered with the heap in use after a full GC, in bytes; it exits at EOF.
 */
public final class SmallHeapServer {
  private SmallHeapServer() {}

  public static void main(String[] args) throws Exception {
    TetherServer server = TetherServer.builder().build();
    System.out.println("listening " + server.listen("127.0.0.1", 0).port());
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("heap")) {
        System.gc();
        System.out.println(memory.getHeapMemoryUsage().getUsed());
        System.out.flush();
      }
    }
    server.close();
  }
}

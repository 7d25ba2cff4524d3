package dev.tether.bench;

import dev.tether.server.RoomStore;
import dev.tether.server.TetherServer;
import dev.tether.server.internal.SqliteRoomStore;
import dev.tether.stub.StubServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The server of a workload, in its own JVM, on 127.0.0.1 and a given port: {@code stub} (a
 * {@link StubServer} with its defaults: the echo server of the client workloads) or a
 * {@link TetherServer} with the {@code memory} or {@code sqlite:PATH} store, no rate limit (the
 * workload is the flood) and room for many connections, otherwise its defaults. Prints
 * {@code listening}, then answers one line per command on stdin:
 * <ul>
 *   <li>{@code heap}: used heap after GC, in bytes; {@code threads}: live threads;
 *   <li>{@code meter}: {@code METER cpuNanos allocatedBytes}, this JVM's CPU time and bytes
 *       allocated so far ({@link ProcessMeter});
 *   <li>{@code commits}: SQLite transactions committed so far, -1 for other stores;
 *   <li>stub only: {@code reject on|off} ({@link StubServer#rejectNewConnections}), {@code drop}
 *       ({@link StubServer#dropAllConnections}), {@code connections}, {@code handshakes}, and
 *       {@code sample} / {@code peak MS}: start counting handshakes every 5 ms, then stop and
 *       answer {@code PEAK most-in-any-MS-window total most-since-accepting} ({@link HandshakeSampler};
 *       {@code reject off} while sampling marks when accepting began).
 * </ul>
 */
final class BenchServer {
  private BenchServer() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String store = args[1];
    ProcessMeter meter = new ProcessMeter();
    StubServer stub = null;
    TetherServer server = null;
    RoomStore rooms = null;
    if (store.equals("stub")) {
      stub = StubServer.builder().port(port).start();
    } else {
      rooms = store.equals("memory") ? RoomStore.inMemory()
          : RoomStore.sqlite(Path.of(store.substring("sqlite:".length())));
      server = TetherServer.builder().store(rooms).rateLimit(0).maxConnections(100_000).build();
      server.listen("127.0.0.1", port);
    }
    System.out.println("listening");
    System.out.flush();
    HandshakeSampler sampler = null;
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      String[] c = line.trim().split(" ");
      String answer;
      switch (c[0]) {
        case "heap" -> answer = "HEAP " + Workload.usedHeapAfterGc();
        case "threads" -> answer = "THREADS " + ManagementFactory.getThreadMXBean().getThreadCount();
        case "meter" -> {
          ProcessMeter.Reading r = meter.read();
          answer = "METER " + r.cpuNanos() + " " + r.allocatedBytes();
        }
        case "commits" -> answer = "COMMITS " + (rooms instanceof SqliteRoomStore sqlite ? sqlite.commits() : -1);
        default -> {
          if (stub == null) {
            answer = "ERROR unknown command " + line;
          } else {
            StubServer s = stub;
            switch (c[0]) {
              case "reject" -> {
                boolean on = c.length > 1 && c[1].equals("on");
                s.rejectNewConnections(on);
                if (!on && sampler != null) {
                  sampler.mark();
                }
                answer = "OK";
              }
              case "drop" -> {
                s.dropAllConnections();
                answer = "OK";
              }
              case "connections" -> answer = "CONNECTIONS " + s.connectionCount();
              case "handshakes" -> answer = "HANDSHAKES " + s.handshakeCount();
              case "sample" -> {
                if (sampler != null) {
                  sampler.stop();
                }
                sampler = HandshakeSampler.start(s::handshakeCount);
                answer = "OK";
              }
              case "peak" -> {
                if (sampler == null) {
                  answer = "ERROR peak before sample";
                } else {
                  sampler.stop();
                  long window = Long.parseLong(c[1]) * 1_000_000;
                  answer = "PEAK " + sampler.peak(window) + " " + sampler.total() + " " + sampler.peakSinceMark(window);
                  sampler = null;
                }
              }
              default -> answer = "ERROR unknown command " + line;
            }
          }
        }
      }
      System.out.println(answer);
      System.out.flush();
    }
    if (stub != null) {
      stub.close();
    } else {
      server.close();
    }
  }
}

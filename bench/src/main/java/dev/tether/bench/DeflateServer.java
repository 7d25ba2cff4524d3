package dev.tether.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.tether.server.TetherServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

/**
 * The server of the compression bench, in its own JVM: a {@link TetherServer} with its defaults
 * (permessage-deflate accepted when offered), no rate limit, on 127.0.0.1 and a given port. Prints
 * {@code listening}, then answers {@code cpu} on stdin with the process's CPU time in nanoseconds.
 */
final class DeflateServer {
  private DeflateServer() {}

  public static void main(String[] args) throws Exception {
    TetherServer server = TetherServer.builder().rateLimit(0).build();
    server.listen("127.0.0.1", Integer.parseInt(args[0]));
    System.out.println("listening");
    System.out.flush();
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      System.out.println(line.equals("cpu") ? "CPU " + os.getProcessCpuTime() : "ERROR unknown command " + line);
      System.out.flush();
    }
    server.close();
  }
}

package dev.tether.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A free loopback port for a server that a test stops and starts again on the same port. An
 * ephemeral port (what port 0 gives) is also what the OS hands out as the local port of outgoing
 * connections, so while the server is down another process's connection, or a reconnecting
 * client's connection to itself, can take it. This picks a free port below Linux's ephemeral
 * range ({@code /proc/sys/net/ipv4/ip_local_port_range}), which only an explicit bind takes;
 * elsewhere it falls back to an ephemeral port.
 */
final class RestartPorts {
  private RestartPorts() {}

  static int free() {
    int low = ephemeralLow();
    if (low > 11_000) {
      for (int i = 0; i < 200; i++) {
        int port = ThreadLocalRandom.current().nextInt(10_000, low);
        if (bindable(port)) {
          return port;
        }
      }
    }
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int ephemeralLow() {
    try {
      String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"), StandardCharsets.US_ASCII);
      return Integer.parseInt(range.trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException notLinux) {
      return 0;
    }
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException busy) {
      return false;
    }
  }
}

package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** The echo server the bench's workloads start in their own JVM. */
class ServerProcessTest {

  /** The idle and storm workloads spread their clients over 127.0.0.1-4: the server must take them all. */
  @Test
  void theServerJvmAcceptsOnEveryLoopbackAddressTheWorkloadsSpreadOver() throws Exception {
    try (ServerProcess server = ServerProcess.start()) {
      for (int a = 1; a <= Bench.LOOPBACKS; a++) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0." + a, server.port()), 10_000);
          assertThat(s.isConnected()).as("127.0.0.%d:%d", a, server.port()).isTrue();
        }
      }
    }
  }
}

package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The MQTT anchor against a real Mosquitto started by the harness: every message published is
 * delivered (and, with QoS 1, acked), each run drains, and Paho's sockets have TCP_NODELAY on.
 * Without Debian's {@code mosquitto} package the tests fail and say how to install it.
 */
class PahoMessengerTest {
  private static Mosquitto broker;

  @BeforeAll
  static void startBroker() {
    broker = Mosquitto.start();
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  private static Window.Run runOnce(int qos, boolean ab, PahoMessenger[] opened) throws Exception {
    Window window = new Window(Workload.WINDOW);
    try (PahoMessenger m = PahoMessenger.open(broker.uri(), qos, ab, window)) {
      opened[0] = m;
      window.attach(m);
      Window.Run run = window.run(300, 20_000, new ProcessMeter());
      assertThat(window.firstFailure()).isNull();
      for (Socket s : m.sockets()) {
        assertThat(s.getTcpNoDelay()).as("TCP_NODELAY on Paho's socket").isTrue();
      }
      assertThat(m.sockets()).hasSize(ab ? 2 : 1);
      return run;
    }
  }

  @Test
  void qos1SelfDeliversAndAcksEveryMessageOverNoDelaySockets() throws Exception {
    Window.Run run = runOnce(1, false, new PahoMessenger[1]);
    assertThat(run.drained()).isTrue();
    assertThat(run.sent()).isPositive();
    assertThat(run.delivered()).isEqualTo(run.sent());
    assertThat(run.acked()).isEqualTo(run.sent());
    assertThat(run.failed()).isZero();
    assertThat(run.finished()).isPositive().isLessThanOrEqualTo(run.sent());
    assertThat(run.allocatedBytes()).isPositive();
    assertThat(run.cpuNanos()).isPositive();
  }

  @Test
  void qos1FromAToBDeliversAndAcksEveryMessage() throws Exception {
    Window.Run run = runOnce(1, true, new PahoMessenger[1]);
    assertThat(run.drained()).isTrue();
    assertThat(run.sent()).isPositive();
    assertThat(run.delivered()).isEqualTo(run.sent());
    assertThat(run.acked()).isEqualTo(run.sent());
  }

  @Test
  void qos0DeliversEveryMessageWithoutAcks() throws Exception {
    PahoMessenger[] m = new PahoMessenger[1];
    Window.Run self = runOnce(0, false, m);
    assertThat(m[0].acks()).isFalse();
    assertThat(self.drained()).isTrue();
    assertThat(self.delivered()).isEqualTo(self.sent()).isPositive();
    assertThat(self.acked()).isZero();
    Window.Run ab = runOnce(0, true, m);
    assertThat(ab.drained()).isTrue();
    assertThat(ab.delivered()).isEqualTo(ab.sent()).isPositive();
  }

  @Test
  void theBrokerRunsWithNoDelayOnLoopbackAndItsCpuIsRead() throws Exception {
    assertThat(Mosquitto.config(1883)).contains("set_tcp_nodelay true", "listener 1883 127.0.0.1");
    assertThat(Mosquitto.version()).hasValueSatisfying(v -> assertThat(v).matches("\\d+\\.\\d+.*"));
    long before = broker.cpuNanos();
    runOnce(1, false, new PahoMessenger[1]);
    assertThat(broker.cpuNanos()).isGreaterThan(before);
  }
}

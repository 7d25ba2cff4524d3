package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.stub.StubServer;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** The idle-connections workload, small: every connection opens and stays open, over several loopback addresses. */
class IdleTest {
  @Test
  void connectionsSpreadOverLoopbackAddresses() {
    URI uri = URI.create("ws://127.0.0.1:4321/im");
    assertThat(Idle.loopback(uri, 0, 4, "a")).hasToString("ws://127.0.0.1:4321/im?user=a");
    assertThat(Idle.loopback(uri, 5, 4, "b")).hasToString("ws://127.0.0.2:4321/im?user=b");
    assertThat(Idle.loopback(uri, 7, 4, "c")).hasToString("ws://127.0.0.4:4321/im?user=c");
    assertThat(Idle.loopback(uri, 7, 1, "d")).hasToString("ws://127.0.0.1:4321/im?user=d");
  }

  @Test
  void tetherClientsAllOpenAndAreCounted() throws Exception {
    try (StubServer server = StubServer.start()) {
      Idle.Result r = Idle.run("tether", server.uri(), 40, 100, 4, true);
      assertThat(r.stillOpen()).isEqualTo(40);
      assertThat(r.threads()).isGreaterThanOrEqualTo(r.threadsBefore()).isPositive();
      assertThat(r.heapBytesPerConnection()).isFinite();
      assertThat(r.openSeconds()).isPositive();
    }
  }

  @Test
  void rawTyrusSessionsAllOpenAndAreCounted() throws Exception {
    try (StubServer server = StubServer.start()) {
      Idle.Result r = Idle.run("tyrus-shared", server.uri(), 40, 100, 4, true);
      assertThat(r.stillOpen()).isEqualTo(40);
      assertThat(r.heapBytesPerConnection()).isFinite();
    }
  }
}

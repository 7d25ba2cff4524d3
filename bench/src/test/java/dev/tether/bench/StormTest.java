package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The reconnect storm, small: a stub server process refuses handshakes, then accepts; every client
 * comes back, and the server counted the refused attempts too.
 */
class StormTest {
  private static final int N = 30;

  private static void assertStorm(Storm.Result r) {
    assertThat(r.reopened()).isEqualTo(N);
    assertThat(r.secondsUntilAllOpen()).isFinite().isPositive();
    // Each client was refused at least once (the first retry comes within 1 s, the server refuses
    // for 1.5 s), and both sides counted every attempt.
    assertThat(r.scheduled()).isGreaterThanOrEqualTo(2 * N);
    assertThat(r.peakScheduledPer100ms()).isPositive().isLessThanOrEqualTo(r.scheduled());
    assertThat(r.attempts()).isGreaterThanOrEqualTo(2 * N);
    assertThat(r.handshakes()).isGreaterThanOrEqualTo(2 * N);
    assertThat(r.peakAttemptsPer100ms()).isPositive().isLessThanOrEqualTo(r.attempts());
    assertThat(r.peakHandshakesPer100ms()).isPositive().isLessThanOrEqualTo(r.handshakes());
    assertThat(r.peakHandshakesPer100msAccepting()).isPositive().isLessThanOrEqualTo(N);
    assertThat(r.peakOpensPer100ms()).isPositive().isLessThanOrEqualTo(N);
  }

  @Test
  void clientsWithJitterAllReconnectOnceTheServerAcceptsAgain() throws Exception {
    assertStorm(Storm.run(0.5, N, 1500, 60));
  }

  @Test
  void clientsWithoutJitterAllReconnectOnceTheServerAcceptsAgain() throws Exception {
    assertStorm(Storm.run(0, N, 1500, 60));
  }
}

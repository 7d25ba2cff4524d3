package dev.tether.bench;

import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.ReconnectPolicy;
import dev.tether.client.TetherClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reconnect storm: N {@link TetherClient}s (default reconnect policy: 1 s doubling to 30 s,
 * with the jitter under test) connected to a {@code StubServer} in its own JVM. The server then
 * refuses every new handshake (HTTP 503, {@code rejectNewConnections(true)}) and drops every
 * connection; the clients retry on their backoff and are refused; after {@code refuseMs} the server
 * accepts again at once ({@code rejectNewConnections(false)}: no restart, so what is measured is
 * the clients). Measured: the time from then until every client is open again; the attempts the
 * clients scheduled (when {@code onReconnecting} came, plus its delay: the clients' own plan, which
 * jitter spreads) and the most of them due in any 100 ms; the attempts the clients started (timed
 * when each asks for its handshake headers, on the client's bounded I/O pool) and the most in any
 * 100 ms; the handshakes the server answered (refused and accepted) and the most of them in any
 * 100 ms (counted at the server every 5 ms, {@link HandshakeSampler}), which the server's pace
 * caps, over the whole storm and from accepting on; and the most {@code onOpen}s in any 100 ms
 * after accepting.
 */
final class Storm {
  private Storm() {}

  /** What one storm measured. */
  record Result(double jitter, int n, long refuseMs, double secondsUntilAllOpen, int reopened,
      int scheduled, int peakScheduledPer100ms, int attempts, int peakAttemptsPer100ms, int handshakes,
      int peakHandshakesPer100ms, int peakHandshakesPer100msAccepting, int peakOpensPer100ms) {}

  static Result run(double jitter, int n, long refuseMs, long timeoutSeconds) throws Exception {
    ReconnectPolicy policy = ReconnectPolicy.defaults().withJitter(jitter);
    try (TetherServerProcess server = TetherServerProcess.start("stub", n + 4096)) {
      FdLimit.require(n + 1024L, "storm N=" + n);
      List<TetherClient> clients = new ArrayList<>();
      ConcurrentLinkedQueue<Long> reopenedAt = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Long> attemptedAt = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Long> scheduledFor = new ConcurrentLinkedQueue<>();
      AtomicInteger phase = new AtomicInteger();
      CountDownLatch initial = new CountDownLatch(n);
      try {
        for (int i = 0; i < n; i++) {
          TetherClient c = TetherClient.builder(Idle.loopback(server.uri(), i, 4, "s" + i))
              .reconnect(policy)
              // Asked for at the start of every handshake: the client's own count of its attempts.
              .headers(() -> {
                if (phase.get() == 1) {
                  attemptedAt.add(System.nanoTime());
                }
                return Map.of();
              })
              .delegate(new SocketDelegate() {
                @Override
                public void onReconnecting(TetherSocket socket, int attempt, java.time.Duration delay) {
                  if (phase.get() == 1) {
                    scheduledFor.add(System.nanoTime() + delay.toNanos());
                  }
                }

                @Override
                public void onOpen(TetherSocket socket) {
                  if (phase.get() == 0) {
                    initial.countDown();
                  } else {
                    reopenedAt.add(System.nanoTime());
                  }
                }
              }).build();
          c.open();
          clients.add(c);
          if (i % 250 == 249) {
            // Opened in batches, so the first connect is not itself a storm.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (initial.getCount() > n - i - 1 && System.nanoTime() < deadline) {
              Thread.sleep(10);
            }
          }
        }
        if (!initial.await(120, TimeUnit.SECONDS)) {
          throw new IllegalStateException("storm: only " + (n - initial.getCount()) + "/" + n + " opened");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (server.connections() < n && System.nanoTime() < deadline) {
          Thread.sleep(10); // the server registers a session a moment after the client opened
        }
        server.rejectNewConnections(true);
        server.sampleHandshakes();
        phase.set(1);
        server.dropAllConnections();
        Thread.sleep(refuseMs);
        long acceptAt = System.nanoTime();
        server.rejectNewConnections(false);
        long end = acceptAt + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (reopenedAt.size() < n && System.nanoTime() < end) {
          Thread.sleep(10);
        }
        int[] peak = server.handshakePeak(100);
        List<Long> times = new ArrayList<>(reopenedAt);
        times.sort(null);
        double allOpen = times.size() < n ? Double.NaN : (times.get(times.size() - 1) - acceptAt) / 1e9;
        List<Long> attempts = new ArrayList<>(attemptedAt);
        attempts.sort(null);
        List<Long> scheduled = new ArrayList<>(scheduledFor);
        scheduled.sort(null);
        return new Result(jitter, n, refuseMs, allOpen, times.size(), scheduled.size(),
            peakWithin(scheduled, 100_000_000L), attempts.size(),
            peakWithin(attempts, 100_000_000L), peak[1], peak[0], peak[2], peakWithin(times, 100_000_000L));
      } finally {
        clients.forEach(TetherClient::close);
      }
    }
  }

  /** The most of {@code sorted} nanosecond times within any window of {@code windowNanos}. */
  static int peakWithin(List<Long> sorted, long windowNanos) {
    int peak = 0;
    for (int lo = 0, hi = 0; hi < sorted.size(); hi++) {
      while (sorted.get(hi) - sorted.get(lo) >= windowNanos) {
        lo++;
      }
      peak = Math.max(peak, hi - lo + 1);
    }
    return peak;
  }
}

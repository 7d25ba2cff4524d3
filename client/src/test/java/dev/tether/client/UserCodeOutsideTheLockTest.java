package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.ReadyState;
import dev.tether.client.RecordingDelegate.Close;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.client.RecordingDelegate.Text;
import dev.tether.stub.Received;
import dev.tether.stub.StubServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Guards issue 9, defect 7: code the user supplies (outbox store, network monitor, reconnect
 * predicate) and the store's disk I/O never run while the client holds its lock, which every
 * incoming frame needs. A probe inside that code calls {@link TetherClient#outboxSize()} (which takes
 * the lock) from another thread: it returns at once unless the calling thread holds the lock.
 */
class UserCodeOutsideTheLockTest {
  private static final Duration PROBE_WAIT = Duration.ofSeconds(5);

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();
  private final StubServer server = stub.server();
  private final ExecutorService probes = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "lock-probe");
    t.setDaemon(true);
    return t;
  });
  private final AtomicReference<TetherClient> probed = new AtomicReference<>();
  /** What each probe found: "where: free" or "where: HELD". */
  private final List<String> findings = new CopyOnWriteArrayList<>();

  @BeforeEach
  void stopProbesAfterTheClients() {
    stub.closeAfter(probes::shutdownNow); // a client's close() may still call probing code
  }

  private TetherClient track(TetherClient c) {
    probed.set(c);
    return stub.track(c);
  }

  /** Records whether the client lock is free, as seen from inside user code at {@code where}. */
  private void probe(String where) {
    TetherClient c = probed.get();
    if (c == null) {
      return; // still in the builder: there is no client yet
    }
    Future<Integer> f = probes.submit(c::outboxSize);
    try {
      f.get(PROBE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      findings.add(where + ": free");
    } catch (TimeoutException e) {
      findings.add(where + ": HELD");
    } catch (InterruptedException | ExecutionException e) {
      findings.add(where + ": " + e);
    }
  }

  /** An in-memory store that records the order of adds and, if asked, probes the lock in each call. */
  private final class ProbingStore implements OutboxStore {
    final OutboxStore inner = OutboxStore.inMemory();
    final List<String> added = new CopyOnWriteArrayList<>();
    final boolean probing;
    /** A commit waits for this gate (bounded, so that a broken client cannot hang the test). */
    volatile CountDownLatch commitGate = new CountDownLatch(0);

    ProbingStore(boolean probing) {
      this.probing = probing;
    }

    private void probeIfAsked(String where) {
      if (probing) {
        probe(where);
      }
    }

    @Override
    public void add(Envelope envelope, String frame) {
      probeIfAsked("OutboxStore.add");
      try {
        commitGate.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      inner.add(envelope, frame);
      added.add(envelope.id());
    }

    @Override
    public void remove(String id) {
      probeIfAsked("OutboxStore.remove");
      inner.remove(id);
    }

    @Override
    public List<Envelope> pending() {
      return inner.pending();
    }

    @Override
    public void saveRoom(String room, long lastSeq) {
      probeIfAsked("OutboxStore.saveRoom");
      inner.saveRoom(room, lastSeq);
    }

    @Override
    public Map<String, Long> rooms() {
      return inner.rooms();
    }

    @Override
    public void close() {}
  }

  /** A monitor that probes the lock in each of its methods. */
  private final class ProbingMonitor implements NetworkMonitor {
    final NetworkMonitor.Manual inner = NetworkMonitor.manual(true);

    @Override
    public boolean isAvailable() {
      probe("NetworkMonitor.isAvailable");
      return inner.isAvailable();
    }

    @Override
    public Subscription subscribe(Listener listener) {
      probe("NetworkMonitor.subscribe");
      Subscription s = inner.subscribe(listener);
      return () -> {
        probe("Subscription.close");
        s.close();
      };
    }
  }

  @Test
  void aDurableSendCommitsOutsideTheLockAndReturnsOnlyAfterTheCommit() throws Exception {
    ProbingStore store = new ProbingStore(true);
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(TetherClient.builder(server.uri()).delegate(d).outboxStore(store).build());
    c.open();
    d.take(Open.class);
    c.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS);

    // A commit that takes a while: incoming frames are still delivered meanwhile.
    CountDownLatch gate = new CountDownLatch(1);
    store.commitGate = gate;
    Envelope slow = Envelope.chat("lobby", "slow commit");
    CompletableFuture<CompletableFuture<Ack>> sending = CompletableFuture.supplyAsync(() -> c.send(slow));
    await().atMost(Duration.ofSeconds(30))
        .until(() -> findings.stream().filter(f -> f.startsWith("OutboxStore.add")).count() == 2);
    assertThat(c.send("echo while committing")).isTrue();
    assertThat(d.next(Text.class).text()).isEqualTo("echo while committing");
    assertThat(sending).as("send returns only after its commit").isNotDone();

    gate.countDown();
    CompletableFuture<Ack> ack = sending.get(10, TimeUnit.SECONDS);
    assertThat(store.added).contains(slow.id());
    assertThat(ack.get(10, TimeUnit.SECONDS).seq()).isEqualTo(1);
    assertThat(findings).allMatch(f -> f.endsWith(": free"));
  }

  @Test
  void storeOrderIsOutboxOrderWhenManyThreadsSendDurably() throws Exception {
    ProbingStore store = new ProbingStore(false);
    TetherClient c = track(TetherClient.builder(server.uri()).outboxStore(store).build());
    c.send(Envelope.join("lobby"));
    ExecutorService senders = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        done.add(senders.submit(() -> {
          for (int i = 0; i < 50; i++) {
            c.send(Envelope.chat("lobby", thread + "-" + i));
          }
        }));
      }
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      senders.shutdownNow();
    }
    assertThat(store.added).hasSize(201);
    c.open();
    List<String> written = new ArrayList<>();
    while (written.size() < 201) {
      Received r = server.takeReceived(Duration.ofSeconds(10));
      if (r.envelope() != null && r.envelope().type() != Envelope.Type.RESUME) {
        written.add(r.envelope().id());
      }
    }
    assertThat(written).as("the order the outbox wrote them in").isEqualTo(store.added);
    assertThat(findings).allMatch(f -> f.endsWith(": free"));
  }

  @Test
  void theNetworkMonitorIsCalledOutsideTheLock() {
    ProbingMonitor monitor = new ProbingMonitor();
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(TetherClient.builder(server.uri()).delegate(d).networkMonitor(monitor)
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(50))).build());
    c.open();
    d.take(Open.class);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(1));
    server.dropAllConnections();
    d.next(Open.class);
    c.close();
    assertThat(findings).contains("NetworkMonitor.subscribe: free", "NetworkMonitor.isAvailable: free",
        "Subscription.close: free");
    assertThat(findings).allMatch(f -> f.endsWith(": free"));
  }

  @Test
  void theReconnectPredicateIsCalledOutsideTheLock() {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = track(TetherClient.builder(server.uri()).delegate(d)
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(50)))
        .reconnectOn(code -> {
          probe("reconnectOn(" + code + ")");
          return TetherClient.isReconnectable(code);
        }).build());
    c.open();
    d.take(Open.class);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(1));
    server.closeAll(1012, "restart");
    assertThat(d.next(Close.class).code()).isEqualTo(1012);
    d.next(Open.class);
    assertThat(c.readyState()).isEqualTo(ReadyState.OPEN);
    assertThat(findings).containsExactly("reconnectOn(1012): free");
  }
}

package dev.tether.bench;

import dev.tether.api.ReadyState;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.TetherClient;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Session;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.glassfish.tyrus.client.ClientManager;
import org.glassfish.tyrus.client.ClientProperties;

/**
 * The {@code connections} workload: N idle connections of one kind in this JVM ({@code tether}:
 * {@link TetherClient}s with their defaults, heartbeat on; {@code tyrus-shared}: raw Tyrus
 * sessions of one {@code ClientManager} on the shared container; {@code tyrus-default}: a default
 * {@code ClientManager} per session). Heap per connection = (used heap after GC with N+10 open −
 * with 10 open) / N; threads = live JVM threads, the JVM's own included. Connections go to the
 * server's port on {@code loopbacks} addresses 127.0.0.1, 127.0.0.2, ... in turn, so that the
 * ephemeral ports of one destination never run out (the server listens on all interfaces).
 */
final class Idle {
  private Idle() {}

  /** What one run measured. */
  record Result(String kind, int n, double openSeconds, long stillOpen, int threads, int threadsBefore,
      double heapBytesPerConnection, double idleCpuPercent) {}

  /** Opens idle connections of one kind; {@link #openBatch} returns once all of them are open. */
  interface Opener {
    void openBatch(int from, int count) throws Exception;
  }

  /** @param close close every connection after measuring (else the caller's JVM is about to exit) */
  static Result run(String kind, URI uri, int n, long idleCpuMs, int loopbacks, boolean close) throws Exception {
    List<Object> keep = new ArrayList<>();
    Opener opener = switch (kind) {
      case "tether" -> tetherOpener(uri, keep, loopbacks);
      case "tyrus-default" -> tyrusOpener(uri, keep, false, loopbacks);
      case "tyrus-shared" -> tyrusOpener(uri, keep, true, loopbacks);
      default -> throw new IllegalArgumentException(kind);
    };
    int warm = 10;
    opener.openBatch(0, warm); // loads classes, starts shared pools and containers
    Thread.sleep(500);
    long heap0 = Workload.usedHeapAfterGc();
    int threads0 = ManagementFactory.getThreadMXBean().getThreadCount();
    long t0 = System.nanoTime();
    int batch = 250;
    for (int i = 0; i < n; i += batch) {
      opener.openBatch(warm + i, Math.min(batch, n - i));
    }
    double openSeconds = (System.nanoTime() - t0) / 1e9;
    Thread.sleep(2000);
    long heap1 = Workload.usedHeapAfterGc();
    int threads1 = ManagementFactory.getThreadMXBean().getThreadCount();
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long w0 = System.nanoTime();
    Thread.sleep(idleCpuMs); // by default spans at least one heartbeat (10 s)
    double idleCpu = (os.getProcessCpuTime() - cpu0) * 100.0 / (System.nanoTime() - w0);
    int threads2 = ManagementFactory.getThreadMXBean().getThreadCount();
    long open = keep.stream().filter(Idle::isOpen).count();
    Result r = new Result(kind, n, openSeconds, open - warm, Math.max(threads1, threads2), threads0,
        (heap1 - heap0) / (double) n, idleCpu);
    for (Object o : close ? keep : List.of()) {
      if (o instanceof TetherClient c) {
        c.close();
      } else if (o instanceof Session s) {
        s.close();
      }
    }
    return r;
  }

  private static boolean isOpen(Object o) {
    if (o instanceof TetherClient c) {
      return c.readyState() == ReadyState.OPEN;
    }
    return o instanceof Session s && s.isOpen();
  }

  /** {@code uri} with host 127.0.0.(1 + i mod loopbacks) and {@code ?user=NAME}. */
  static URI loopback(URI uri, int i, int loopbacks, String user) {
    String host = "127.0.0." + (1 + Math.floorMod(i, Math.max(1, loopbacks)));
    return URI.create(uri.getScheme() + "://" + host + ":" + uri.getPort() + uri.getPath() + "?user=" + user);
  }

  static Opener tetherOpener(URI uri, List<Object> keep, int loopbacks) {
    return (from, count) -> {
      CountDownLatch opened = new CountDownLatch(count);
      for (int i = 0; i < count; i++) {
        TetherClient c = TetherClient.builder(loopback(uri, from + i, loopbacks, "u" + (from + i)))
            .delegate(new SocketDelegate() {
              @Override
              public void onOpen(TetherSocket socket) {
                opened.countDown();
              }
            }).build();
        c.open();
        keep.add(c);
      }
      if (!opened.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("only " + (count - opened.getCount()) + "/" + count
            + " opened in 120 s");
      }
    };
  }

  static Opener tyrusOpener(URI uri, List<Object> keep, boolean shared, int loopbacks) {
    ExecutorService pool = Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, "bench-connect");
      t.setDaemon(true);
      return t;
    });
    // Shared: one ClientManager on the shared container for all, as its docs suggest.
    // Default: a new ClientManager per connection, each with its own Grizzly transport.
    ClientManager sharedManager = ClientManager.createClient();
    sharedManager.getProperties().put(ClientProperties.SHARED_CONTAINER, true);
    return (from, count) -> {
      ConcurrentLinkedQueue<Session> sessions = new ConcurrentLinkedQueue<>();
      CountDownLatch done = new CountDownLatch(count);
      AtomicInteger failed = new AtomicInteger();
      for (int i = 0; i < count; i++) {
        int id = from + i;
        pool.execute(() -> {
          try {
            ClientManager manager = shared ? sharedManager : ClientManager.createClient();
            sessions.add(manager.connectToServer(new Endpoint() {
              @Override
              public void onOpen(Session session, EndpointConfig config) {}
            }, ClientEndpointConfig.Builder.create().build(), loopback(uri, id, loopbacks, "t" + id)));
          } catch (Exception e) {
            if (failed.getAndIncrement() == 0) {
              System.err.println("tyrus connect failed: " + e);
            }
          } finally {
            done.countDown();
          }
        });
      }
      done.await();
      keep.addAll(sessions);
      if (failed.get() > 0) {
        throw new IllegalStateException(failed.get() + "/" + count + " tyrus connects failed");
      }
    };
  }
}

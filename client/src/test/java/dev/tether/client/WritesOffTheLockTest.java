package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Envelope;
import dev.tether.client.RecordingDelegate.Close;
import dev.tether.client.RecordingDelegate.Open;
import dev.tether.client.RecordingDelegate.Pong;
import dev.tether.client.RecordingDelegate.Text;
import dev.tether.stub.StubServer;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.ContainerProvider;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Extension;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.Session;
import jakarta.websocket.WebSocketContainer;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * Guards issue 9, defect 6: no timer and no lock holder waits on the network. The real Tyrus
 * container, with every write on the session recorded on its way (frames, pings, close): none may
 * run on the shared scheduler thread, and none while the client holds its lock, which a probe checks
 * by calling {@link TetherClient#outboxSize()} (it takes the lock) from another thread.
 */
class WritesOffTheLockTest {
  private static final WebSocketContainer TYRUS = ContainerProvider.getWebSocketContainer();

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();
  private final StubServer server = stub.server();
  private final ExecutorService probes = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "lock-probe");
    t.setDaemon(true);
    return t;
  });
  private final AtomicReference<TetherClient> probed = new AtomicReference<>();
  /** One line per write: "sendText on tether-io-3: lock free". */
  private final List<String> writes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void stopProbesAfterTheClients() {
    stub.closeAfter(probes::shutdownNow);
  }

  private void record(String method) {
    String lock = "lock free";
    TetherClient c = probed.get();
    if (c != null) {
      Future<Integer> f = probes.submit(c::outboxSize);
      try {
        f.get(10, TimeUnit.SECONDS); // a free lock answers at once; a loaded machine may still take seconds
      } catch (TimeoutException e) {
        lock = "LOCK HELD";
      } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
        lock = e.toString();
      }
    }
    writes.add(method + " on " + Thread.currentThread().getName() + ": " + lock);
  }

  @Test
  void framesPingsAndClosesAreWrittenOffTheSchedulerAndOffTheLock() throws Exception {
    RecordingDelegate d = new RecordingDelegate();
    TetherClient c = stub.track(TetherClient.builder(server.uri()).delegate(d).container(new Recording())
        .heartbeat(Duration.ofMillis(50), Duration.ofSeconds(5))
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(50))).build());
    probed.set(c);
    c.send(Envelope.join("lobby"));
    c.send("queued before open");
    c.open();
    d.take(Open.class);
    assertThat(d.next(Text.class).text()).isEqualTo("queued before open");
    c.send("sent while open");
    assertThat(d.next(Text.class).text()).isEqualTo("sent while open");
    c.sendPing(ByteBuffer.wrap(new byte[] {42}));
    d.next(Pong.class);
    await().atMost(Duration.ofSeconds(30))
        .until(() -> writes.stream().filter(w -> w.startsWith("sendPing")).count() >= 4);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.connectionCount()).isEqualTo(1));
    server.dropAllConnections(); // the next connection writes a resume, then the outbox
    d.next(Open.class);
    c.send(Envelope.chat("lobby", "after the reconnect")).get(10, TimeUnit.SECONDS);
    c.close();
    d.next(Close.class);

    assertThat(writes).anyMatch(w -> w.startsWith("sendText")).anyMatch(w -> w.startsWith("sendPing"))
        .anyMatch(w -> w.startsWith("close"));
    assertThat(writes).allMatch(w -> w.endsWith(": lock free"), "made without the client's lock")
        .noneMatch(w -> w.contains(" on tether-scheduler"));
  }

  /** Tyrus, with each session's writes recorded on their way. */
  private final class Recording implements WebSocketContainer {
    @Override
    public Session connectToServer(Endpoint endpoint, ClientEndpointConfig config, URI uri)
        throws DeploymentException, IOException {
      return TYRUS.connectToServer(new Endpoint() {
        @Override
        public void onOpen(Session session, EndpointConfig endpointConfig) {
          endpoint.onOpen(recorded(session), endpointConfig);
        }

        @Override
        public void onClose(Session session, CloseReason reason) {
          endpoint.onClose(session, reason);
        }

        @Override
        public void onError(Session session, Throwable error) {
          endpoint.onError(session, error);
        }
      }, config, uri);
    }

    private Session recorded(Session session) {
      RemoteEndpoint.Async remote = session.getAsyncRemote();
      RemoteEndpoint.Async recordedRemote = recordingSends(remote);
      return (Session) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Session.class},
          (p, method, args) -> {
            if (method.getName().equals("getAsyncRemote")) {
              return recordedRemote;
            }
            if (method.getName().equals("close")) {
              record("close");
            }
            return invoke(session, method, args);
          });
    }

    private RemoteEndpoint.Async recordingSends(RemoteEndpoint.Async remote) {
      return (RemoteEndpoint.Async) Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {RemoteEndpoint.Async.class}, (p, method, args) -> {
            if (method.getName().startsWith("send")) {
              record(method.getName());
            }
            return invoke(remote, method, args);
          });
    }

    private Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
      try {
        return method.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }

    @Override
    public Session connectToServer(Object annotated, URI uri) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Session connectToServer(Class<?> annotated, URI uri) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Session connectToServer(Class<? extends Endpoint> endpoint, ClientEndpointConfig config, URI uri) {
      throw new UnsupportedOperationException();
    }

    @Override
    public long getDefaultAsyncSendTimeout() {
      return TYRUS.getDefaultAsyncSendTimeout();
    }

    @Override
    public void setAsyncSendTimeout(long timeout) {
      TYRUS.setAsyncSendTimeout(timeout);
    }

    @Override
    public long getDefaultMaxSessionIdleTimeout() {
      return TYRUS.getDefaultMaxSessionIdleTimeout();
    }

    @Override
    public void setDefaultMaxSessionIdleTimeout(long timeout) {
      TYRUS.setDefaultMaxSessionIdleTimeout(timeout);
    }

    @Override
    public int getDefaultMaxBinaryMessageBufferSize() {
      return TYRUS.getDefaultMaxBinaryMessageBufferSize();
    }

    @Override
    public void setDefaultMaxBinaryMessageBufferSize(int max) {
      TYRUS.setDefaultMaxBinaryMessageBufferSize(max);
    }

    @Override
    public int getDefaultMaxTextMessageBufferSize() {
      return TYRUS.getDefaultMaxTextMessageBufferSize();
    }

    @Override
    public void setDefaultMaxTextMessageBufferSize(int max) {
      TYRUS.setDefaultMaxTextMessageBufferSize(max);
    }

    @Override
    public Set<Extension> getInstalledExtensions() {
      return TYRUS.getInstalledExtensions();
    }
  }
}

package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.ErrorReply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server as a component: its builder, its defaults, how it listens and how it ends. */
class TetherServerTest {
  private final List<TetherServer> servers = new ArrayList<>();
  private final List<WsClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() {
    clients.forEach(WsClient::close);
    servers.forEach(TetherServer::close);
  }

  private TetherServer server(TetherServer.Builder builder) {
    TetherServer s = builder.build();
    servers.add(s);
    return s;
  }

  private WsClient connect(URI uri, String user) throws Exception {
    WsClient c = WsClient.connect(TyrusClients.container(), URI.create(uri + "?user=" + user), Map.of());
    clients.add(c);
    return c;
  }

  @Test
  void defaultsAreTheDocumentedProductionLimits() {
    assertThat(TetherServer.builder()).hasToString("TetherServer.Builder{store=in memory, historyPerRoom=10000,"
        + " historyBytesPerRoom=67108864, maxMessageSize=1048576, rateLimit=1000/s, allowedOrigins=same origin,"
        + " memberQueue=4096/8388608 bytes, handshakeTimeout=PT10S, maxConnections=10000, compression=true,"
        + " no authenticator}");
  }

  @Test
  void theBuilderRefusesBadArgumentsAtOnce() {
    TetherServer.Builder b = TetherServer.builder();
    assertThatThrownBy(() -> b.historyPerRoom(0)).hasMessage("historyPerRoom < 1: 0");
    assertThatThrownBy(() -> b.historyBytesPerRoom(0)).hasMessage("historyBytesPerRoom < 1: 0");
    assertThatThrownBy(() -> b.maxMessageSize(0)).hasMessage("maxMessageSize < 1: 0");
    assertThatThrownBy(() -> b.rateLimit(-1)).hasMessage("rateLimit < 0: -1");
    assertThatThrownBy(() -> b.memberQueue(0, 1)).hasMessage("memberQueue maxMessages < 1: 0");
    assertThatThrownBy(() -> b.memberQueue(1, 0)).hasMessage("memberQueue maxBytes < 1: 0");
    assertThatThrownBy(() -> b.maxConnections(0)).hasMessage("maxConnections < 1: 0");
    assertThatThrownBy(() -> b.handshakeTimeout(Duration.ofSeconds(-1))).hasMessage("handshakeTimeout < 0: PT-1S");
    assertThatThrownBy(() -> b.allowedOrigins("https://a.example", " ")).hasMessage("origin is blank: ' '");
    // Guards review 11 finding 18: no origins silently refused every browser.
    assertThatThrownBy(b::allowedOrigins).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no origins: name at least one, or \"*\" for any (without any, every browser would be refused)");
    assertThatThrownBy(() -> b.allowedOrigins((String) null)).isInstanceOf(NullPointerException.class)
        .hasMessage("origin == null");
    assertThatThrownBy(() -> b.store(null)).isInstanceOf(NullPointerException.class).hasMessage("store == null");
    assertThatThrownBy(() -> b.authenticator(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("authenticator == null");
  }

  @Test
  void listenOnPortZeroPicksAFreePortOnTheGivenHost() throws Exception {
    TetherServer s = server(TetherServer.builder());
    TetherServer.Running running = s.listen("127.0.0.1", 0);
    assertThat(running.port()).isPositive().isNotEqualTo(8025);
    assertThat(running.uri()).hasToString("ws://127.0.0.1:" + running.port() + "/im");
    assertThatThrownBy(() -> s.listen("127.0.0.1", 70000)).hasMessage("port not in [0, 65535]: 70000");

    InetAddress other = nonLoopbackAddress();
    Assumptions.assumeTrue(other != null, "this machine has no non-loopback IPv4 address");
    try (Socket socket = new Socket()) {
      assertThatThrownBy(() -> socket.connect(new InetSocketAddress(other, running.port()), 2000))
          .isInstanceOf(IOException.class);
    }
  }

  private static InetAddress nonLoopbackAddress() throws IOException {
    for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nif.isUp() && !nif.isLoopback()) {
        for (InetAddress a : Collections.list(nif.getInetAddresses())) {
          if (a instanceof Inet4Address) {
            return a;
          }
        }
      }
    }
    return null;
  }

  @Test
  void closingARunningServerSays1001ToItsClients() throws Exception {
    TetherServer s = server(TetherServer.builder());
    TetherServer.Running running = s.listen("127.0.0.1", 0);
    WsClient alice = connect(running.uri(), "alice");
    await().atMost(Duration.ofSeconds(30)).until(() -> s.stats().connections() == 1);
    running.close();
    WsClient.Closed closed = alice.nextClose();
    assertThat(closed.code()).isEqualTo(1001);
    assertThat(closed.reason()).isEqualTo("server shutting down");
    try (Socket socket = new Socket()) {
      assertThatThrownBy(() -> socket.connect(new InetSocketAddress("127.0.0.1", running.port()), 2000))
          .isInstanceOf(IOException.class);
    }
    // The server itself goes on: it can listen again.
    WsClient bob = connect(s.listen("127.0.0.1", 0).uri(), "bob");
    bob.send("hi");
    assertThat(bob.nextText()).isEqualTo("hi");
  }

  /**
   * Grizzly closes its listening channel on a selector thread it may interrupt first: the port
   * then stayed bound after close(), in 7 to 31 of 300 stops here (and closingARunningServer...
   * failed once in five full builds). A port is released each time now.
   */
  @Test
  void aListenerThatStopsReleasesItsPortEveryTime() throws Exception {
    TetherServer s = server(TetherServer.builder());
    for (int i = 0; i < 100; i++) {
      TetherServer.Running running = s.listen("127.0.0.1", 0);
      try (Socket client = new Socket("127.0.0.1", running.port())) {
        assertThat(client.isConnected()).isTrue();
      }
      running.close();
      try (ServerSocket again = new ServerSocket()) {
        // Binding, not connecting: a connect to a free ephemeral port can meet itself.
        again.bind(new InetSocketAddress("127.0.0.1", running.port()));
      } catch (IOException stillBound) {
        throw new AssertionError("port " + running.port() + " still bound after close, stop " + i, stillBound);
      }
    }
  }

  @Test
  void closingTheServerSays1001AndClosesItsStore() throws Exception {
    RoomStore store = RoomStore.inMemory();
    TetherServer s = server(TetherServer.builder().store(store));
    WsClient alice = connect(s.listen("127.0.0.1", 0).uri(), "alice");
    await().atMost(Duration.ofSeconds(30)).until(() -> s.stats().connections() == 1);
    s.close();
    assertThat(alice.nextClose().code()).isEqualTo(1001);
    assertThatThrownBy(() -> store.open("lobby").toCompletableFuture().get()).hasCauseInstanceOf(IllegalStateException.class);
    assertThatThrownBy(s::endpointConfig).isInstanceOf(IllegalStateException.class).hasMessage("closed");
    s.close();
  }

  @Test
  void aSlowlorisHandshakeIsCutAtTheHandshakeTimeout() throws Exception {
    TetherServer s = server(TetherServer.builder().handshakeTimeout(Duration.ofMillis(500)));
    URI uri = s.listen("127.0.0.1", 0).uri();
    WsClient honest = connect(uri, "honest");
    try (Socket slow = new Socket("127.0.0.1", uri.getPort())) {
      slow.setSoTimeout(10_000);
      slow.getOutputStream().write("GET /im HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
      long start = System.nanoTime();
      InputStream in = slow.getInputStream();
      // Trickle a header byte every 100 ms: an idle timeout would never fire.
      while (true) {
        try {
          slow.getOutputStream().write('X');
        } catch (IOException closed) {
          break;
        }
        slow.setSoTimeout(100);
        try {
          if (in.read() < 0) {
            break;
          }
        } catch (java.net.SocketTimeoutException stillOpen) {
          // keep trickling
        } catch (IOException reset) {
          break;
        }
        assertThat(System.nanoTime() - start).as("still open").isLessThan(TimeUnit.SECONDS.toNanos(10));
      }
      long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
      System.out.printf("slowloris handshake cut after %d ms (timeout 500 ms)%n", elapsedMillis);
      assertThat(elapsedMillis).isGreaterThanOrEqualTo(400);
    }
    honest.send("still open");
    assertThat(honest.nextText()).isEqualTo("still open");
  }

  /**
   * On fake time (review 11 finding 15: this was a 700 ms sleep): when every handshake deadline
   * has passed, the connection still handshaking is cut and the one that completed its handshake
   * is not, however long it lives.
   */
  @Test
  void theHandshakeDeadlineNeverCutsAConnectionThatCompletedItsHandshake() throws Exception {
    TetherServer s = server(TetherServer.builder());
    ManualTimer timer = new ManualTimer();
    dev.tether.server.internal.GrizzlyHost host = dev.tether.server.internal.GrizzlyHost.start("127.0.0.1", null,
        1 << 20, Duration.ofSeconds(10), timer, s.endpointConfig(), 0, "listen");
    try (Socket slow = new Socket("127.0.0.1", host.getPort())) {
      URI uri = URI.create("ws://127.0.0.1:" + host.getPort() + "/im");
      WsClient honest = connect(uri, "honest");
      honest.send("hi");
      assertThat(honest.nextText()).isEqualTo("hi");
      slow.getOutputStream().write("GET /im HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
      await().atMost(Duration.ofSeconds(10)).until(() -> timer.scheduled() == 2); // one deadline each
      assertThat(timer.runDue()).as("deadlines still pending").isEqualTo(1);
      slow.setSoTimeout(10_000);
      try {
        assertThat(slow.getInputStream().read()).isEqualTo(-1);
      } catch (java.net.SocketException reset) {
        // cut: a reset is as good as an end of stream
      }
      honest.send("still open");
      assertThat(honest.nextText()).isEqualTo("still open");
    } finally {
      host.stop();
      timer.shutdownNow();
    }
  }

  /** A scheduler whose delayed tasks run when the test says time has passed, not before. */
  private static final class ManualTimer extends java.util.concurrent.ScheduledThreadPoolExecutor {
    private final List<Map.Entry<Runnable, java.util.concurrent.ScheduledFuture<?>>> tasks =
        Collections.synchronizedList(new ArrayList<>());

    ManualTimer() {
      super(1);
    }

    @Override
    public java.util.concurrent.ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      // A handle that can be cancelled and never fires on its own.
      java.util.concurrent.ScheduledFuture<?> handle = super.schedule(() -> { }, 1, TimeUnit.DAYS);
      tasks.add(Map.entry(command, handle));
      return handle;
    }

    int scheduled() {
      return tasks.size();
    }

    /** Runs every task not cancelled, as if all their delays had passed; returns how many ran. */
    int runDue() {
      int ran = 0;
      for (Map.Entry<Runnable, java.util.concurrent.ScheduledFuture<?>> task : List.copyOf(tasks)) {
        if (!task.getValue().isCancelled()) {
          task.getKey().run();
          ran++;
        }
      }
      return ran;
    }
  }

  @Test
  void historyBytesPerRoomBoundsWhatAResumeReplays() throws Exception {
    TetherServer s = server(TetherServer.builder().historyBytesPerRoom(3_500));
    URI uri = s.listen("127.0.0.1", 0).uri();
    WsClient alice = connect(uri, "alice");
    Envelope join = Envelope.join("lobby");
    alice.send(join);
    alice.nextWire();
    for (int i = 0; i < 10; i++) {
      Envelope chat = Envelope.chat("lobby", "x".repeat(1_000));
      alice.send(chat);
      // its ack, and its own copy, a frame of a little over 1,000 bytes
      assertThat(alice.ownChat(chat).ack()).isEqualTo(new Ack(chat.id(), i + 1));
    }
    WsClient bob = connect(uri, "bob");
    Envelope resume = Envelope.resume("lobby", 0);
    bob.send(resume);
    assertThat(bob.nextWire()).isEqualTo(ErrorReply.historyGap(resume.id(), "lobby", 1, 7));
    for (long seq = 8; seq <= 10; seq++) {
      assertThat(((Envelope) bob.nextWire()).seq()).isEqualTo(seq);
    }
    Ack resumed = (Ack) bob.nextWire();
    assertThat(resumed.id()).isEqualTo(resume.id());
    assertThat(resumed.seq()).isEqualTo(10);
    assertThat(resumed.epoch()).isNotNull();
  }

  /**
   * Guards review 11 finding 1: with SQLite, a chat resent from a connection that has joined
   * nothing, while its original waits for the writer, was answered not_member.
   */
  @Test
  void aChatResentFromANonMemberWhileItsOriginalWaitsForTheDiskIsAckedNotRefused(@TempDir Path dir)
      throws Exception {
    RoomStore sqlite = RoomStore.sqlite(dir.resolve("rooms.db"));
    ObservedStore store = new ObservedStore(sqlite);
    TetherServer s = server(TetherServer.builder().store(store));
    URI uri = s.listen("127.0.0.1", 0).uri();
    WsClient alice = connect(uri, "alice");
    Envelope join = Envelope.join("lobby");
    alice.send(join);
    Ack joined = (Ack) alice.nextWire();
    assertThat(joined.id()).isEqualTo(join.id());
    assertThat(joined.seq()).isZero();

    // Hold the store's writer, as a slow disk would.
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    sqlite.append(new RoomStore.Draft("elsewhere", "test", "hold", 1, 10, (seq, epoch) -> {
      writing.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "held";
    }), new RoomStore.AppendCallback() {
      @Override
      public void appended(RoomStore.Appended result) {}

      @Override
      public void failed(Throwable error) {}
    });
    assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue();

    Envelope chat = Envelope.chat("lobby", "once");
    alice.send(chat);
    // Answers come in receipt order, so an echo cannot tell when the hub handed the chat over:
    // the store itself says so.
    await().atMost(Duration.ofSeconds(30)).until(() -> store.appends.get() == 1);
    WsClient again = connect(uri, "alice");
    again.send(chat);
    await().atMost(Duration.ofSeconds(30)).until(() -> store.lookups.get() == 1); // the resend is with the store too
    release.countDown();
    assertThat(again.nextWire()).isEqualTo(new Ack(chat.id(), 1));
    assertThat(alice.ownChat(chat).ack()).isEqualTo(new Ack(chat.id(), 1));
  }

  /** Guards review 11 finding 9: listen() started Grizzly threads that were not tether-*. */
  @Test
  void everyThreadListenStartsIsATetherDaemonAndNoneOutlivesClose() throws Exception {
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    TetherServer s = TetherServer.builder().build();
    URI uri = s.listen("127.0.0.1", 0).uri();
    for (int i = 0; i < 3; i++) {
      try (RawHandshake h = RawHandshake.send(URI.create(uri + "?user=u" + i), Map.of())) {
        assertThat(h.status()).isEqualTo(101);
      }
    }
    List<Thread> started = new ArrayList<>(Thread.getAllStackTraces().keySet());
    started.removeAll(before);
    started.removeIf(TetherServerTest::isTheJvms);
    System.out.printf("threads of a listening server: %d (%s)%n", started.size(),
        started.stream().map(Thread::getName).sorted().toList());
    assertThat(started).isNotEmpty().allSatisfy(t -> {
      assertThat(t.getName()).startsWith("tether-");
      assertThat(t.isDaemon()).as("%s is a daemon", t.getName()).isTrue();
    });
    s.close();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(started.stream().filter(Thread::isAlive).map(Thread::getName)).isEmpty());
  }

  /** Threads the JVM itself may start at any time. */
  private static boolean isTheJvms(Thread t) {
    return t.getName().startsWith("process reaper") || t.getName().startsWith("ForkJoinPool.commonPool")
        || t.getName().equals("Attach Listener") || t.getName().startsWith("surefire-");
  }

  /** Guards review 11 finding 8: binding a port just released failed at once, about one run in seven. */
  @Test
  void listenOnAPortThatIsBusyForAMomentWaitsForIt() throws Exception {
    TetherServer s = server(TetherServer.builder());
    ServerSocket busy = new ServerSocket();
    busy.bind(new InetSocketAddress("127.0.0.1", 0));
    int port = busy.getLocalPort();
    java.util.concurrent.CompletableFuture<TetherServer.Running> listening =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> s.listen("127.0.0.1", port));
    Thread listener = await().atMost(Duration.ofSeconds(10)).until(() -> Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getState() == Thread.State.TIMED_WAITING && waitsToBind(t)).findAny().orElse(null), t -> t != null);
    assertThat(listening).isNotDone();
    busy.close();
    TetherServer.Running running = listening.get(10, TimeUnit.SECONDS);
    assertThat(running.port()).isEqualTo(port);
    WsClient alice = connect(running.uri(), "alice");
    alice.send("hi");
    assertThat(alice.nextText()).isEqualTo("hi");
    assertThat(listener).isNotNull();
  }

  private static boolean waitsToBind(Thread t) {
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().endsWith("BindRetry")) {
        return true;
      }
    }
    return false;
  }

  @Test
  void listenOnAPortThatStaysBusySaysWhy() throws Exception {
    try (ServerSocket busy = new ServerSocket()) {
      busy.bind(new InetSocketAddress("127.0.0.1", 0));
      TetherServer s = server(TetherServer.builder());
      assertThatThrownBy(() -> s.listen("127.0.0.1", busy.getLocalPort()))
          .isInstanceOf(java.io.UncheckedIOException.class)
          .hasMessageStartingWith("cannot listen on 127.0.0.1:" + busy.getLocalPort() + ": ")
          .hasMessageContaining("ttempts in 10000 ms");
    }
  }

  @Test
  void anAuthenticatorThatThrowsIsLoggedAndAnswered503() throws Exception {
    TetherServer s = server(TetherServer.builder().authenticator(request -> {
      throw new IllegalStateException("identity service timed out");
    }));
    URI uri = s.listen("127.0.0.1", 0).uri();
    String log = stderrOf(() -> {
      try (RawHandshake h = RawHandshake.send(uri, Map.of())) {
        assertThat(h.status()).isEqualTo(503);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertThat(log).contains("authenticator failed; refusing the handshake with 503")
        .contains("identity service timed out");
  }

  @Test
  void withoutAnAuthenticatorTheServerSaysSoInItsLogOnce() {
    // Once per server: not again when it listens or hands out endpoint configs (review 11 finding 15).
    String log = stderrOf(() -> {
      TetherServer s = server(TetherServer.builder());
      s.listen("127.0.0.1", 0).close();
      s.endpointConfig();
      s.endpointConfig();
    });
    assertThat(log.split("identities are not authenticated", -1)).hasSize(2);
    String withAuth = stderrOf(() -> server(TetherServer.builder().authenticator(request -> "alice")));
    assertThat(withAuth).doesNotContain("identities are not authenticated");
  }

  private static String stderrOf(Runnable r) {
    PrintStream old = System.err;
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
    try {
      r.run();
    } finally {
      System.setErr(old);
    }
    return buffer.toString(StandardCharsets.UTF_8);
  }

  /**
   * Guards review 11 finding 17: the cap was checked before the new connection was added, so
   * handshakes completing at the same moment could all pass it. Of many at once, at most the cap
   * stay open; the others are refused (503) or closed at once (1013).
   */
  @Test
  void concurrentHandshakesNeverOpenMoreConnectionsThanTheCap() throws Exception {
    int cap = 3;
    int clients = 40;
    TetherServer s = server(TetherServer.builder().maxConnections(cap).rateLimit(0));
    URI uri = s.listen("127.0.0.1", 0).uri();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(clients);
    List<RawWebSocket> open = java.util.Collections.synchronizedList(new ArrayList<>());
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<java.util.concurrent.Future<String>> outcomes = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        String user = "u" + i;
        outcomes.add(pool.submit(() -> {
          go.await();
          RawWebSocket ws;
          try {
            ws = RawWebSocket.connect(URI.create(uri + "?user=" + user));
          } catch (IOException refused) {
            return "refused";
          }
          open.add(ws);
          ws.sendText("hello " + user);
          RawWebSocket.Frame frame = ws.read();
          return frame.opcode() == 8 ? "closed " + frame.closeCode() : frame.text();
        }));
      }
      go.countDown();
      int admitted = 0;
      for (java.util.concurrent.Future<String> outcome : outcomes) {
        String o = outcome.get(30, TimeUnit.SECONDS);
        if (o.startsWith("hello ")) {
          admitted++;
        } else {
          assertThat(o).isIn("refused", "closed 1013");
        }
      }
      assertThat(admitted).isBetween(1, cap);
      assertThat(s.stats().connections()).isEqualTo(admitted);
    } finally {
      pool.shutdownNow();
      for (RawWebSocket ws : List.copyOf(open)) {
        ws.close();
      }
    }
  }

  @Test
  void statsCountConnectionsAndRoomsInUse() throws Exception {
    TetherServer s = server(TetherServer.builder());
    URI uri = s.listen("127.0.0.1", 0).uri();
    WsClient alice = connect(uri, "alice");
    WsClient bob = connect(uri, "bob");
    for (WsClient c : List.of(alice, bob)) {
      Envelope join = Envelope.join("lobby");
      c.send(join);
      assertThat(c.nextWire()).isInstanceOfSatisfying(Ack.class,
          a -> assertThat(a).extracting(Ack::id, Ack::seq).containsExactly(join.id(), 0L));
    }
    Envelope other = Envelope.join("kitchen");
    bob.send(other);
    bob.nextWire();
    assertThat(s.stats().connections()).isEqualTo(2);
    assertThat(s.stats().rooms()).isEqualTo(2);
    bob.close();
    await().atMost(Duration.ofSeconds(30)).until(() -> s.stats().connections() == 1 && s.stats().rooms() == 1);
  }

  /** The application's store, counting what the hub asks of it. */
  private static final class ObservedStore implements RoomStore {
    final java.util.concurrent.atomic.AtomicInteger appends = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger lookups = new java.util.concurrent.atomic.AtomicInteger();
    private final RoomStore delegate;

    ObservedStore(RoomStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public CompletionStage<RoomState> open(String room) {
      return delegate.open(room);
    }

    @Override
    public CompletionStage<Optional<RoomState>> state(String room) {
      return delegate.state(room);
    }

    @Override
    public void append(Draft draft, AppendCallback callback) {
      delegate.append(draft, callback);
      appends.incrementAndGet();
    }

    @Override
    public CompletionStage<Optional<Appended>> accepted(String user, String id) {
      CompletionStage<Optional<Appended>> stage = delegate.accepted(user, id);
      lookups.incrementAndGet();
      return stage;
    }

    @Override
    public CompletionStage<History> history(String room, long after, int limit) {
      return delegate.history(room, after, limit);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}

package dev.tether.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.ReconnectPolicy;
import dev.tether.client.TetherClient;
import dev.tether.deflate.PerMessageDeflate;
import dev.tether.stub.FaultProxy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.glassfish.tyrus.core.extension.ExtendedExtension.ExtensionContext;
import org.glassfish.tyrus.core.frame.Frame;

/**
 * What permessage-deflate costs and saves for chat envelopes of realistic text (200-2,000 bytes):
 * <ol>
 *   <li>the extension alone, one thread: size on the wire and CPU per message to compress and to
 *       inflate, for the server's mode (no context takeover) and a client's against a server that
 *       keeps context (Jetty, Node), at level 1 (Tether's) and 6 (zlib's default);
 *   <li>end to end: two {@code TetherClient}s chatting through a {@code TetherServer} in its own
 *       JVM, with and without {@code compression(true)}: bytes on the wire per chat (counted by a
 *       {@link FaultProxy}) and CPU per chat in the clients' JVM and the server's.
 * </ol>
 * Writes {@code bench/results/deflate.csv} and the "Compression" section of BENCHMARKS.md.
 * Run with {@code java -jar bench/target/tether-bench.jar deflate}.
 */
final class DeflateBench {
  static final String HEADING = "## Compression (permessage-deflate)";
  private static final int MESSAGES = Integer.getInteger("bench.deflateMessages", 2_000);
  private static final int CHATS = Integer.getInteger("bench.deflateChats", 10_000);
  private static final int RUNS = Integer.getInteger("bench.deflateRuns", 5);
  private static final int WINDOW = 64;

  private final List<String[]> rows = new ArrayList<>();
  private final StringBuilder md = new StringBuilder();

  private DeflateBench() {}

  /** Measures, writes deflate.csv, returns the markdown section. */
  static String run(Path root) throws Exception {
    DeflateBench b = new DeflateBench();
    List<byte[]> envelopes = envelopes(MESSAGES, 1);
    b.extensionAlone(envelopes);
    b.endToEnd();
    Path dir = Files.createDirectories(root.resolve("bench").resolve("results"));
    StringBuilder csv = new StringBuilder("workload,client,param,run,metric,value\n");
    b.rows.forEach(r -> csv.append(String.join(",", r)).append('\n'));
    Files.writeString(dir.resolve("deflate.csv"), csv);
    return b.md.toString();
  }

  /** The compression section of {@code markdown}, or null if it has none. */
  static String section(String markdown) {
    int at = markdown.indexOf(HEADING);
    if (at < 0) {
      return null;
    }
    int end = markdown.indexOf("\n## ", at + HEADING.length());
    return end < 0 ? markdown.substring(at) : markdown.substring(at, end + 1);
  }

  /** {@code markdown} with the compression section replaced, or added before the targets (or at the end). */
  static String splice(String markdown, String section) {
    int at = markdown.indexOf(HEADING);
    if (at >= 0) {
      int end = markdown.indexOf("\n## ", at + HEADING.length());
      return markdown.substring(0, at) + section + (end < 0 ? "" : markdown.substring(end + 1));
    }
    int targets = markdown.indexOf("## Targets");
    return targets < 0 ? markdown + "\n" + section : markdown.substring(0, targets) + section + markdown.substring(targets);
  }

  /** {@code n} chat texts of 200-2,000 bytes, seeded. */
  static List<String> texts(int n, long seed) {
    ChatText text = new ChatText(seed);
    SplittableRandom sizes = new SplittableRandom(seed + 1);
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(text.next(200 + sizes.nextInt(1_801)));
    }
    return out;
  }

  /** The chat envelopes of {@link #texts} as a client writes them. */
  static List<byte[]> envelopes(int n, long seed) {
    return texts(n, seed).stream()
        .map(t -> EnvelopeCodec.shared().encode(Envelope.chat("lobby", t)).getBytes(StandardCharsets.UTF_8))
        .toList();
  }

  // ------------------------------------------------------------------------ the extension alone

  private record Mode(String name, String description, boolean serverSide, int level) {}

  private void extensionAlone(List<byte[]> envelopes) {
    long raw = envelopes.stream().mapToLong(e -> e.length).sum();
    md.append(HEADING).append("\n\n")
        .append(String.format(Locale.ROOT, "Chat envelopes as `TetherClient` sends them (JSON, text of 200-2,000"
            + " bytes of chat-like prose: words, names, numbers, links, emoji), %,d of them, mean %,d bytes."
            + " %d cores.%n%n", envelopes.size(), raw / envelopes.size(), Runtime.getRuntime().availableProcessors()))
        .append("### The extension alone (one thread, CPU time per message)\n\n")
        .append("| mode | on the wire | compress µs/msg | inflate µs/msg |\n| --- | ---: | ---: | ---: |\n");
    for (Mode m : List.of(
        new Mode("server", "TetherServer: no context takeover, level 1", true, 1),
        new Mode("client-context", "client to a server keeping context (Jetty, Node), level 1", false, 1),
        new Mode("server-level6", "no context takeover, level 6", true, 6),
        new Mode("client-context-level6", "context takeover, level 6", false, 6))) {
      double[] result = measureExtension(m, envelopes);
      rows.add(row(m.name(), "wire_ratio", result[0]));
      rows.add(row(m.name(), "compress_us_per_msg", result[1]));
      rows.add(row(m.name(), "inflate_us_per_msg", result[2]));
      md.append(String.format(Locale.ROOT, "| %s | %.1f %% | %.1f | %.1f |%n", m.description(), result[0] * 100,
          result[1], result[2]));
    }
    md.append('\n');
  }

  private static ExtensionContext context() {
    Map<String, Object> properties = new HashMap<>();
    return () -> properties;
  }

  /** Wire ratio, compress µs, inflate µs: medians of {@link #RUNS} passes after 3 warm-up passes. */
  private static double[] measureExtension(Mode m, List<byte[]> envelopes) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    double[] compress = new double[RUNS];
    double[] inflate = new double[RUNS];
    double ratio = 0;
    for (int pass = -3; pass < RUNS; pass++) {
      // Server side: our server's sender and a client that heard its answer. Otherwise a client
      // that heard a plain answer (context kept both ways), and a peer that keeps context too.
      PerMessageDeflate sender = (m.serverSide() ? PerMessageDeflate.server(4 << 20) : PerMessageDeflate.client(4 << 20))
          .with(m.level(), PerMessageDeflate.DEFAULT_THRESHOLD);
      PerMessageDeflate receiver = PerMessageDeflate.client(4 << 20);
      ExtensionContext out = context();
      ExtensionContext in = context();
      if (m.serverSide()) {
        receiver.onHandshakeResponse(in, sender.onExtensionNegotiation(out, List.of()));
      } else {
        sender.onHandshakeResponse(out, List.of());
        receiver.onHandshakeResponse(in, List.of());
      }
      List<Frame> wire = new ArrayList<>(envelopes.size());
      long t0 = threads.getCurrentThreadCpuTime();
      for (byte[] e : envelopes) {
        wire.add(sender.processOutgoing(out, Frame.builder().opcode((byte) 1).fin(true).payloadData(e).build()));
      }
      long t1 = threads.getCurrentThreadCpuTime();
      long bytes = 0;
      for (Frame f : wire) {
        receiver.processIncoming(in, f);
        bytes += f.getPayloadLength();
      }
      long t2 = threads.getCurrentThreadCpuTime();
      sender.destroy(out);
      receiver.destroy(in);
      if (pass >= 0) {
        compress[pass] = (t1 - t0) / 1e3 / envelopes.size();
        inflate[pass] = (t2 - t1) / 1e3 / envelopes.size();
        ratio = (double) bytes / envelopes.stream().mapToLong(e -> e.length).sum();
      }
    }
    return new double[] {ratio, median(compress), median(inflate)};
  }

  // ---------------------------------------------------------------------------------- end to end

  private void endToEnd() throws Exception {
    md.append("### End to end: two clients chatting through a TetherServer\n\n")
        .append(String.format(Locale.ROOT, "Alice sends %,d chats (up to %d unacked) to a room she and Bob joined;"
            + " the server (its own JVM, defaults) acks each and fans it out to both. Bytes: frames and"
            + " headers on the wire per chat, counted by a FaultProxy over 1,000 chats. CPU: process CPU"
            + " time per chat, median of %d runs after a warm-up, clients' JVM and server's JVM.%n%n",
            CHATS, WINDOW, RUNS))
        .append("| compression | client to server B/chat | server to clients B/chat | clients' CPU µs/chat"
            + " | server CPU µs/chat | chats/s |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
    int port = ServerProcess.freePort();
    Process server = new ProcessBuilder(ServerProcess.javaBinary(), "-Xmx1g",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", ServerProcess.classPath(),
        DeflateServer.class.getName(), Integer.toString(port))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader serverOut = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    PrintWriter serverIn = new PrintWriter(server.getOutputStream(), true, StandardCharsets.UTF_8);
    try {
      if (!"listening".equals(serverOut.readLine())) {
        throw new IllegalStateException("deflate bench server did not start");
      }
      URI uri = URI.create("ws://127.0.0.1:" + port + "/im");
      for (boolean compression : new boolean[] {false, true}) {
        String name = compression ? "on" : "off";
        double[] bytes = bytesPerChat(uri, compression);
        double[] client = new double[RUNS];
        double[] serverCpu = new double[RUNS];
        double[] rate = new double[RUNS];
        try (Pair pair = new Pair(uri, compression, "cpu-" + name)) {
          pair.chat(CHATS / 3); // warm-up
          for (int run = 0; run < RUNS; run++) {
            long c0 = processCpu();
            long s0 = serverCpu(serverIn, serverOut);
            long w0 = System.nanoTime();
            pair.chat(CHATS);
            long w1 = System.nanoTime();
            client[run] = (processCpu() - c0) / 1e3 / CHATS;
            serverCpu[run] = (serverCpu(serverIn, serverOut) - s0) / 1e3 / CHATS;
            rate[run] = CHATS / ((w1 - w0) / 1e9);
          }
        }
        rows.add(row("e2e-" + name, "bytes_to_server_per_chat", bytes[0]));
        rows.add(row("e2e-" + name, "bytes_to_clients_per_chat", bytes[1]));
        rows.add(row("e2e-" + name, "client_cpu_us_per_chat", median(client)));
        rows.add(row("e2e-" + name, "server_cpu_us_per_chat", median(serverCpu)));
        rows.add(row("e2e-" + name, "chats_per_s", median(rate)));
        md.append(String.format(Locale.ROOT, "| %s | %,.0f | %,.0f | %.1f | %.1f | %,.0f |%n", name, bytes[0], bytes[1],
            median(client), median(serverCpu), median(rate)));
      }
      md.append('\n');
    } finally {
      serverIn.close();
      if (!server.waitFor(10, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  private static double[] bytesPerChat(URI uri, boolean compression) throws Exception {
    int chats = 1_000;
    try (FaultProxy proxy = FaultProxy.start(uri); Pair pair = new Pair(proxy.uri(), compression, "bytes-" + compression)) {
      long up0 = proxy.bytesToServer();
      long down0 = proxy.bytesToClient();
      pair.chat(chats);
      return new double[] {(proxy.bytesToServer() - up0) / (double) chats, (proxy.bytesToClient() - down0) / (double) chats};
    }
  }

  private static long serverCpu(PrintWriter in, BufferedReader out) throws IOException {
    in.println("cpu");
    String line = out.readLine();
    if (line == null || !line.startsWith("CPU ")) {
      throw new IllegalStateException("server answered " + line);
    }
    return Long.parseLong(line.substring(4).trim());
  }

  private static long processCpu() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** Alice and Bob in one room; Alice sends, both receive every chat. */
  private static final class Pair implements AutoCloseable {
    private final TetherClient alice;
    private final TetherClient bob;
    private final String room;
    private final AtomicInteger received = new AtomicInteger();
    private volatile CountDownLatch done = new CountDownLatch(0);
    private volatile int target;
    private final List<String> texts = texts(2_000, 7);

    Pair(URI uri, boolean compression, String room) throws Exception {
      this.room = room;
      SocketDelegate counting = new SocketDelegate() {
        @Override
        public void onEnvelope(TetherSocket socket, Envelope e) {
          if (e.type() == Envelope.Type.CHAT && received.incrementAndGet() >= target) {
            done.countDown();
          }
        }
      };
      CountDownLatch open = new CountDownLatch(2);
      SocketDelegate opening = new SocketDelegate() {
        @Override
        public void onOpen(TetherSocket socket) {
          open.countDown();
        }
      };
      alice = TetherClient.builder(URI.create(uri + "?user=alice")).compression(compression).delegate(opening)
          .reconnect(ReconnectPolicy.none()).callbackExecutor(Runnable::run).build();
      bob = TetherClient.builder(URI.create(uri + "?user=bob")).compression(compression)
          .delegate(new SocketDelegate() {
            @Override
            public void onOpen(TetherSocket socket) {
              open.countDown();
            }

            @Override
            public void onEnvelope(TetherSocket socket, Envelope e) {
              counting.onEnvelope(socket, e);
            }
          })
          .reconnect(ReconnectPolicy.none()).callbackExecutor(Runnable::run).build();
      alice.open();
      bob.open();
      if (!open.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("clients did not open");
      }
      alice.send(Envelope.join(room)).get(10, TimeUnit.SECONDS);
      bob.send(Envelope.join(room)).get(10, TimeUnit.SECONDS);
    }

    /** Alice sends {@code n} chats, at most {@link #WINDOW} unacked; returns once Bob has them all. */
    void chat(int n) throws Exception {
      target = received.get() + n;
      done = new CountDownLatch(1);
      Semaphore window = new Semaphore(WINDOW);
      for (int i = 0; i < n; i++) {
        window.acquire();
        alice.send(Envelope.chat(room, texts.get(i % texts.size()))).whenComplete((ack, error) -> window.release());
      }
      if (!done.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("Bob got " + received.get() + " of " + target + " chats");
      }
      window.acquire(WINDOW); // every ack is in
    }

    @Override
    public void close() {
      alice.close();
      bob.close();
    }
  }

  // ------------------------------------------------------------------------------------- helpers

  private static String[] row(String client, String metric, double value) {
    return new String[] {"deflate", client, "-", "0", metric, String.format(Locale.ROOT, "%.3f", value)};
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}

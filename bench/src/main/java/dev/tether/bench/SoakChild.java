package dev.tether.bench;

import dev.tether.client.OutboxStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A soak client in its own JVM, so that the soak can kill it with SIGKILL and start it again: one
 * {@link SoakClient} on {@link OutboxStore#sqlite} ({@code DIR/outbox.db}), logging to
 * {@code DIR/events.log} with every line flushed. A restart reads the log to continue: the next
 * incarnation number and the next chat number (after the last one whose {@code send} returned;
 * if the killed process had committed one more without logging it, sending its id again is
 * deduplicated). The first incarnation joins the room; later ones rely on the store, which
 * resumes the room.
 *
 * <p>Protocol on stdin/stdout: prints {@code ready} once it can send (first incarnation: once the
 * join is acked), then {@code STAT outbox reconnects delivered threads sent} every second. Reads
 * {@code go} (start sending; later incarnations start by themselves), {@code stop} (stop sending)
 * and {@code exit} (close and exit 0). Arguments: {@code URIS USER ROOM DIR RATE}, {@code URIS} the server's URI or the nodes',
 * comma-separated, in the order to fail over in.
 */
final class SoakChild {
  private SoakChild() {}

  public static void main(String[] args) throws Exception {
    List<URI> uris = Arrays.stream(args[0].split(",")).map(URI::create).toList();
    String user = args[1];
    String room = args[2];
    Path dir = Path.of(args[3]);
    double rate = Double.parseDouble(args[4]);
    Path logFile = dir.resolve("events.log");
    long[] resumeFrom = resumePoint(logFile);
    long incarnation = resumeFrom[0] + 1;
    EventLog log = EventLog.append(logFile, true);
    log.line("K " + incarnation + " " + EventLog.nowMicros());
    AtomicLong delivered = new AtomicLong();
    OutboxStore store = OutboxStore.sqlite(dir.resolve("outbox.db"));
    SoakClient client = new SoakClient(uris, user, room, log, store, null, delivered, resumeFrom[1]);
    client.open();
    if (incarnation == 1) {
      client.join().get(60, TimeUnit.SECONDS);
    }
    ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "soak-child");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> {
      System.out.println("STAT " + client.outboxSize() + " " + client.reconnects() + " "
          + delivered.get() + " " + HeapWatch.threads() + " " + client.sent());
      System.out.flush();
    }, 1, 1, TimeUnit.SECONDS);
    System.out.println("ready");
    System.out.flush();
    long periodMicros = (long) (1e6 / rate);
    ScheduledFuture<?> sending = incarnation == 1 ? null
        : timer.scheduleAtFixedRate(client::sendNext, 0, periodMicros, TimeUnit.MICROSECONDS);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("go") && sending == null) {
        sending = timer.scheduleAtFixedRate(client::sendNext, 0, periodMicros, TimeUnit.MICROSECONDS);
      } else if (line.equals("stop") && sending != null) {
        sending.cancel(false);
      } else if (line.equals("exit")) {
        break;
      }
    }
    if (sending != null) {
      sending.cancel(false);
    }
    timer.shutdown();
    timer.awaitTermination(10, TimeUnit.SECONDS);
    log.line("Z " + EventLog.nowMicros());
    client.close();
    client.awaitSettled(10, TimeUnit.SECONDS);
    store.close();
    log.close();
    System.exit(0);
  }

  /** {last incarnation, next chat number} from an existing log; {0, 0} for none. */
  static long[] resumePoint(Path log) throws IOException {
    long[] point = {0, 0};
    if (!Files.exists(log)) {
      return point;
    }
    try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
      lines.forEach(line -> {
        String[] f = line.split(" ");
        try {
          if (f[0].equals("K") && f.length >= 2) {
            point[0] = Math.max(point[0], Long.parseLong(f[1]));
          } else if (f[0].equals("S") && f.length >= 2) {
            point[1] = Math.max(point[1], Long.parseLong(f[1]) + 1);
          }
        } catch (NumberFormatException torn) {
          // a line cut short by the kill: it said nothing
        }
      });
    }
    return point;
  }
}

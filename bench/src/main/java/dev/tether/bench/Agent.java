package dev.tether.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One client system in a child JVM that stays up for a whole interleaved workload ({@link Rounds})
 * and measures when told to, so that every system's runs alternate with the others' in one run of
 * the bench. Arguments: {@code <kind> <tether-uri|-> <mqtt-uri|->}; a {@link Messenger} kind
 * ({@code compare}) or {@code echo:<EchoClient kind>} ({@code latency}). Prints {@code ready} once
 * connected, then answers one line per command on stdin:
 * <ul>
 *   <li>{@code run MS}: {@link Window#run} for MS ms: {@code RUN finished nanos cpuNanos
 *       allocatedBytes sent acked delivered failed drained(1|0)};
 *   <li>{@code latency RATE MS}: RATE messages per second for MS ms, each timed from its intended
 *       send time (coordinated omission counted): {@code LAT p50 p99 p99.9 max count}, in ns;
 *   <li>{@code exit}.
 * </ul>
 */
final class Agent {
  private Agent() {}

  public static void main(String[] args) throws Exception {
    String kind = args[0];
    URI tether = args[1].equals("-") ? null : URI.create(args[1]);
    URI mqtt = args[2].equals("-") ? null : URI.create(args[2]);
    ProcessMeter meter = new ProcessMeter();
    Window window = null;
    AutoCloseable system;
    Recorder[] recorder = {new Recorder(3)};
    EchoClient echo = null;
    if (kind.startsWith("echo:")) {
      echo = EchoClient.open(kind.substring("echo:".length()), tether, text -> {
        long intended = Long.parseLong(text, 0, 19, 10);
        recorder[0].recordValue(Math.max(0, System.nanoTime() - intended));
      });
      system = null;
    } else {
      window = new Window(Workload.WINDOW);
      Messenger m = Messenger.open(kind, tether, mqtt, window);
      window.attach(m);
      system = m;
    }
    System.out.println("ready");
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      String[] c = line.trim().split(" ");
      String answer;
      try {
        answer = switch (c[0]) {
          case "run" -> {
            if (window == null) {
              throw new IllegalArgumentException("run needs a compare kind, not " + kind);
            }
            Window.Run r = window.run(Long.parseLong(c[1]), 30_000, meter);
            yield "RUN " + r.finished() + " " + r.nanos() + " " + r.cpuNanos() + " " + r.allocatedBytes()
                + " " + r.sent() + " " + r.acked() + " " + r.delivered() + " " + r.failed() + " "
                + (r.drained() ? 1 : 0);
          }
          case "latency" -> {
            if (echo == null) {
              throw new IllegalArgumentException("latency needs an echo: kind, not " + kind);
            }
            Histogram h = latency(echo, recorder[0], Integer.parseInt(c[1]), Long.parseLong(c[2]));
            yield "LAT " + h.getValueAtPercentile(50) + " " + h.getValueAtPercentile(99) + " "
                + h.getValueAtPercentile(99.9) + " " + h.getMaxValue() + " " + h.getTotalCount();
          }
          case "exit" -> null;
          default -> throw new IllegalArgumentException("unknown command: " + line);
        };
      } catch (Exception e) {
        answer = "ERROR " + e;
      }
      if (answer == null) {
        break;
      }
      System.out.println(answer);
      System.out.flush();
    }
    if (system != null) {
      system.close();
    }
    System.exit(0);
  }

  /**
   * Sends {@code rate} messages per second for {@code millis} ms and returns the histogram of their
   * round trips, each from its intended send time: a late send is still timed from when it should
   * have gone, so a stalled sender is charged for what it delayed.
   */
  static Histogram latency(EchoClient client, Recorder recorder, int rate, long millis) throws Exception {
    String pad = "x".repeat(Workload.MESSAGE_BYTES - 19);
    long period = 1_000_000_000L / rate;
    long count = millis * rate / 1000;
    recorder.getIntervalHistogram(); // drop what came before
    long start = System.nanoTime() + 1_000_000;
    for (long i = 0; i < count; i++) {
      long intended = start + i * period;
      for (long wait; (wait = intended - System.nanoTime()) > 0; ) {
        LockSupport.parkNanos(wait);
      }
      client.send(String.format("%019d", intended) + pad);
    }
    // The replies of the last messages: at most 2 s more.
    long deadline = System.nanoTime() + 2_000_000_000L;
    Histogram h = recorder.getIntervalHistogram();
    while (h.getTotalCount() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
      h.add(recorder.getIntervalHistogram());
    }
    return h;
  }
}

package dev.tether.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One soak client's append-only record of what it sent and what it was given, one event a line,
 * fields separated by single spaces (names, rooms and ids of the soak contain none):
 * <pre>
 * K incarnation micros              a process (re)started on this log (child clients)
 * S n id micros                     send(..) returned for chat n with this id: accepted
 * A id seq micros                   its future completed with the server's ack
 * F id micros reason...             its future failed (or the client reported it FAILED)
 * D room seq id from micros         onEnvelope got this chat
 * G room fromSeq toSeq micros       onGap
 * R room lastSeqBefore micros       onReset
 * O micros / C code micros / X micros error...   open, close, failure (for reading the logs)
 * Z micros                          the run is over: the client is being closed (what fails after
 *                                   this was still waiting when the soak ended)
 * </pre>
 * Times are wall-clock microseconds since the epoch (all processes of a soak run on one machine).
 * With {@code flushEachLine}, every line is handed to the OS before {@link #line} returns, so a
 * process killed with SIGKILL keeps every line it wrote (an OS crash may not: the soak does not
 * fsync). Thread-safe; writes are serialised on this object.
 */
final class EventLog implements AutoCloseable {
  private final BufferedWriter out;
  private final boolean flushEachLine;

  private EventLog(BufferedWriter out, boolean flushEachLine) {
    this.out = out;
    this.flushEachLine = flushEachLine;
  }

  /** Opens {@code file} for appending, creating it if missing. */
  static EventLog append(Path file, boolean flushEachLine) {
    try {
      return new EventLog(new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND), StandardCharsets.UTF_8), 1 << 16),
          flushEachLine);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + file, e);
    }
  }

  static long nowMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
  }

  synchronized void line(String line) {
    try {
      out.write(line);
      out.write('\n');
      if (flushEachLine) {
        out.flush();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  synchronized void flush() {
    try {
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

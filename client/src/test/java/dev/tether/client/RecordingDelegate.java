package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Records every callback in a queue; tests take them in order with a timeout. Also checks that
 * callbacks never overlap and run on toolkit threads.
 */
final class RecordingDelegate implements SocketDelegate {
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  sealed interface Event permits Open, Text, Binary, Env, Pong, Failure, Close, Reconnecting, Gap, Reset {}

  record Open() implements Event {}

  record Text(String text) implements Event {}

  record Binary(ByteBuffer bytes) implements Event {}

  record Env(Envelope envelope) implements Event {}

  record Pong(ByteBuffer payload) implements Event {}

  record Failure(Throwable error) implements Event {}

  record Close(int code, String reason, boolean wasClean) implements Event {}

  record Reconnecting(int attempt, Duration delay) implements Event {}

  record Gap(String room, long fromSeq, long toSeq) implements Event {}

  record Reset(String room, long lastSeqBefore) implements Event {}

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final AtomicInteger inCallback = new AtomicInteger();
  private final List<String> problems = new ArrayList<>();
  final List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();

  private void record(Event e) {
    if (inCallback.incrementAndGet() != 1) {
      synchronized (problems) {
        problems.add("overlapping callbacks at " + e);
      }
    }
    threads.add(Thread.currentThread().getName());
    events.add(e);
    inCallback.decrementAndGet();
  }

  @Override
  public void onOpen(TetherSocket socket) {
    record(new Open());
  }

  @Override
  public void onMessage(TetherSocket socket, String text) {
    record(new Text(text));
  }

  @Override
  public void onMessage(TetherSocket socket, ByteBuffer bytes) {
    record(new Binary(bytes));
  }

  @Override
  public void onEnvelope(TetherSocket socket, Envelope envelope) {
    record(new Env(envelope));
  }

  @Override
  public void onPong(TetherSocket socket, ByteBuffer payload) {
    record(new Pong(payload));
  }

  @Override
  public void onFailure(TetherSocket socket, Throwable error) {
    record(new Failure(error));
  }

  @Override
  public void onClose(TetherSocket socket, int code, String reason, boolean wasClean) {
    record(new Close(code, reason, wasClean));
  }

  @Override
  public void onReconnecting(TetherSocket socket, int attempt, Duration delay) {
    record(new Reconnecting(attempt, delay));
  }

  @Override
  public void onGap(TetherSocket socket, String room, long fromSeq, long toSeq) {
    record(new Gap(room, fromSeq, toSeq));
  }

  @Override
  public void onReset(TetherSocket socket, String room, long lastSeqBefore) {
    record(new Reset(room, lastSeqBefore));
  }

  /** The next event, which must be a {@code type}. */
  <T extends Event> T take(Class<T> type) {
    return take(type, TIMEOUT);
  }

  <T extends Event> T take(Class<T> type, Duration timeout) {
    Event e = poll(timeout);
    if (e == null) {
      fail("no " + type.getSimpleName() + " within " + timeout);
    }
    if (!type.isInstance(e)) {
      fail("expected " + type.getSimpleName() + " but was " + e);
    }
    return type.cast(e);
  }

  /** Skips events until one of {@code type} arrives. */
  <T extends Event> T next(Class<T> type) {
    return next(type, TIMEOUT);
  }

  <T extends Event> T next(Class<T> type, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Event e = poll(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      if (e == null) {
        fail("no " + type.getSimpleName() + " within " + timeout);
      }
      if (type.isInstance(e)) {
        return type.cast(e);
      }
    }
  }

  Event poll(Duration timeout) {
    try {
      return events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  Text takeText() {
    return take(Text.class);
  }

  void assertOpen() {
    take(Open.class);
  }

  /** No event arrives within {@code quiet}. A bounded negative check. */
  void assertNoEvent(Duration quiet) {
    Event e = poll(quiet);
    assertThat(e).as("unexpected event").isNull();
  }

  void assertNoProblems() {
    synchronized (problems) {
      assertThat(problems).isEmpty();
    }
  }
}

package dev.tether.bench;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Drives one {@link Messenger} with a window of unfinished messages, the throughput harness of the
 * {@code compare} workload. A message is finished when it was delivered and, on a system with
 * acks, also acked (in any order): finished = min(acked, delivered), counted without tracking
 * single messages, so the harness allocates nothing per message. A sender thread keeps
 * {@link Workload#WINDOW} messages unfinished for the length of a {@link #run}, which then stops
 * sending and waits until every message sent is finished ("drained"), so that each run starts from
 * an empty window and a lost message shows as a run that does not drain.
 */
final class Window implements Messenger.Events {
  /** What one run measured. CPU and allocation are this JVM's, over the measured interval. */
  record Run(long finished, long nanos, long cpuNanos, long allocatedBytes, long sent, long acked,
      long delivered, long failed, boolean drained) {
    double perSecond() {
      return finished * 1e9 / nanos;
    }
  }

  private final Semaphore permits;
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong finished = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
  /** Set by {@link #attach} before the first run. */
  private Messenger messenger;
  private boolean acks;
  /** Only touched by the sender thread while a run is on, and by {@link #run} around it. */
  private long sent;

  Window(int size) {
    this.permits = new Semaphore(size);
  }

  /** Attaches the messenger this window drives (opened with this window as its events). */
  void attach(Messenger m) {
    this.messenger = m;
    this.acks = m.acks();
  }

  @Override
  public void acked() {
    acked.incrementAndGet();
    release();
  }

  @Override
  public void delivered() {
    delivered.incrementAndGet();
    release();
  }

  @Override
  public void failed(Throwable error) {
    if (failed.getAndIncrement() == 0) {
      firstFailure.set(error);
      System.err.println("  compare: failed: " + error);
    }
    // A failed ack future: the message will not be acked; count it as acked so the window moves.
    acked();
  }

  /**
   * Each event re-reads both counters after its own increment, so the last of two concurrent
   * events always sees both and releases up to the true minimum.
   */
  private void release() {
    long done = acks ? Math.min(acked.get(), delivered.get()) : delivered.get();
    for (long f; (f = finished.get()) < done; ) {
      if (finished.compareAndSet(f, done)) {
        permits.release((int) (done - f));
        return;
      }
    }
  }

  /** The first failure reported, or null. */
  Throwable firstFailure() {
    return firstFailure.get();
  }

  /**
   * Sends for {@code millis}, then drains (at most {@code drainMillis}). The returned rates are over
   * the measured interval; {@code sent}, {@code acked} and {@code delivered} are this run's, counted
   * after the drain.
   */
  Run run(long millis, long drainMillis, ProcessMeter meter) throws Exception {
    long sent0 = sent;
    long acked0 = acked.get();
    long delivered0 = delivered.get();
    long failed0 = failed.get();
    AtomicReference<Exception> sendError = new AtomicReference<>();
    Thread sender = new Thread(() -> {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          if (permits.tryAcquire(50, TimeUnit.MILLISECONDS)) {
            messenger.send(Workload.TEXT);
            sent++;
          }
        }
      } catch (InterruptedException stop) {
        // end of the run
      } catch (Exception e) {
        sendError.set(e);
      }
    }, "bench-sender");
    sender.setDaemon(true);
    ProcessMeter.Reading r0 = meter.read();
    long f0 = finished.get();
    long t0 = System.nanoTime();
    sender.start();
    Thread.sleep(millis);
    long f1 = finished.get();
    long t1 = System.nanoTime();
    ProcessMeter.Reading r1 = meter.read();
    sender.interrupt();
    sender.join(10_000);
    if (sendError.get() != null) {
      throw sendError.get();
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMillis);
    boolean drained;
    while (!(drained = finished.get() >= sent) && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    ProcessMeter.Reading d = r1.minus(r0);
    return new Run(f1 - f0, t1 - t0, d.cpuNanos(), d.allocatedBytes(), sent - sent0, acked.get() - acked0,
        delivered.get() - delivered0, failed.get() - failed0, drained);
  }
}

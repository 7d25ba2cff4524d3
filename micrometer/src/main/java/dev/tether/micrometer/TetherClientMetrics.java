package dev.tether.micrometer;

import dev.tether.api.Envelope;
import dev.tether.api.ReadyState;
import dev.tether.client.ClientEventListener;
import dev.tether.client.TetherClient;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * A {@link TetherClient}'s counters, gauges and timers in a Micrometer {@link MeterRegistry}. It is
 * both the client's {@link ClientEventListener} (for what only events tell: round trips, ack
 * latencies, gaps, resets) and a {@link MeterBinder}; give it to the client's builder, then bind it:
 *
 * <pre>{@code
 * TetherClientMetrics metrics = TetherClientMetrics.of(Tags.of("client", "chat-app"));
 * TetherClient client = TetherClient.builder(uri).eventListener(metrics).build();
 * metrics.bindTo(registry);
 * ...
 * client.close();
 * metrics.close();   // removes the meters
 * }</pre>
 *
 * <table>
 *   <caption>meters (Prometheus names in parentheses)</caption>
 *   <tr><th>meter</th><th>type</th><th>what</th></tr>
 *   <tr><td>{@code tether.client.connections} ({@code tether_client_connections})</td><td>gauge</td>
 *       <td>1 while the client's connection is open, else 0</td></tr>
 *   <tr><td>{@code tether.client.outbox.depth} ({@code tether_client_outbox_depth_messages})</td>
 *       <td>gauge</td><td>messages in the outbox now: queued, or written and not yet acknowledged</td></tr>
 *   <tr><td>{@code tether.client.reconnects} ({@code tether_client_reconnects_total})</td>
 *       <td>counter</td><td>connections opened after the first</td></tr>
 *   <tr><td>{@code tether.client.acks} ({@code tether_client_acks_total})</td><td>counter</td>
 *       <td>envelopes acknowledged by the server</td></tr>
 *   <tr><td>{@code tether.client.resends} ({@code tether_client_resends_total})</td><td>counter</td>
 *       <td>envelopes written again (a new connection, or a refusal that asked for it)</td></tr>
 *   <tr><td>{@code tether.client.duplicates.dropped} ({@code tether_client_duplicates_dropped_total})</td>
 *       <td>counter</td><td>incoming chats not delivered because they were delivered already</td></tr>
 *   <tr><td>{@code tether.client.gaps} ({@code tether_client_gaps_total})</td><td>counter</td>
 *       <td>gaps reported ({@code onGap}): chats the server no longer had</td></tr>
 *   <tr><td>{@code tether.client.chats.missed} ({@code tether_client_chats_missed_total})</td>
 *       <td>counter</td><td>chats in those gaps</td></tr>
 *   <tr><td>{@code tether.client.resets} ({@code tether_client_resets_total})</td><td>counter</td>
 *       <td>room streams reset by the server ({@code onReset})</td></tr>
 *   <tr><td>{@code tether.client.rtt} ({@code tether_client_rtt_seconds})</td><td>timer</td>
 *       <td>heartbeat round trips, ping to pong</td></tr>
 *   <tr><td>{@code tether.client.ack.latency} ({@code tether_client_ack_latency_seconds})</td>
 *       <td>timer</td><td>envelope first written to its ack (resends and reconnects included)</td></tr>
 * </table>
 *
 * <p>Every meter carries the tags given here (to tell several clients apart: an app or a
 * connection name, never a user or a room) and the registry's common tags. Counters and gauges are
 * read when the registry is scraped: the counters over {@link TetherClient#stats()} count since the
 * client was built, and so do gaps, chats missed and resets, which this listener counts from the
 * start. Timers record from {@link #bindTo} on. Timers publish count, total and max; with
 * {@link Builder#percentileHistogram(boolean)} also a histogram (for Prometheus, {@code _bucket}
 * series for {@code histogram_quantile}); a registry's {@code MeterFilter} can configure them as
 * any other Micrometer timer.
 *
 * <h2>States and threads</h2>
 * One instance measures one client: the client is given to it when it is built
 * ({@link #clientCreated}); a second build with it throws {@link IllegalStateException}, and so
 * does {@link #bindTo} before the first. Bound, it may be bound to more registries; {@link #close()}
 * removes its meters from all of them and may be followed by binding again. The meters hold the
 * client strongly, so that they never read {@code NaN} while registered. Thread-safe. Events cost a
 * {@link LongAdder} increment or one timer record per bound registry, on the client's callback
 * thread; a scrape reads {@code stats()} (a short lock in the client) once per counter.
 */
public final class TetherClientMetrics implements ClientEventListener, MeterBinder, AutoCloseable {
  private final Tags tags;
  private final boolean percentileHistogram;
  private final LongAdder gaps = new LongAdder();
  private final LongAdder chatsMissed = new LongAdder();
  private final LongAdder resets = new LongAdder();
  /** One timer per bound registry; recorded on the client's callback thread. */
  private final List<Timer> rttTimers = new CopyOnWriteArrayList<>();
  private final List<Timer> ackTimers = new CopyOnWriteArrayList<>();

  /** Set once, by clientCreated. */
  private volatile TetherClient client;
  /** Guarded by this. */
  private final List<Registered> registered = new ArrayList<>();
  /** Guarded by this. */
  private final Set<MeterRegistry> bound = Collections.newSetFromMap(new IdentityHashMap<>());

  private record Registered(MeterRegistry registry, Meter meter) {}

  private TetherClientMetrics(Builder builder) {
    this.tags = builder.tags;
    this.percentileHistogram = builder.percentileHistogram;
  }

  /** Metrics for one client, its meters tagged with {@code tags}, timers without histograms. */
  public static TetherClientMetrics of(Iterable<Tag> tags) {
    return builder().tags(tags).build();
  }

  /** Metrics for one client without tags of their own, timers without histograms. */
  public static TetherClientMetrics of() {
    return builder().build();
  }

  /** Settings for metrics of one client: no tags and no histograms until set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Settings of a {@link TetherClientMetrics}; each checked when given. Not thread-safe; reusable,
   * but each instance built measures one client.
   */
  public static final class Builder {
    private Tags tags = Tags.empty();
    private boolean percentileHistogram;

    private Builder() {}

    /** Tags on every meter, replacing those given before. Default: none. */
    public Builder tags(Iterable<Tag> tags) {
      this.tags = Tags.of(Objects.requireNonNull(tags, "tags == null"));
      return this;
    }

    /**
     * Whether the timers publish a percentile histogram ({@code _bucket} series in Prometheus, for
     * {@code histogram_quantile} across clients): about 70 series per timer, so off by default.
     */
    public Builder percentileHistogram(boolean enabled) {
      this.percentileHistogram = enabled;
      return this;
    }

    /** New metrics with these settings, for one client. */
    public TetherClientMetrics build() {
      return new TetherClientMetrics(this);
    }
  }

  // ------------------------------------------------------------------------------ the listener

  /**
   * Takes the client to measure; called by {@link TetherClient.Builder#build()}.
   *
   * @throws IllegalStateException if these metrics measure another client already
   */
  @Override
  public synchronized void clientCreated(TetherClient client) {
    Objects.requireNonNull(client, "client == null");
    if (this.client != null && this.client != client) {
      throw new IllegalStateException("these TetherClientMetrics measure " + this.client
          + " already; make one TetherClientMetrics per client");
    }
    this.client = client;
  }

  @Override
  public void rttMeasured(Duration rtt) {
    for (Timer t : rttTimers) {
      t.record(rtt);
    }
  }

  @Override
  public void acked(Envelope envelope, Duration sinceFirstWrite) {
    for (Timer t : ackTimers) {
      t.record(sinceFirstWrite);
    }
  }

  @Override
  public void gap(String room, long fromSeq, long toSeq) {
    gaps.increment();
    chatsMissed.add(toSeq - fromSeq + 1);
  }

  @Override
  public void reset(String room, long lastSeqBefore) {
    resets.increment();
  }

  // ------------------------------------------------------------------------------- the binder

  /**
   * Registers the meters in {@code registry}; a no-op if they are registered there already.
   *
   * @throws IllegalStateException if no client was built with these metrics as its listener yet
   */
  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry == null");
    TetherClient c = client;
    if (c == null) {
      throw new IllegalStateException("no client to measure yet: build it with "
          + "TetherClient.builder(uri).eventListener(metrics), then bind");
    }
    if (!bound.add(registry)) {
      return;
    }
    gauge(registry, "tether.client.connections", "1 while the connection is open, else 0", "connections", c,
        x -> x.readyState() == ReadyState.OPEN ? 1 : 0);
    gauge(registry, "tether.client.outbox.depth",
        "messages in the outbox now: queued, or written and not yet acknowledged", "messages", c,
        TetherClient::outboxSize);
    counter(registry, "tether.client.reconnects", "connections opened after the first", c,
        x -> x.stats().reconnects());
    counter(registry, "tether.client.acks", "envelopes acknowledged by the server", c, x -> x.stats().acks());
    counter(registry, "tether.client.resends", "envelopes written again after a lost connection or a refusal",
        c, x -> x.stats().resends());
    counter(registry, "tether.client.duplicates.dropped",
        "incoming chats not delivered because they were delivered already", c, x -> x.stats().duplicatesDropped());
    counter(registry, "tether.client.gaps", "gaps reported: chats the server no longer had", gaps,
        LongAdder::doubleValue);
    counter(registry, "tether.client.chats.missed", "chats in the gaps reported", chatsMissed,
        LongAdder::doubleValue);
    counter(registry, "tether.client.resets", "room streams reset by the server", resets,
        LongAdder::doubleValue);
    rttTimers.add(timer(registry, "tether.client.rtt", "heartbeat round trips, ping to pong"));
    ackTimers.add(timer(registry, "tether.client.ack.latency",
        "envelope first written to its ack, resends and reconnects included"));
  }

  private <T> void gauge(MeterRegistry registry, String name, String description, String unit, T source,
      ToDoubleFunction<T> value) {
    registered.add(new Registered(registry, Gauge.builder(name, source, value).strongReference(true)
        .description(description).baseUnit(unit).tags(tags).register(registry)));
  }

  private <T> void counter(MeterRegistry registry, String name, String description, T source,
      ToDoubleFunction<T> value) {
    // The function holds its source, so the counter never reads NaN while it is registered
    // (Micrometer holds the object itself weakly).
    registered.add(new Registered(registry, FunctionCounter.builder(name, source, x -> value.applyAsDouble(source))
        .description(description).tags(tags).register(registry)));
  }

  private Timer timer(MeterRegistry registry, String name, String description) {
    Timer.Builder b = Timer.builder(name).description(description).tags(tags);
    if (percentileHistogram) {
      b.publishPercentileHistogram(); // unset otherwise, so that a registry's MeterFilter decides
    }
    Timer t = b.register(registry);
    registered.add(new Registered(registry, t));
    return t;
  }

  /**
   * Removes these metrics' meters from every registry they were bound to; the timers stop
   * recording. Idempotent; {@link #bindTo} may follow.
   */
  @Override
  public synchronized void close() {
    for (Registered r : registered) {
      r.registry().remove(r.meter());
    }
    registered.clear();
    bound.clear();
    rttTimers.clear();
    ackTimers.clear();
  }

  @Override
  public String toString() {
    TetherClient c = client;
    return "TetherClientMetrics{" + (c == null ? "no client yet" : c) + ", " + tags + "}";
  }
}

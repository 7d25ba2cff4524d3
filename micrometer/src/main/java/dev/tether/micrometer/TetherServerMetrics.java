package dev.tether.micrometer;

import dev.tether.server.ServerStats;
import dev.tether.server.TetherServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * A {@link TetherServer}'s counters and gauges in a Micrometer {@link MeterRegistry}:
 *
 * <table>
 *   <caption>meters (Prometheus names in parentheses)</caption>
 *   <tr><th>meter</th><th>type</th><th>what</th></tr>
 *   <tr><td>{@code tether.server.connections} ({@code tether_server_connections})</td><td>gauge</td>
 *       <td>WebSocket connections open now</td></tr>
 *   <tr><td>{@code tether.server.rooms} ({@code tether_server_rooms})</td><td>gauge</td>
 *       <td>rooms with a member connected now</td></tr>
 *   <tr><td>{@code tether.server.chats.accepted} ({@code tether_server_chats_accepted_total})</td>
 *       <td>counter</td><td>chats given a seq</td></tr>
 *   <tr><td>{@code tether.server.dedup.hits} ({@code tether_server_dedup_hits_total})</td><td>counter</td>
 *       <td>chats acked again with their original seq instead of being taken twice</td></tr>
 *   <tr><td>{@code tether.server.resumes} ({@code tether_server_resumes_total})</td><td>counter</td>
 *       <td>resumes answered</td></tr>
 *   <tr><td>{@code tether.server.history.gaps} ({@code tether_server_history_gaps_total})</td>
 *       <td>counter</td><td>{@code history_gap} errors sent</td></tr>
 *   <tr><td>{@code tether.server.slow.members.closed} ({@code tether_server_slow_members_closed_total})</td>
 *       <td>counter</td><td>connections closed with 1013 for not reading</td></tr>
 * </table>
 *
 * Every meter carries the tags given here (for example {@code server=chat-1}, to tell several
 * servers apart; never per-user or per-room values) and the registry's common tags. Counters and
 * gauges read {@link TetherServer#stats()} when the registry is scraped; nothing is counted twice
 * and nothing runs per message. The meters hold the server strongly, so that they never read
 * {@code NaN} while registered: {@link #close()} removes them (after the server is closed, say).
 *
 * <pre>{@code
 * TetherServerMetrics metrics = TetherServerMetrics.of(server, Tags.of("server", "chat-1"));
 * metrics.bindTo(registry);
 * ...
 * metrics.close();
 * }</pre>
 *
 * <p>Thread-safe; {@link #bindTo} may be called for several registries.
 */
public final class TetherServerMetrics implements MeterBinder, AutoCloseable {
  private final TetherServer server;
  private final Tags tags;
  /** Guarded by this. */
  private final List<Registered> registered = new ArrayList<>();

  private record Registered(MeterRegistry registry, Meter meter) {}

  private TetherServerMetrics(TetherServer server, Tags tags) {
    this.server = server;
    this.tags = tags;
  }

  /** A binder for {@code server}, its meters tagged with {@code tags}. */
  public static TetherServerMetrics of(TetherServer server, Iterable<Tag> tags) {
    Objects.requireNonNull(server, "server == null");
    Objects.requireNonNull(tags, "tags == null");
    return new TetherServerMetrics(server, Tags.of(tags));
  }

  /** A binder for {@code server} without tags of its own. */
  public static TetherServerMetrics of(TetherServer server) {
    return of(server, Tags.empty());
  }

  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry == null");
    gauge(registry, "tether.server.connections", "WebSocket connections open now", "connections",
        s -> s.stats().connections());
    gauge(registry, "tether.server.rooms", "rooms with at least one member connected now", "rooms",
        s -> s.stats().rooms());
    counter(registry, "tether.server.chats.accepted", "chats given a seq (duplicates not counted)",
        ServerStats::chatsAccepted);
    counter(registry, "tether.server.dedup.hits", "chats acked again with their original seq",
        ServerStats::dedupHits);
    counter(registry, "tether.server.resumes", "resume requests answered", ServerStats::resumes);
    counter(registry, "tether.server.history.gaps", "history_gap errors sent", ServerStats::gaps);
    counter(registry, "tether.server.slow.members.closed", "connections closed with 1013 for not reading",
        ServerStats::slowMembersClosed);
  }

  private void gauge(MeterRegistry registry, String name, String description, String unit,
      ToDoubleFunction<TetherServer> value) {
    registered.add(new Registered(registry, Gauge.builder(name, server, value).strongReference(true)
        .description(description).baseUnit(unit).tags(tags).register(registry)));
  }

  private void counter(MeterRegistry registry, String name, String description, ToDoubleFunction<ServerStats> value) {
    // The function holds the server, so the counter never reads NaN while it is registered
    // (Micrometer holds its object weakly).
    TetherServer held = server;
    registered.add(new Registered(registry, FunctionCounter.builder(name, held, s -> value.applyAsDouble(held.stats()))
        .description(description).tags(tags).register(registry)));
  }

  /** Removes this binder's meters from every registry it was bound to. Idempotent. */
  @Override
  public synchronized void close() {
    for (Registered r : registered) {
      r.registry().remove(r.meter());
    }
    registered.clear();
  }
}

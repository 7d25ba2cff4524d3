package dev.tether.server;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** {@link HostedServerSuite} standalone with {@link RoomStore#sqlite}: the durable store through the whole protocol. */
class SqliteStandaloneHostingTest extends StandaloneHostingTest {
  @TempDir Path dir;
  private final AtomicInteger files = new AtomicInteger();

  @Override
  protected RoomStore newStore() {
    return RoomStore.sqlite(dir.resolve("rooms-" + files.incrementAndGet() + ".db"));
  }
}

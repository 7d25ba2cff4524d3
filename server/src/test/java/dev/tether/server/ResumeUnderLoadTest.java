package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Envelope;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member that leaves and resumes again and again while chats keep coming: across all its
 * connections it gets every chat exactly once, in seq order. This is the race the server's
 * per-member replay handles (a chat committed while the history is read must come once, after the
 * replay), checked with both stores.
 */
class ResumeUnderLoadTest {
  private static final int CHATS = 20_000;
  private static final int RECONNECTS = 15;

  @TempDir Path dir;
  private TetherServer server;
  private final ExecutorService sender = Executors.newSingleThreadExecutor();

  @AfterEach
  void tearDown() {
    sender.shutdownNow();
    if (server != null) {
      server.close();
    }
  }

  @Test
  void inMemory() throws Exception {
    run(RoomStore.inMemory());
  }

  @Test
  void onSqlite() throws Exception {
    run(RoomStore.sqlite(dir.resolve("rooms.db")));
  }

  private void run(RoomStore store) throws Exception {
    server = TetherServer.builder().store(store).rateLimit(0).build();
    URI uri = server.listen("127.0.0.1", 0).uri();
    ChatStream alice = ChatStream.connect(URI.create(uri + "?user=alice"), "lobby", 0, 200);
    alice.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS);
    Future<Long> sending = sender.submit(() -> {
      CompletableFuture<Long> last = null;
      for (int i = 0; i < CHATS; i++) {
        last = alice.send(Envelope.chat("lobby", "m" + i));
      }
      return last.get(60, TimeUnit.SECONDS);
    });

    long position = 0;
    long delivered = 0;
    for (int i = 0; i < RECONNECTS && !sending.isDone(); i++) {
      ChatStream bob = ChatStream.connect(URI.create(uri + "?user=bob"), "lobby", position, 1);
      bob.send(Envelope.resume("lobby", position)).get(30, TimeUnit.SECONDS);
      long target = position + 500;
      await().atMost(Duration.ofSeconds(30)).until(() -> bob.last.get() >= target || sending.isDone());
      bob.close();
      bob.closed.get(10, TimeUnit.SECONDS);
      assertThat(bob.violation.get()).as("connection %d", i).isNull();
      delivered += bob.chats.get();
      position = bob.last.get();
    }
    assertThat(sending.get(120, TimeUnit.SECONDS)).isEqualTo(CHATS);
    ChatStream last = ChatStream.connect(URI.create(uri + "?user=bob"), "lobby", position, 1);
    last.send(Envelope.resume("lobby", position)).get(30, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(30)).until(() -> last.last.get() == CHATS);
    assertThat(last.violation.get()).isNull();
    delivered += last.chats.get();
    last.close();
    alice.close();
    System.out.printf("resume under load (%s): %,d chats, bob resumed %d times and got %,d, each once, in order%n",
        store, CHATS, server.stats().resumes(), delivered);
    assertThat(delivered).isEqualTo(CHATS);
    assertThat(alice.violation.get()).isNull();
  }
}

package dev.tether.client;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The sender process of {@link KillAndRestartTest}: sends {@code total} chats through an SQLite
 * outbox, recording after each {@code send} returns how far it got, so that a restarted process
 * continues where the killed one stopped. Prints {@code sent N} every 100 messages and {@code done}.
 *
 * <p>Arguments: server URI, database file, progress file, total.
 */
public final class SenderMain {
  static final String ROOM = "kill";

  private SenderMain() {}

  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    Path db = Path.of(args[1]);
    Path progress = Path.of(args[2]);
    int total = Integer.parseInt(args[3]);
    int start = Files.exists(progress) ? Integer.parseInt(Files.readString(progress).trim()) : 0;
    try (OutboxStore store = OutboxStore.sqlite(db)) {
      TetherClient client = TetherClient.builder(uri).outboxStore(store)
          .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(200))).build();
      System.out.println("restored " + client.outboxSize() + " from " + start);
      client.open();
      client.send(Envelope.join(ROOM));
      CompletableFuture<Ack> last = CompletableFuture.completedFuture(null);
      for (int i = start; i < total; i++) {
        // A stable id per message: resending one the killed process already sent is harmless.
        last = client.send(Envelope.chat(ROOM, "m" + i).withId("kill-" + i));
        Path tmp = progress.resolveSibling(progress.getFileName() + ".tmp");
        Files.writeString(tmp, Integer.toString(i + 1));
        Files.move(tmp, progress, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if ((i + 1) % 100 == 0) {
          System.out.println("sent " + (i + 1));
          last.get(30, TimeUnit.SECONDS); // app-level flow control: at most 100 unacknowledged
        }
      }
      last.get(60, TimeUnit.SECONDS);
      client.close(); // waits for the store to record the last acks

    }
    System.out.println("done");
  }
}

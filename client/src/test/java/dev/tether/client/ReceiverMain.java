package dev.tether.client;

import static org.awaitility.Awaitility.await;

import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The receiver process of {@link PositionSavedAfterDeliveryTest}: a client on an SQLite outbox that
 * prints {@code D <seq> <text>} for every chat of {@link #ROOM} it is given.
 *
 * <p>Arguments: server URI, database file, mode. In mode {@code first} it joins the room (printing
 * {@code joined}), and when given the chat {@code hold} it stays inside {@code onEnvelope} for good.
 * Meanwhile its main thread sends a durable chat {@code probe} and waits until the store has
 * forgotten it again (the ack's removal is queued on the store after any room save queued before
 * it), then prints {@code probe settled}: a position saved ahead of the callback would be in the
 * store by then. The test kills it there. In mode {@code restart} it only opens, on its outbox.
 */
public final class ReceiverMain {
  static final String ROOM = "held";

  private ReceiverMain() {}

  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    Path db = Path.of(args[1]);
    boolean first = args[2].equals("first");
    CountDownLatch holding = new CountDownLatch(1);
    try (OutboxStore store = OutboxStore.sqlite(db)) {
      TetherClient client = TetherClient.builder(uri).outboxStore(store)
          .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(200)))
          .delegate(new SocketDelegate() {
            @Override
            public void onEnvelope(TetherSocket socket, Envelope e) {
              if (e.type() != Envelope.Type.CHAT) {
                return;
              }
              print("D " + e.seq() + " " + e.text());
              if (first && e.text().equals("hold")) {
                holding.countDown();
                while (true) {
                  LockSupport.park(); // the app is busy with this chat when the process dies
                }
              }
            }
          }).build();
      client.open();
      if (!first) {
        untilKilled(); // the test reads what it is given and kills it
      }
      client.send(Envelope.join(ROOM)).get(30, TimeUnit.SECONDS);
      print("joined");
      if (!holding.await(60, TimeUnit.SECONDS)) {
        throw new AssertionError("no chat 'hold' within 60 s");
      }
      client.send(Envelope.chat(ROOM, "probe"));
      await("probe acked and forgotten").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
          .until(() -> store.pending().isEmpty());
      print("probe settled");
      untilKilled();
    }
  }

  private static void print(String line) {
    synchronized (System.out) {
      System.out.println(line);
      System.out.flush();
    }
  }

  /** Blocks this child JVM's main thread until the test kills the process. */
  private static void untilKilled() throws InterruptedException {
    new java.util.concurrent.CountDownLatch(1).await();
  }
}

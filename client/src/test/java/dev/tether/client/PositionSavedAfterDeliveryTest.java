package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.stub.StubServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A durable client saves a room's position only after its delegate returned for the chat that moved
 * it, so a process that dies while the app handles a chat gets that chat again when it restarts.
 * Guards the soak's finding 1 (soak/ANALYSIS.md): the position was saved independently of the
 * callback, and a client killed between the two resumed past a chat its app never saw.
 */
class PositionSavedAfterDeliveryTest {
  private static final String ROOM = "lobby";

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();

  @Test
  void aRoomPositionIsSavedOnlyAfterTheDelegateReturnedForItsChat() throws Exception {
    StubServer server = stub.server();
    TetherClient bob = stub.client(TetherClient.builder(server.uri().resolve("/im?user=bob")));
    bob.open();
    bob.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);

    OutboxStore store = OutboxStore.inMemory();
    CountDownLatch inCallback = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    TetherClient alice = stub.client(TetherClient.builder(server.uri().resolve("/im?user=alice"))
        .outboxStore(store)
        .delegate(new SocketDelegate() {
          @Override
          public void onEnvelope(TetherSocket socket, Envelope e) {
            if ("hold".equals(e.text())) {
              inCallback.countDown();
              hold(release);
            }
          }
        }));
    alice.open();
    alice.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(0).equals(store.rooms().get(ROOM)));

    assertThat(bob.send(Envelope.chat(ROOM, "hold")).get(10, TimeUnit.SECONDS).seq()).isEqualTo(1);
    assertThat(inCallback.await(10, TimeUnit.SECONDS)).as("alice's delegate got the chat").isTrue();
    // The probe's ack queues its removal from the store behind any room save queued before it.
    alice.send(Envelope.chat(ROOM, "probe"));
    await().atMost(Duration.ofSeconds(10)).until(() -> store.pending().isEmpty());
    assertThat(store.rooms()).as("position while onEnvelope(seq 1) runs").containsEntry(ROOM, 0L);

    release.countDown();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(
        () -> assertThat(store.rooms()).as("position once the delegate returned").containsEntry(ROOM, 2L));
  }

  @Test
  void closeSavesThePositionOfEveryChatDeliveredBeforeIt() throws Exception {
    StubServer server = stub.server();
    TetherClient bob = stub.client(TetherClient.builder(server.uri().resolve("/im?user=bob")));
    bob.open();
    bob.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    OutboxStore store = OutboxStore.inMemory();
    RecordingDelegate events = new RecordingDelegate();
    TetherClient alice = stub.client(TetherClient.builder(server.uri().resolve("/im?user=alice"))
        .outboxStore(store).delegate(events));
    alice.open();
    alice.send(Envelope.join(ROOM)).get(10, TimeUnit.SECONDS);
    for (int i = 1; i <= 50; i++) {
      bob.send(Envelope.chat(ROOM, "m" + i));
    }
    long last = 0;
    while (last < 50) {
      last = events.next(RecordingDelegate.Env.class).envelope().seq();
    }
    alice.close();
    assertThat(store.rooms()).containsEntry(ROOM, 50L);
  }

  @Test
  @Timeout(180)
  void aClientProcessKilledInsideOnEnvelopeGetsThatChatAgainWhenRestarted(@TempDir Path dir) throws Exception {
    StubServer server = stub.server();
    TetherClient bob = stub.client(TetherClient.builder(server.uri().resolve("/im?user=bob")));
    bob.open();
    bob.send(Envelope.join(ReceiverMain.ROOM)).get(10, TimeUnit.SECONDS);
    Path db = dir.resolve("receiver.db");
    String uri = server.uri().resolve("/im?user=carol").toString();

    Process first = receiver(uri, db, "first", dir.resolve("first.log"));
    stub.closeAfter(first::destroyForcibly);
    BufferedReader firstOut = stdout(first);
    readUntil(firstOut, "joined", first);
    bob.send(Envelope.chat(ReceiverMain.ROOM, "hold")).get(10, TimeUnit.SECONDS);
    List<String> firstLines = readUntil(firstOut, "probe settled", first);
    assertThat(deliveries(firstLines)).containsExactly("D 1 hold");
    first.destroyForcibly(); // SIGKILL, while its app is inside onEnvelope(seq 1)
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();

    Process second = receiver(uri, db, "restart", dir.resolve("second.log"));
    stub.closeAfter(second::destroyForcibly);
    bob.send(Envelope.chat(ReceiverMain.ROOM, "after")).get(10, TimeUnit.SECONDS);
    List<String> secondLines = readUntil(stdout(second), "D 3 after", second);
    assertThat(deliveries(secondLines)).as("what the restarted process was given")
        .containsExactly("D 1 hold", "D 2 probe", "D 3 after");
  }

  private static List<String> deliveries(List<String> lines) {
    return lines.stream().filter(l -> l.startsWith("D ")).toList();
  }

  private static void hold(CountDownLatch latch) {
    try {
      if (!latch.await(30, TimeUnit.SECONDS)) {
        throw new AssertionError("not released within 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Process receiver(String uri, Path db, String mode, Path log) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        ReceiverMain.class.getName(), uri, db.toString(), mode)
        .redirectError(log.toFile())
        .start();
  }

  private static BufferedReader stdout(Process p) {
    return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
  }

  /** The process's lines up to {@code line} (inclusive); fails if its output ends first. */
  private static List<String> readUntil(BufferedReader out, String line, Process p) throws Exception {
    List<String> lines = new ArrayList<>();
    String l;
    while ((l = out.readLine()) != null) {
      lines.add(l);
      if (l.equals(line)) {
        return lines;
      }
    }
    throw new AssertionError("receiver ended before printing '" + line + "' (printed " + lines + "), exit "
        + p.waitFor());
  }
}

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A sender process killed mid-stream and restarted loses nothing and duplicates nothing. */
class KillAndRestartTest {
  private static final int TOTAL = 5000;

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();

  @Test
  void aSenderKilledMidStreamAndRestartedDeliversEachMessageOnceInOrder(@TempDir Path dir) throws Exception {
    StubServer server = stub.server();
    List<Envelope> received = new CopyOnWriteArrayList<>();
    TetherClient receiver = stub.track(TetherClient.builder(server.uri().resolve("/im?user=receiver"))
        .delegate(new SocketDelegate() {
          @Override
          public void onEnvelope(TetherSocket socket, Envelope e) {
            received.add(e);
          }
        }).build());
    receiver.open();
    receiver.send(Envelope.join(SenderMain.ROOM)).get(10, TimeUnit.SECONDS);

    Path db = dir.resolve("sender.db");
    Path progress = dir.resolve("progress");
    String uri = server.uri().resolve("/im?user=sender").toString();

    Process first = sender(uri, db, progress, dir.resolve("first.log"));
    stub.closeAfter(first::destroyForcibly);
    awaitLine(first, "sent 1000");
    first.destroyForcibly();
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    int sentBeforeKill = Integer.parseInt(Files.readString(progress).trim());
    assertThat(sentBeforeKill).as("killed mid-stream").isLessThan(TOTAL);

    Process second = sender(uri, db, progress, dir.resolve("second.log"));
    stub.closeAfter(second::destroyForcibly);
    awaitLine(second, "done");
    assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(second.exitValue()).isZero();

    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(received).hasSizeGreaterThanOrEqualTo(TOTAL));
    List<String> texts = received.stream().map(Envelope::text).toList();
    long distinct = texts.stream().distinct().count();
    System.out.printf("kill and restart: killed after %d sends; receiver got %d messages, %d distinct,"
        + " %d lost, %d duplicated%n", sentBeforeKill, texts.size(), distinct, TOTAL - distinct,
        texts.size() - distinct);
    assertThat(distinct).isEqualTo(TOTAL);
    assertThat(texts).hasSize(TOTAL);
    for (int i = 0; i < TOTAL; i++) {
      assertThat(texts.get(i)).isEqualTo("m" + i);
    }
    receiver.close();
  }

  private static Process sender(String uri, Path db, Path progress, Path log) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        SenderMain.class.getName(), uri, db.toString(), progress.toString(), Integer.toString(TOTAL))
        .redirectError(log.toFile())
        .start();
  }

  /** Reads the process's stdout until {@code line}; fails if it ends first. */
  private static void awaitLine(Process p, String line) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String l;
    while ((l = out.readLine()) != null) {
      if (l.equals(line)) {
        return;
      }
    }
    throw new AssertionError("sender ended before printing '" + line + "', exit " + p.waitFor());
  }
}

package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What an app sees of its rooms, in order, as short lines: {@code "chat 3 alice: hi"},
 * {@code "gap 4..6"}, {@code "reset 20"}; and every failure. For tests that compare a room's whole
 * story with the one expected.
 */
final class RoomLog implements SocketDelegate {
  final List<String> lines = new CopyOnWriteArrayList<>();
  final List<Envelope> chats = new CopyOnWriteArrayList<>();
  final List<Throwable> failures = new CopyOnWriteArrayList<>();

  @Override
  public void onEnvelope(TetherSocket socket, Envelope e) {
    if (e.type() == Envelope.Type.CHAT) {
      chats.add(e);
      lines.add("chat " + e.seq() + " " + e.from() + ": " + e.text());
    }
  }

  @Override
  public void onGap(TetherSocket socket, String room, long fromSeq, long toSeq) {
    lines.add("gap " + fromSeq + ".." + toSeq);
  }

  @Override
  public void onReset(TetherSocket socket, String room, long lastSeqBefore) {
    lines.add("reset " + lastSeqBefore);
  }

  @Override
  public void onFailure(TetherSocket socket, Throwable error) {
    failures.add(error);
  }

  /** Waits until {@code n} lines were logged (60 s at most). */
  RoomLog awaitLines(int n) {
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(lines).hasSizeGreaterThanOrEqualTo(n));
    return this;
  }

  /** Nothing more is logged for {@code quiet}: a bounded negative check. */
  void assertNothingMoreWithin(Duration quiet) {
    int now = lines.size();
    await().during(quiet).atMost(quiet.plusSeconds(5)).untilAsserted(() -> assertThat(lines).hasSize(now));
  }

  /** Lines "chat 1 FROM: PREFIX1" ... "chat N FROM: PREFIXN". */
  static List<String> chats(int firstSeq, int count, String from, String prefix) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add("chat " + (firstSeq + i) + " " + from + ": " + prefix + (i + 1));
    }
    return out;
  }

  /** The concatenation of {@code parts}. */
  @SafeVarargs
  static List<String> story(List<String>... parts) {
    List<String> out = new ArrayList<>();
    for (List<String> p : parts) {
      out.addAll(p);
    }
    return out;
  }
}

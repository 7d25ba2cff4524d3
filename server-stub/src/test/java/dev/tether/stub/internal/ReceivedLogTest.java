package dev.tether.stub.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.stub.Received;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ReceivedLogTest {
  private static Received text(String s) {
    return new Received("alice", s, null, null);
  }

  @Test
  void keepsOnlyTheNewestFramesWhenFull() throws Exception {
    ReceivedLog log = new ReceivedLog(3);
    for (int i = 1; i <= 5; i++) {
      log.add(text("m" + i));
    }
    assertThat(log.total()).isEqualTo(5);
    assertThat(log.take(Duration.ZERO).text()).isEqualTo("m3");
    assertThat(log.take(Duration.ZERO).text()).isEqualTo("m4");
    assertThat(log.take(Duration.ZERO).text()).isEqualTo("m5");
    assertThatThrownBy(() -> log.take(Duration.ZERO)).isInstanceOf(TimeoutException.class);
  }

  @Test
  void keepsFramesWithinItsByteBoundButAlwaysTheNewest() throws Exception {
    ReceivedLog log = new ReceivedLog(100, 10, ReceivedLogTest::noDecoder);
    log.add("alice", "aaaa", null, false, 0);
    log.add("alice", "bbbb", null, false, 0);
    log.add("alice", null, ByteBuffer.wrap(new byte[4]), false, 0); // 12 > 10: the oldest goes
    log.add("alice", "x".repeat(50), null, false, 0); // alone over the bound, and kept
    assertThat(log.total()).isEqualTo(4);
    assertThat(log.take(Duration.ZERO).text()).hasSize(50);
    assertThatThrownBy(() -> log.take(Duration.ZERO)).isInstanceOf(TimeoutException.class);
  }

  /** The server's hot path only queues the text it decoded already; decoding waits for a test to take it. */
  @Test
  void keepsTheTextAsItCameAndDecodesAnEnvelopeOnlyWhenItIsTaken() throws Exception {
    AtomicInteger decodes = new AtomicInteger();
    ReceivedLog log = new ReceivedLog(10, 1024, text -> {
      decodes.incrementAndGet();
      return (Envelope) EnvelopeCodec.shared().decode(text);
    });
    String frame = "{\"type\":\"chat\",\"id\":\"c1\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\"},\"n\":3}";
    log.add("alice", frame, null, true, 3);
    log.add("alice", "{\"type\":\"ack\",\"id\":\"x\",\"seq\":1}", null, false, 0);
    assertThat(decodes).hasValue(0);
    Received chat = log.take(Duration.ZERO);
    assertThat(chat.text()).isSameAs(frame);
    assertThat(chat.envelope()).isEqualTo(new Envelope(Envelope.Type.CHAT, "c1", "lobby", null, 0, 0, Map.of("text", "hi")));
    assertThat(chat.n()).isEqualTo(3);
    assertThat(log.take(Duration.ZERO).envelope()).isNull();
    assertThat(decodes).hasValue(1);
    assertThat(log.decodes()).isEqualTo(1);
  }

  private static Envelope noDecoder(String text) {
    throw new AssertionError("decoded " + text);
  }

  @Test
  void takeWakesUpWhenAFrameArrives() throws Exception {
    ReceivedLog log = new ReceivedLog(10);
    Thread producer = new Thread(() -> log.add(text("late")));
    producer.start();
    assertThat(log.take(Duration.ofSeconds(10)).text()).isEqualTo("late");
    producer.join();
  }
}

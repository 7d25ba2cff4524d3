package dev.tether.stub.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.stub.Received;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
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
  void takeWakesUpWhenAFrameArrives() throws Exception {
    ReceivedLog log = new ReceivedLog(10);
    Thread producer = new Thread(() -> log.add(text("late")));
    producer.start();
    assertThat(log.take(Duration.ofSeconds(10)).text()).isEqualTo("late");
    producer.join();
  }
}

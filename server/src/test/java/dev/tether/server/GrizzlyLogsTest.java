package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** listen() keeps Grizzly's start and stop announcements off the console unless the app asked for them. */
class GrizzlyLogsTest {
  private static final Logger GRIZZLY = Logger.getLogger("org.glassfish.grizzly.http.server");
  private static final Logger LISTENER = Logger.getLogger("org.glassfish.grizzly.http.server.NetworkListener");
  private static final Logger HTTP_SERVER = Logger.getLogger("org.glassfish.grizzly.http.server.HttpServer");

  private final List<LogRecord> published = new CopyOnWriteArrayList<>();
  private final Handler recorder = new Handler() {
    @Override public void publish(LogRecord record) {
      published.add(record);
    }

    @Override public void flush() {}

    @Override public void close() {}
  };

  @BeforeEach
  void asInAFreshJvm() {
    LISTENER.setLevel(null);
    HTTP_SERVER.setLevel(null);
    recorder.setLevel(Level.ALL);
    GRIZZLY.addHandler(recorder);
  }

  @AfterEach
  void tearDown() {
    GRIZZLY.removeHandler(recorder);
    LISTENER.setLevel(null);
    HTTP_SERVER.setLevel(null);
  }

  @Test
  void grizzlysStartAndStopLinesAreNotLogged() {
    TetherServer server = TetherServer.builder().build();
    server.listen("127.0.0.1", 0).close();
    server.close();
    assertThat(published).extracting(LogRecord::getMessage).noneMatch(m -> m.contains("Start") || m.contains("Stop"));
    assertThat(LISTENER.getLevel()).isEqualTo(Level.WARNING);
  }

  @Test
  void aLevelTheApplicationSetIsKept() {
    LISTENER.setLevel(Level.INFO);
    TetherServer server = TetherServer.builder().build();
    server.listen("127.0.0.1", 0).close();
    server.close();
    assertThat(LISTENER.getLevel()).isEqualTo(Level.INFO);
    assertThat(published).extracting(LogRecord::getLoggerName).contains(LISTENER.getName());
  }
}

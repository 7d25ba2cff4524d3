package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A restarted child continues after the last chat it logged, in the next incarnation. */
class SoakChildTest {
  @Test
  void aRestartContinuesAfterTheLastLoggedSendEvenIfTheLastLineIsTorn(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("events.log");
    assertThat(SoakChild.resumePoint(log)).containsExactly(0, 0);
    Files.write(log, List.of("K 1 1", "S 0 c00-0 5", "A c00-0 1 6", "S 1 c00-1 7", "D room0 1 c00-0 c00 8",
        "K 2 9", "S 2 c00-2 10", "S 3 c00"));
    assertThat(SoakChild.resumePoint(log)).containsExactly(2, 4);
  }
}

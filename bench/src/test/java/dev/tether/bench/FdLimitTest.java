package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Child JVMs of the many-connection workloads start with the open-file limit raised, or as high as allowed. */
class FdLimitTest {
  private static long childLimit(int asked) throws Exception {
    Process p = new ProcessBuilder(FdLimit.raised(asked, List.of(ServerProcess.javaBinary(), "-cp",
        ServerProcess.classPath(), FdLimit.class.getName()))).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor()).as(out).isZero();
    return Long.parseLong(out);
  }

  @Test
  void aChildJvmGetsTheLimitAskedFor() throws Exception {
    long inherited = FdLimit.current();
    assertThat(inherited).isGreaterThan(2000);
    // Below the hard limit anyone may set it: the child runs with exactly that.
    assertThat(childLimit((int) inherited - 1000)).isEqualTo(inherited - 1000);
  }

  @Test
  void aChildJvmAskingAboveTheHardLimitGetsItWherePermittedAndTheHardLimitElsewhere() throws Exception {
    long inherited = FdLimit.current(); // HotSpot raised our soft limit to the hard one
    int asked = (int) inherited + 1000;
    // Raising the hard limit takes CAP_SYS_RESOURCE (root outside a container, say); without it the
    // shell falls back to the hard limit and still starts the JVM.
    assertThat(childLimit(asked)).isIn((long) asked, inherited);
  }

  @Test
  void aWorkloadThatNeedsMoreFilesThanAllowedSaysHowToRaiseTheLimit() {
    long limit = FdLimit.current();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> FdLimit.require(limit + 1, "connections N=9"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("connections N=9 needs " + (limit + 1) + " open files, the limit is " + limit)
        .hasMessageContaining("ulimit -Hn");
  }
}

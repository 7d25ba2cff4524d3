package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code -Dbench.latencyKinds} and {@code -Dbench.latencyRates}: which kinds the latency workload runs. */
class LatencyKindsTest {
  @Test
  void withoutPropertiesEveryKindRunsAtOneThousandAndTwoAtTenThousand() {
    Map<Integer, List<String>> kinds = Bench.latencyKinds(null, null);
    assertThat(kinds.keySet()).containsExactly(1000, 10000);
    assertThat(kinds.get(1000)).containsExactly(EchoClient.KINDS);
    assertThat(kinds.get(10000)).containsExactly("tyrus", "tether-raw");
  }

  @Test
  void kindsKeepOnlyTheNamedOnesAtEveryRateInReportOrder() {
    Map<Integer, List<String>> kinds = Bench.latencyKinds("tether-raw, tyrus,tether-raw-direct", null);
    assertThat(kinds.get(1000)).containsExactly("tyrus", "tether-raw", "tether-raw-direct");
    assertThat(kinds.get(10000)).containsExactly("tyrus", "tether-raw");
  }

  @Test
  void ratesKeepOnlyTheNamedRatesAndARateLeftWithoutKindsIsDropped() {
    assertThat(Bench.latencyKinds("tyrus,tether-raw", "1000").keySet()).containsExactly(1000);
    assertThat(Bench.latencyKinds("okhttp", null).keySet()).containsExactly(1000);
  }

  @Test
  void anUnknownKindOrAnEmptySelectionIsRefusedWithWhatWasExpected() {
    assertThatThrownBy(() -> Bench.latencyKinds("tyrus,nope", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown kind 'nope'").hasMessageContaining("tether-raw-direct");
    assertThatThrownBy(() -> Bench.latencyKinds("okhttp", "10000"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leave no kind");
  }
}

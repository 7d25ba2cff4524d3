package dev.tether.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WireRulesTest {
  @Test
  void utf8LengthCountsMultiByteCharactersAndSurrogatePairs() {
    assertThat(WireRules.utf8Length("abc")).isEqualTo(3);
    assertThat(WireRules.utf8Length("é€😀")).isEqualTo(2 + 3 + 4);
    assertThat(WireRules.utf8Length("€".repeat(342))).isEqualTo(1_026);
    String mixed = "añ€😀 \u0000 \uD7FF \uE000 \uFFFF";
    assertThat(WireRules.utf8Length(mixed)).isEqualTo(mixed.getBytes(StandardCharsets.UTF_8).length);
  }

  @Test
  void textIsAnEnvelopeWhenItsFirstNonBlankCharacterIsABrace() {
    assertThat(WireRules.isEnvelope("{\"type\":\"chat\"}")).isTrue();
    assertThat(WireRules.isEnvelope(" \n\t{")).isTrue();
    assertThat(WireRules.isEnvelope("hello {")).isFalse();
    assertThat(WireRules.isEnvelope("[{}]")).isFalse();
    assertThat(WireRules.isEnvelope("   ")).isFalse();
    assertThat(WireRules.isEnvelope("")).isFalse();
  }

  @Test
  void onlyCodesAnEndpointMaySendAreSendable() {
    for (int code : new int[] {1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999}) {
      assertThat(WireRules.isSendableCloseCode(code)).as("%d", code).isTrue();
    }
    for (int code : new int[] {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, -1}) {
      assertThat(WireRules.isSendableCloseCode(code)).as("%d", code).isFalse();
    }
  }
}

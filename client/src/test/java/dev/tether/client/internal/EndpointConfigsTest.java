package dev.tether.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the client reads the server's Tether-User header (PROTOCOL.md, "Who you are"). */
class EndpointConfigsTest {
  @Test
  void theUserHeaderIsPercentEncodedUtf8InAnyCase() {
    assertThat(EndpointConfigs.user(Map.of("Tether-User", List.of("alice")))).isEqualTo("alice");
    assertThat(EndpointConfigs.user(Map.of("tether-user", List.of("Zo%C3%AB%20Smith")))).isEqualTo("Zoë Smith");
    assertThat(EndpointConfigs.user(Map.of("TETHER-USER", List.of("a%2Bb")))).isEqualTo("a+b");
  }

  @Test
  void noMissingOrMalformedHeaderNamesNobody() {
    assertThat(EndpointConfigs.user(null)).isNull();
    assertThat(EndpointConfigs.user(Map.of())).isNull();
    assertThat(EndpointConfigs.user(Map.of("Tether-User", List.of()))).isNull();
    assertThat(EndpointConfigs.user(Map.of("Tether-User", List.of("")))).isNull();
    assertThat(EndpointConfigs.user(Map.of("Tether-User", List.of("%zz")))).isNull();
  }
}

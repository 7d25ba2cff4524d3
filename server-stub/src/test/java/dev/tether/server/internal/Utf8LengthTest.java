package dev.tether.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Utf8LengthTest {
  @Test
  void countsMultiByteCharactersAndSurrogatePairs() {
    assertThat(Hub.utf8Length("abc")).isEqualTo(3);
    assertThat(Hub.utf8Length("é€😀")).isEqualTo(2 + 3 + 4);
    assertThat(Hub.utf8Length("€".repeat(342))).isEqualTo(1_026);
  }
}

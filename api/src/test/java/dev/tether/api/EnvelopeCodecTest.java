package dev.tether.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class EnvelopeCodecTest {
  private final EnvelopeCodec codec = EnvelopeCodec.shared();

  /** Golden frames, one per type, exactly as PROTOCOL.md shows them. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\"}}",
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"from\":\"alice\",\"seq\":7,\"ts\":1764300000000,\"body\":{\"text\":\"hi\"}}",
      "{\"type\":\"join\",\"id\":\"j1\",\"room\":\"lobby\"}",
      "{\"type\":\"leave\",\"id\":\"l1\",\"room\":\"lobby\"}",
      "{\"type\":\"ack\",\"id\":\"m1\",\"seq\":7}",
      "{\"type\":\"error\",\"id\":\"m1\",\"code\":\"not_member\",\"message\":\"not a member of room 'lobby'\"}",
      "{\"type\":\"error\",\"code\":\"malformed\",\"message\":\"malformed JSON: x\"}",
      "{\"type\":\"resume\",\"id\":\"r1\",\"room\":\"lobby\",\"after\":41}",
      "{\"type\":\"error\",\"id\":\"r1\",\"code\":\"history_gap\",\"message\":\"gone\",\"room\":\"lobby\",\"first\":42,\"last\":4999}",
  })
  void goldenFramesRoundTripByteForByte(String golden) {
    Wire decoded = codec.decode(golden);
    assertThat(codec.encode(decoded)).isEqualTo(golden);
    assertThat(codec.decode(codec.encode(decoded))).isEqualTo(decoded);
  }

  @Test
  void decodesChatFields() {
    Envelope e = (Envelope) codec.decode(
        "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"from\":\"alice\",\"seq\":7,\"ts\":5,"
            + "\"body\":{\"text\":\"hi\",\"extra\":[1,2]}}");
    assertThat(e.type()).isEqualTo(Envelope.Type.CHAT);
    assertThat(e.id()).isEqualTo("m1");
    assertThat(e.room()).isEqualTo("lobby");
    assertThat(e.from()).isEqualTo("alice");
    assertThat(e.seq()).isEqualTo(7);
    assertThat(e.ts()).isEqualTo(5);
    assertThat(e.text()).isEqualTo("hi");
    assertThat(e.body()).containsEntry("extra", java.util.List.of(1, 2));
  }

  @Test
  void factoriesMakeEnvelopesThatRoundTrip() {
    for (Envelope e : new Envelope[] {
        Envelope.chat("r", "text with \"quotes\" and ünïcödé"), Envelope.join("r"), Envelope.leave("r"),
        Envelope.resume("r", 0), Envelope.resume("r", 17)}) {
      assertThat(codec.decode(codec.encode(e))).isEqualTo(e);
    }
  }

  @Test
  void idsAreUniqueUuidV7() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      ids.add(Envelope.chat("r", "x").id());
    }
    assertThat(ids).hasSize(100_000);
    String id = ids.iterator().next();
    assertThat(java.util.UUID.fromString(id).version()).isEqualTo(7);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"type\":\"chat\",\"id\":\"m1\",\"body\":{\"text\":\"hi\"}}|missing field 'room' in chat",
      "{\"type\":\"chat\",\"room\":\"r\",\"body\":{\"text\":\"hi\"}}|missing field 'id' in chat",
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"r\"}|missing field 'body.text' in chat",
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"r\",\"body\":{\"text\":3}}|field 'body.text' in chat must be a string, was a number",
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"r\",\"body\":[]}|field 'body' in chat must be an object, was an array",
      "{\"type\":\"chat\",\"id\":\"\",\"room\":\"r\",\"body\":{\"text\":\"x\"}}|field 'id' in chat is empty",
      "{\"type\":\"join\",\"id\":7,\"room\":\"r\"}|field 'id' in join must be a string, was a number",
      "{\"type\":\"ack\",\"id\":\"m1\"}|missing field 'seq' in ack",
      "{\"type\":\"ack\",\"id\":\"m1\",\"seq\":\"7\"}|field 'seq' in ack must be an integer, was a string",
      "{\"type\":\"ack\",\"id\":\"m1\",\"seq\":-1}|field 'seq' in ack must be between 0 and 2^63-1, was -1",
      "{\"type\":\"ack\",\"id\":\"m1\",\"seq\":99999999999999999999999}|field 'seq' in ack must be between 0 and 2^63-1",
      "{\"type\":\"error\",\"message\":\"m\"}|missing field 'code' in error",
      "{\"type\":\"wave\",\"id\":\"x\"}|unknown type 'wave'",
      "{\"id\":\"x\"}|missing field 'type'",
      "{\"type\":\"resume\",\"id\":\"r\",\"room\":\"lobby\"}|missing field 'after' in resume",
      "{\"type\":\"error\",\"code\":\"history_gap\",\"message\":\"m\",\"room\":\"r\",\"first\":5}|missing field 'last' in error",
      "{\"type\":1}|field 'type' must be a string, was a number",
      "[1,2]|expected a JSON object, got an array",
      "{\"type\":\"chat\"|malformed JSON",
      "''|malformed JSON: empty frame",
  })
  void decodeErrorsNameWhatWasWrong(String json, String message) {
    assertThatThrownBy(() -> codec.decode(json))
        .isInstanceOf(MalformedEnvelopeException.class)
        .hasMessageContaining(message);
  }

  @Test
  void deeplyNestedJsonIsMalformedNotAStackOverflow() {
    String deep = "{\"type\":\"chat\",\"id\":\"m\",\"room\":\"r\",\"body\":{\"text\":\"x\",\"n\":"
        + "[".repeat(5000) + "]".repeat(5000) + "}}";
    assertThatThrownBy(() -> codec.decode(deep)).isInstanceOf(MalformedEnvelopeException.class);
  }

  @Test
  void envelopeRejectsBadArguments() {
    assertThatThrownBy(() -> Envelope.chat(null, "x")).isInstanceOf(NullPointerException.class)
        .hasMessage("room == null");
    assertThatThrownBy(() -> Envelope.chat("r", null)).isInstanceOf(NullPointerException.class)
        .hasMessage("text == null");
    assertThatThrownBy(() -> Envelope.join("")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("room is empty");
    assertThatThrownBy(() -> new Envelope(Envelope.Type.CHAT, "i", "r", null, -1, 0, Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("seq < 0: -1");
    assertThatThrownBy(() -> codec.decode(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("json == null");
  }

  @Test
  void bodyIsImmutable() {
    Envelope e = Envelope.chat("r", "x");
    assertThatThrownBy(() -> e.body().put("k", "v")).isInstanceOf(UnsupportedOperationException.class);
  }
}

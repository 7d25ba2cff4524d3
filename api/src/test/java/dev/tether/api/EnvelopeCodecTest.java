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
      // epochs: on chats from the server, on join/leave/resume acks, on resumes, and epoch_changed
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"from\":\"alice\",\"seq\":7,\"ts\":1764300000000,\"epoch\":\"q3Jx0cVb9LmT2wAe\",\"body\":{\"text\":\"hi\"}}",
      "{\"type\":\"ack\",\"id\":\"j1\",\"seq\":7,\"epoch\":\"q3Jx0cVb9LmT2wAe\"}",
      // protocol v2: the ack of the sender's chat carries what the server stamped on it
      "{\"type\":\"ack\",\"id\":\"c1\",\"seq\":7,\"from\":\"alice\",\"ts\":1764300000000,\"epoch\":\"q3Jx0cVb9LmT2wAe\"}",
      "{\"type\":\"resume\",\"id\":\"r1\",\"room\":\"lobby\",\"after\":41,\"epoch\":\"q3Jx0cVb9LmT2wAe\"}",
      "{\"type\":\"error\",\"id\":\"r1\",\"code\":\"epoch_changed\",\"message\":\"new stream\",\"room\":\"lobby\",\"old_epoch\":\"q3Jx0cVb9LmT2wAe\",\"new_epoch\":\"Zk8vYw2LrT0aQm5s\"}",
      // sender order: out_of_order, and the retry hints of rate_limited and unavailable
      "{\"type\":\"error\",\"id\":\"c9\",\"code\":\"out_of_order\",\"message\":\"m\",\"n\":9,\"expected\":7}",
      "{\"type\":\"error\",\"id\":\"c7\",\"code\":\"rate_limited\",\"message\":\"m\",\"n\":7,\"retry_after\":250}",
      "{\"type\":\"error\",\"code\":\"rate_limited\",\"message\":\"m\",\"retry_after\":250}",
      "{\"type\":\"error\",\"id\":\"c7\",\"code\":\"unavailable\",\"message\":\"m\",\"n\":7,\"retry_after\":1000}",
  })
  void goldenFramesRoundTripByteForByte(String golden) {
    Wire decoded = codec.decode(golden);
    assertThat(codec.encode(decoded)).isEqualTo(golden);
    assertThat(codec.decode(codec.encode(decoded))).isEqualTo(decoded);
  }

  /** What a counting client writes: the envelope as encoded once, with its counter appended. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\"},\"n\":3}",
      "{\"type\":\"join\",\"id\":\"j1\",\"room\":\"lobby\",\"n\":1}",
      "{\"type\":\"leave\",\"id\":\"l1\",\"room\":\"lobby\",\"n\":9223372036854775807}",
      "{\"type\":\"resume\",\"id\":\"r1\",\"room\":\"lobby\",\"after\":41,\"epoch\":\"q3Jx0cVb9LmT2wAe\",\"n\":2}",
  })
  void countedGoldenFramesDecodeWithTheirCounterAndReEncodeWithWithCounter(String golden) {
    EnvelopeCodec.Counted counted = codec.decodeCounted(golden);
    assertThat(counted.n()).isPositive();
    assertThat(counted.wire()).isEqualTo(codec.decode(golden));
    String encoded = codec.encode(counted.wire());
    assertThat(encoded).doesNotContain("\"n\":");
    assertThat(codec.withCounter(encoded, counted.n())).isEqualTo(golden);
  }

  @Test
  void framesWithoutACounterDecodeWithCounterZero() {
    assertThat(codec.decodeCounted("{\"type\":\"join\",\"id\":\"j1\",\"room\":\"lobby\"}").n()).isZero();
    assertThat(codec.decodeCounted("{\"type\":\"ack\",\"id\":\"j1\",\"seq\":0}").n()).isZero();
  }

  @Test
  void withCounterRefusesWhatIsNotAnEncodedEnvelope() {
    String join = codec.encode(Envelope.join("r"));
    assertThatThrownBy(() -> codec.withCounter(join, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("n < 1: 0");
    assertThatThrownBy(() -> codec.withCounter("{}", 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("not an encoded envelope: {}");
    assertThatThrownBy(() -> codec.withCounter("plain", 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> codec.withCounter(null, 1)).isInstanceOf(NullPointerException.class)
        .hasMessage("frame == null");
    // A second counter is a duplicate field: refused, so a client bug cannot go unnoticed.
    assertThatThrownBy(() -> codec.decode(codec.withCounter(codec.withCounter(join, 1), 2)))
        .isInstanceOf(MalformedEnvelopeException.class).hasMessageContaining("'n'");
  }

  @Test
  void epochsTravelOnResumesChatsAndAcks() {
    Envelope resume = Envelope.resume("lobby", 41, "q3Jx0cVb9LmT2wAe");
    assertThat(resume.seq()).isEqualTo(41);
    assertThat(resume.epoch()).isEqualTo("q3Jx0cVb9LmT2wAe");
    assertThat(codec.decode(codec.encode(resume))).isEqualTo(resume);
    assertThat(Envelope.resume("lobby", 41, null).epoch()).isNull();
    Envelope chat = Envelope.chat("lobby", "hi").accepted("alice", 3, 5, "E1");
    assertThat(chat.epoch()).isEqualTo("E1");
    assertThat(chat.withId("other").epoch()).isEqualTo("E1");
    assertThat(codec.decode(codec.encode(chat))).isEqualTo(chat);
    Ack ack = new Ack("j1", 0, "E1");
    assertThat(codec.decode(codec.encode(ack))).isEqualTo(ack);
    // The constructors that were there before epochs make envelopes and acks without one.
    assertThat(new Ack("c1", 1).epoch()).isNull();
    assertThat(new Envelope(Envelope.Type.CHAT, "i", "r", null, 0, 0, Map.of("text", "t")).epoch()).isNull();
    assertThat(codec.encode(new Ack("c1", 1))).isEqualTo("{\"type\":\"ack\",\"id\":\"c1\",\"seq\":1}");
  }

  @Test
  void anAckCarryingItsChatStampsTheChatAsItsCopyWouldBe() {
    Envelope sent = Envelope.chat("lobby", "hi");
    Ack ack = new Ack(sent.id(), 7, "E1", "alice", 1_764_300_000_000L);
    assertThat(ack.carriesChat()).isTrue();
    assertThat(ack.stamp(sent)).isEqualTo(sent.accepted("alice", 7, 1_764_300_000_000L, "E1"));
    assertThat(new Ack(sent.id(), 7).carriesChat()).isFalse();
    assertThat(new Ack(sent.id(), 7, "E1").carriesChat()).isFalse();
    assertThatThrownBy(() -> new Ack(sent.id(), 7).stamp(sent)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("carries no chat");
    assertThatThrownBy(() -> ack.stamp(Envelope.chat("lobby", "other"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Ack("a", 1, null, "alice", -1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ts < 0: -1");
    assertThat(codec.decode(codec.encode(ack))).isEqualTo(ack);
  }

  @Test
  void errorFactoriesMakeTheFramesPROTOCOLmdShows() {
    assertThat(codec.encode(ErrorReply.epochChanged("r1", "lobby", "q3Jx0cVb9LmT2wAe", "Zk8vYw2LrT0aQm5s")))
        .isEqualTo("{\"type\":\"error\",\"id\":\"r1\",\"code\":\"epoch_changed\",\"message\":"
            + "\"room 'lobby' has a new stream (epoch Zk8vYw2LrT0aQm5s, was q3Jx0cVb9LmT2wAe): replaying it from its first seq\","
            + "\"room\":\"lobby\",\"old_epoch\":\"q3Jx0cVb9LmT2wAe\",\"new_epoch\":\"Zk8vYw2LrT0aQm5s\"}");
    assertThat(codec.encode(ErrorReply.outOfOrder("c9", 9, 7)))
        .isEqualTo("{\"type\":\"error\",\"id\":\"c9\",\"code\":\"out_of_order\",\"message\":"
            + "\"envelope 9 came before envelope 7: send again from 7, in order\",\"n\":9,\"expected\":7}");
    assertThat(codec.encode(ErrorReply.rateLimited("c7", 7, 250, "slow down")))
        .isEqualTo("{\"type\":\"error\",\"id\":\"c7\",\"code\":\"rate_limited\",\"message\":\"slow down\","
            + "\"n\":7,\"retry_after\":250}");
    assertThat(codec.encode(ErrorReply.unavailable("c7", 0, 1000, "later")))
        .isEqualTo("{\"type\":\"error\",\"id\":\"c7\",\"code\":\"unavailable\",\"message\":\"later\","
            + "\"retry_after\":1000}");
    assertThatThrownBy(() -> ErrorReply.outOfOrder("c", 7, 7)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("not out of order: n 7, expected 7");
  }

  @Test
  void onlyHistoryGapAndEpochChangedRefuseNothing() {
    assertThat(ErrorReply.historyGap("r", "lobby", 1, 2).refused()).isFalse();
    assertThat(ErrorReply.epochChanged("r", "lobby", "a", "b").refused()).isFalse();
    for (String code : new String[] {ErrorReply.MALFORMED, ErrorReply.UNKNOWN_TYPE, ErrorReply.UNEXPECTED_TYPE,
        ErrorReply.NOT_MEMBER, ErrorReply.RATE_LIMITED, ErrorReply.OUT_OF_ORDER, ErrorReply.UNAVAILABLE}) {
      assertThat(new ErrorReply("x", code, "m").refused()).as(code).isTrue();
    }
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
      "{\"type\":\"join\",\"id\":\"j\",\"room\":\"r\",\"n\":0}|field 'n' in join must be between 1 and 2^63-1, was 0",
      "{\"type\":\"join\",\"id\":\"j\",\"room\":\"r\",\"n\":\"1\"}|field 'n' in join must be an integer, was a string",
      "{\"type\":\"chat\",\"id\":\"c\",\"room\":\"r\",\"body\":{\"text\":\"t\"},\"n\":-3}|field 'n' in chat must be between 1 and 2^63-1, was -3",
      "{\"type\":\"resume\",\"id\":\"r\",\"room\":\"lobby\",\"after\":1,\"epoch\":\"\"}|field 'epoch' in resume is empty",
      "{\"type\":\"resume\",\"id\":\"r\",\"room\":\"lobby\",\"after\":1,\"epoch\":7}|field 'epoch' in resume must be a string, was a number",
      "{\"type\":\"ack\",\"id\":\"a\",\"seq\":1,\"epoch\":\"\"}|field 'epoch' in ack is empty",
      "{\"type\":\"error\",\"code\":\"out_of_order\",\"message\":\"m\",\"expected\":0}|field 'expected' in error must be between 1 and 2^63-1, was 0",
      "{\"type\":\"error\",\"code\":\"rate_limited\",\"message\":\"m\",\"retry_after\":-1}|field 'retry_after' in error must be between 0 and 2^63-1, was -1",
      "{\"type\":\"error\",\"code\":\"epoch_changed\",\"message\":\"m\",\"room\":\"r\",\"new_epoch\":\"\"}|field 'new_epoch' in error is empty",
      "{\"type\":\"error\",\"code\":\"history_gap\",\"message\":\"m\",\"room\":\"r\",\"last\":5}|missing field 'first' in error",
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

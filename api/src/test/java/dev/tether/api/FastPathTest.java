package dev.tether.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Well-formed frames take the streaming decoder, and it reads them exactly as the careful one does.
 * Guards a bug where every chat's body made the fast path throw and fall back, unnoticed, while a
 * benchmark credited the fast path with the speed-up.
 */
class FastPathTest {
  /** A fresh codec per test, so that nothing else counts into its careful decodes. */
  private final EnvelopeCodec codec = new EnvelopeCodec();

  @ParameterizedTest
  @ValueSource(strings = {
      // what a client sends
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\"}}",
      "{\"type\":\"join\",\"id\":\"j1\",\"room\":\"lobby\"}",
      "{\"type\":\"leave\",\"id\":\"l1\",\"room\":\"lobby\"}",
      "{\"type\":\"resume\",\"id\":\"r1\",\"room\":\"lobby\",\"after\":41}",
      // what a server sends: a fanned-out chat, acks, errors
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"from\":\"alice\",\"seq\":7,\"ts\":1764300000000,\"body\":{\"text\":\"hi\"}}",
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"from\":\"alice\",\"seq\":7,\"ts\":1,\"body\":{\"text\":\"hi\",\"extra\":{\"a\":[1,2,{\"b\":null}]}}}",
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\"},\"from\":\"alice\",\"seq\":7}",
      "{\"type\":\"ack\",\"id\":\"m1\",\"seq\":7}",
      "{\"type\":\"error\",\"id\":\"m1\",\"code\":\"not_member\",\"message\":\"not a member of room 'lobby'\"}",
      "{\"type\":\"error\",\"code\":\"malformed\",\"message\":\"malformed JSON: x\"}",
      "{\"type\":\"error\",\"id\":\"r1\",\"code\":\"history_gap\",\"message\":\"gone\",\"room\":\"lobby\",\"first\":42,\"last\":4999}",
      // fields a newer peer may add are skipped, not a reason to fall back
      "{\"type\":\"ack\",\"id\":\"m1\",\"seq\":7,\"later\":{\"x\":[1]}}",
      // epochs: chats, acks, resumes, epoch_changed
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"from\":\"alice\",\"seq\":7,\"ts\":1,\"epoch\":\"q3Jx0cVb9LmT2wAe\",\"body\":{\"text\":\"hi\"}}",
      "{\"type\":\"ack\",\"id\":\"j1\",\"seq\":7,\"epoch\":\"q3Jx0cVb9LmT2wAe\"}",
      "{\"type\":\"ack\",\"id\":\"c1\",\"seq\":7,\"from\":\"alice\",\"ts\":1,\"epoch\":\"q3Jx0cVb9LmT2wAe\"}",
      // bodies of every kind of value, nested
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"r\",\"body\":{\"text\":\"t\",\"a\":[true,false,null,-0,1.5e3,99999999999999999999,12345678901,{}],\"o\":{\"x\":{\"y\":[]}}}}",
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"r\",\"body\":{\"text\":\"esc \\\" \\\\ \\n \\u0001 \\u00e9\"}}",
      "{\"type\":\"resume\",\"id\":\"r1\",\"room\":\"lobby\",\"after\":41,\"epoch\":\"q3Jx0cVb9LmT2wAe\"}",
      "{\"type\":\"error\",\"id\":\"r1\",\"code\":\"epoch_changed\",\"message\":\"m\",\"room\":\"lobby\",\"old_epoch\":\"a\",\"new_epoch\":\"b\"}",
      // sender order: counted client frames, out_of_order, retry hints
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\"},\"n\":3}",
      "{\"type\":\"join\",\"id\":\"j1\",\"room\":\"lobby\",\"n\":1}",
      "{\"type\":\"leave\",\"id\":\"l1\",\"room\":\"lobby\",\"n\":2}",
      "{\"type\":\"resume\",\"id\":\"r1\",\"room\":\"lobby\",\"after\":41,\"epoch\":\"q3Jx0cVb9LmT2wAe\",\"n\":4}",
      "{\"type\":\"error\",\"id\":\"c9\",\"code\":\"out_of_order\",\"message\":\"m\",\"n\":9,\"expected\":7}",
      "{\"type\":\"error\",\"id\":\"c7\",\"code\":\"rate_limited\",\"message\":\"m\",\"n\":7,\"retry_after\":250}",
      "{\"type\":\"error\",\"code\":\"rate_limited\",\"message\":\"m\",\"retry_after\":250}",
      "{\"type\":\"error\",\"id\":\"c7\",\"code\":\"unavailable\",\"message\":\"m\",\"n\":7,\"retry_after\":1000}",
  })
  void wellFormedFrameTakesTheFastPathAndReadsAsTheCarefulDecoderDoes(String frame) {
    EnvelopeCodec.Counted fast = codec.decodeCounted(frame);

    assertThat(codec.carefulDecodes()).as("careful decodes of " + frame).isZero();
    assertThat(fast).isEqualTo(codec.decodeTree(frame));
  }

  @Test
  void countedEnvelopesWrittenWithWithCounterDecodeOnTheFastPath() {
    List<Envelope> envelopes = List.of(Envelope.chat("lobby", "hi"), Envelope.join("lobby"),
        Envelope.leave("lobby"), Envelope.resume("lobby", 3, "q3Jx0cVb9LmT2wAe"));
    long n = 1;
    for (Envelope e : envelopes) {
      EnvelopeCodec.Counted counted = codec.decodeCounted(codec.withCounter(codec.encode(e), n));
      assertThat(counted).isEqualTo(new EnvelopeCodec.Counted(e, n));
      n++;
    }
    assertThat(codec.carefulDecodes()).isZero();
  }

  @Test
  void encodedChatsAndFanOutsDecodeOnTheFastPath() {
    Envelope sent = Envelope.chat("lobby", "hello \"world\" ünïcödé 😀");
    Envelope stamped = sent.accepted("alice", 12, 1_767_225_600_000L, "q3Jx0cVb9LmT2wAe");
    Envelope withBody = new Envelope(Envelope.Type.CHAT, "id-1", "lobby", null, 0, 0,
        Map.of("text", "t", "attachments", List.of(Map.of("url", "u", "size", 3))));

    for (Envelope e : List.of(sent, stamped, withBody)) {
      assertThat(codec.decode(codec.encode(e))).isEqualTo(e);
    }
    assertThat(codec.carefulDecodes()).isZero();
  }

  /**
   * Duplicate keys are refused at every depth: the fast decoder finds them without Jackson's
   * STRICT_DUPLICATE_DETECTION (a HashSet per object of three fields or more, every envelope) and
   * leaves them to the careful decoder, which names them.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      "{\"type\":\"chat\",\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\"}}",
      "{\"type\":\"ack\",\"id\":\"m1\",\"seq\":7,\"seq\":8}",
      "{\"type\":\"ack\",\"id\":\"m1\",\"seq\":7,\"later\":1,\"later\":2}",
      "{\"type\":\"ack\",\"id\":\"m1\",\"seq\":7,\"later\":{\"x\":1,\"x\":2}}",
      "{\"type\":\"ack\",\"id\":\"m1\",\"seq\":7,\"later\":[{\"x\":1,\"y\":{\"z\":1,\"z\":1}}]}",
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\",\"a\":{\"b\":null,\"b\":null}}}",
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\",\"a\":[[{\"c\":1,\"c\":1}]]}}",
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\"},\"body\":{\"text\":\"hi\"}}",
  })
  void duplicateKeysAreRefusedAtEveryDepthWithoutJacksonsDuplicateCheck(String frame) {
    assertThatThrownBy(() -> codec.decode(frame)).isInstanceOf(MalformedEnvelopeException.class)
        .hasMessageContaining("Duplicate field");
    assertThat(codec.carefulDecodes()).isEqualTo(1);
  }

  @Test
  void protocolFramesAreWrittenWithoutJacksonsGeneratorAndReadTheSame() {
    Envelope sent = Envelope.chat("lobby", "hello \"world\" \\ ünïcödé 😀 \n\t\u0001\u001f\u2028");
    List<Wire> frames = List.of(sent, sent.accepted("alice", 12, 1_767_225_600_000L, "q3Jx0cVb9LmT2wAe"),
        Envelope.join("lobby"), Envelope.leave("lobby"), Envelope.resume("lobby", 0),
        Envelope.resume("lobby", 41, "q3Jx0cVb9LmT2wAe"),
        new Envelope(Envelope.Type.CHAT, "id-1", "lobby", null, 0, 0, Map.of("text", "t",
            "n", List.of(1, 2L, new BigInteger("123456789012345678901234567890"), new BigDecimal("1E+400"),
                true, Map.of("k", "v")), "none", java.util.Collections.singletonMap("x", null))),
        new Ack("c1", 7), new Ack("j1", 0, "q3Jx0cVb9LmT2wAe"), new Ack("c1", 7, "E", "alice", 5),
        ErrorReply.historyGap("r1", "lobby", 2, 9), ErrorReply.epochChanged("r1", "lobby", "a", "b"),
        ErrorReply.outOfOrder("c9", 9, 7), ErrorReply.rateLimited(null, 0, 250, "slow"),
        ErrorReply.unavailable("c7", 7, 1000, "later"), new ErrorReply(null, "malformed", "bad \"json\""));
    for (Wire w : frames) {
      String encoded = codec.encode(w);
      assertThat(encoded).as("as the generator writes %s", w).isEqualTo(codec.encodeWithGenerator(w));
      assertThat(codec.decode(encoded)).isEqualTo(codec.decode(codec.encodeWithGenerator(w)));
    }
    assertThat(codec.generatorEncodes()).isZero();
  }

  @Test
  void everyCharIsEscapedAsJacksonsGeneratorEscapesIt() {
    StringBuilder all = new StringBuilder();
    for (int c = 0; c <= 0xFFFF; c++) {
      all.append((char) c);
      if (all.length() == 4096 || c == 0xFFFF) {
        Envelope e = new Envelope(Envelope.Type.CHAT, "i", "r", null, 0, 0, Map.of("text", all.toString()));
        assertThat(codec.encode(e)).isEqualTo(codec.encodeWithGenerator(e));
        all.setLength(0);
      }
    }
    assertThat(codec.generatorEncodes()).isZero();
  }

  /** Frames are written into the thread's own buffer, reused: a frame costs its string only. */
  @Test
  void theEncoderReusesItsThreadsBufferButNotAHugeOne() {
    codec.encode(Envelope.chat("lobby", "warm"));
    StringBuilder first = FastEncoder.buffer();
    codec.encode(Envelope.chat("lobby", "again"));
    codec.withCounter(codec.encode(Envelope.join("lobby")), 3);
    assertThat(FastEncoder.buffer()).isSameAs(first);
    codec.encode(Envelope.chat("lobby", "x".repeat(100_000)));
    StringBuilder after = FastEncoder.buffer();
    assertThat(after).isNotSameAs(first);
    assertThat(after.capacity()).isLessThan(100_000);
  }

  @Test
  void aBodyWithOtherValuesGoesToTheGenerator() {
    Envelope e = new Envelope(Envelope.Type.CHAT, "i", "r", null, 0, 0, Map.of("text", "t", "d", 1.5));
    assertThat(codec.decode(codec.encode(e))).isEqualTo(
        new Envelope(Envelope.Type.CHAT, "i", "r", null, 0, 0, Map.of("text", "t", "d", new BigDecimal("1.5"))));
    assertThat(codec.generatorEncodes()).isEqualTo(1);
  }

  @Test
  void aDecodedBodyIsKeptNotCopiedByTheEnvelopesMadeFromIt() {
    Envelope e = (Envelope) codec.decode(
        "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\",\"x\":[1]}}");
    assertThat(e.accepted("alice", 1, 2, "E").body()).isSameAs(e.body());
    assertThat(e.withId("m2").body()).isSameAs(e.body());
    assertThat(new Envelope(e.type(), e.id(), e.room(), null, 0, 0, e.body()).body()).isSameAs(e.body());
    assertThatThrownBy(() -> e.body().put("k", "v")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> e.body().entrySet().iterator().next().setValue("v"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> e.body().keySet().clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThat(e.body()).isEqualTo(Map.of("text", "hi", "x", List.of(1))).hasToString("{text=hi, x=[1]}");
    // A map the caller keeps is copied: changing it later changes no envelope.
    Map<String, Object> mine = new java.util.HashMap<>(Map.of("text", "hi"));
    Envelope copied = new Envelope(Envelope.Type.CHAT, "i", "r", null, 0, 0, mine);
    mine.put("text", "changed");
    assertThat(copied.text()).isEqualTo("hi");
  }

  @Test
  void repeatedRoomFromAndEpochAreReadAsTheStringsReadBefore() {
    Ack first = (Ack) codec.decode("{\"type\":\"ack\",\"id\":\"c1\",\"seq\":1,\"from\":\"alice\",\"ts\":1,"
        + "\"epoch\":\"q3Jx0cVb9LmT2wAe\"}");
    Ack second = (Ack) codec.decode("{\"type\":\"ack\",\"id\":\"c2\",\"seq\":2,\"from\":\"alice\",\"ts\":2,"
        + "\"epoch\":\"q3Jx0cVb9LmT2wAe\"}");
    assertThat(second.from()).isEqualTo("alice").isSameAs(first.from());
    assertThat(second.epoch()).isEqualTo("q3Jx0cVb9LmT2wAe").isSameAs(first.epoch());
    Envelope a = (Envelope) codec.decode("{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":\"a\"}}");
    Envelope b = (Envelope) codec.decode("{\"type\":\"chat\",\"id\":\"m2\",\"room\":\"lobby\",\"body\":{\"text\":\"b\"}}");
    assertThat(b.room()).isEqualTo("lobby").isSameAs(a.room());
    assertThat(codec.carefulDecodes()).isZero();
  }

  @Test
  void aValueWithEscapesIsReadAsWrittenNotAsTheOneReadBefore() {
    // The last plain room is "lo", then "lo" followed by an escaped quote: a longer string that
    // starts with the same chars; then the escaped "lo" itself, then a prefix of it.
    String[] rooms = {"lo", "lo\\\"b", "l\\u006f", "l", "lo"};
    String[] expected = {"lo", "lo\"b", "lo", "l", "lo"};
    for (int k = 0; k < rooms.length; k++) {
      String frame = "{\"type\":\"chat\",\"id\":\"m" + k + "\",\"room\":\"" + rooms[k]
          + "\",\"from\":\"" + rooms[k] + "\",\"seq\":1,\"ts\":1,\"epoch\":\"" + rooms[k] + "\",\"body\":{\"text\":\"t\"}}";
      Envelope e = (Envelope) codec.decode(frame);
      assertThat(e.room()).as(frame).isEqualTo(expected[k]);
      assertThat(e.from()).as(frame).isEqualTo(expected[k]);
      assertThat(e.epoch()).as(frame).isEqualTo(expected[k]);
      assertThat(codec.decodeCounted(frame)).isEqualTo(codec.decodeTree(frame));
    }
  }

  @Test
  void aChatsBodyIsOneEntryThatBehavesAsAnyMapOfIt() {
    Map<String, Object> body = Envelope.chat("lobby", "hi").body();
    Map<String, Object> same = new java.util.LinkedHashMap<>(Map.of("text", "hi"));
    assertThat(body).isEqualTo(same).hasSameHashCodeAs(same).hasToString("{text=hi}").hasSize(1)
        .containsEntry("text", "hi").doesNotContainKey("x");
    assertThat(same).isEqualTo(body);
    assertThat(body.get("x")).isNull();
    assertThat(body.getOrDefault("x", "d")).isEqualTo("d");
    assertThat(body.keySet()).containsExactly("text");
    assertThat(body.values()).containsExactly("hi");
    assertThatThrownBy(() -> body.put("k", "v")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> body.remove("text")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(body::clear).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> body.entrySet().iterator().next().setValue("v"))
        .isInstanceOf(UnsupportedOperationException.class);
    Envelope chat = Envelope.chat("lobby", "hi \"there\"");
    assertThat(codec.encode(chat)).isEqualTo(codec.encodeWithGenerator(chat));
    assertThat(codec.generatorEncodes()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\"}} {}",
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\",\"text\":\"x\"}}",
      "{\"type\":\"chat\",\"id\":\"m1\",\"id\":\"m2\",\"room\":\"lobby\",\"body\":{\"text\":\"hi\"}}",
      "{\"type\":\"chat\",\"id\":\"m1\",\"room\":\"lobby\",\"body\":{\"text\":7}}",
      "{\"type\":\"ack\",\"id\":\"m1\"}",
  })
  void doubtfulFrameGoesToTheCarefulDecoder(String frame) {
    try {
      codec.decode(frame);
    } catch (MalformedEnvelopeException expected) {
      // the careful decoder names what is wrong; EnvelopeCodecTest checks the messages
    }
    assertThat(codec.carefulDecodes()).isEqualTo(1);
  }
}

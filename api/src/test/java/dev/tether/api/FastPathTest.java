package dev.tether.api;

import static org.assertj.core.api.Assertions.assertThat;

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

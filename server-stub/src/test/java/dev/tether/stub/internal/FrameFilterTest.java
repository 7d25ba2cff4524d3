package dev.tether.stub.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The frame filter keeps a client's byte stream valid while it drops whole data messages: the
 * upgrade request passes untouched, frames of every length encoding are told apart, continuation
 * frames follow their message's fate, control frames always pass, and the result does not depend
 * on how the bytes were chunked.
 */
class FrameFilterTest {
  private static final byte[] REQUEST = ("GET /im?user=alice HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      + "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

  /** One client frame: masked, with a payload of {@code length} bytes. */
  private static byte[] frame(boolean fin, int opcode, int length, int fill) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write((fin ? 0x80 : 0) | opcode);
    if (length < 126) {
      out.write(0x80 | length);
    } else if (length < 65_536) {
      out.write(0x80 | 126);
      out.write(length >>> 8);
      out.write(length & 0xFF);
    } else {
      out.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) (((long) length >>> shift) & 0xFF));
      }
    }
    out.writeBytes(new byte[] {1, 2, 3, 4});
    for (int i = 0; i < length; i++) {
      out.write(fill);
    }
    return out.toByteArray();
  }

  /** A stream of data messages (some fragmented, with a ping between fragments) and control frames. */
  private static List<byte[]> messages() {
    List<byte[]> m = new ArrayList<>();
    m.add(frame(true, 0x1, 5, 'a'));                       // 0: text, 7-bit length
    m.add(frame(true, 0x2, 300, 'b'));                     // 1: binary, 16-bit length
    m.add(concat(frame(false, 0x1, 10, 'c'), frame(true, 0x9, 2, 'p'),
        frame(false, 0x0, 200, 'c'), frame(true, 0x0, 3, 'c')));  // 2: fragmented, a ping inside
    m.add(frame(true, 0x1, 70_000, 'd'));                  // 3: text, 64-bit length
    m.add(frame(true, 0x1, 0, 'e'));                       // 4: empty text
    m.add(frame(true, 0x2, 125, 'f'));                     // 5: binary, longest 7-bit length
    return m;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** What should come out when the messages at {@code dropped} are lost: the ping stays. */
  private static byte[] expected(List<byte[]> messages, Set<Integer> dropped) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(REQUEST);
    for (int i = 0; i < messages.size(); i++) {
      if (!dropped.contains(i)) {
        out.writeBytes(messages.get(i));
      } else if (i == 2) {
        out.writeBytes(frame(true, 0x9, 2, 'p'));
      }
    }
    out.writeBytes(frame(true, 0x8, 2, 'x')); // the close frame at the end
    return out.toByteArray();
  }

  private static byte[] run(byte[] stream, Set<Integer> dropped, SplittableRandom chunking) {
    int[] message = {0};
    FrameFilter filter = new FrameFilter(() -> dropped.contains(message[0]++));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (at < stream.length) {
      int n = Math.min(stream.length - at, chunking == null ? stream.length : 1 + chunking.nextInt(40));
      ByteBuffer result = filter.filter(ByteBuffer.wrap(stream, at, n));
      byte[] bytes = new byte[result.remaining()];
      result.get(bytes);
      out.writeBytes(bytes);
      at += n;
    }
    return out.toByteArray();
  }

  private static byte[] stream(List<byte[]> messages) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(REQUEST);
    messages.forEach(out::writeBytes);
    out.writeBytes(frame(true, 0x8, 2, 'x'));
    return out.toByteArray();
  }

  @Test
  void withNothingDroppedEveryByteIsForwardedInOrder() {
    byte[] stream = stream(messages());
    assertThat(run(stream, Set.of(), null)).isEqualTo(stream);
    assertThat(run(stream, Set.of(), new SplittableRandom(1))).isEqualTo(stream);
  }

  @Test
  void droppedMessagesGoWholeWithTheirContinuationsAndControlFramesStay() {
    List<byte[]> messages = messages();
    byte[] stream = stream(messages);
    for (Set<Integer> dropped : List.of(Set.of(0), Set.of(2), Set.of(1, 3), Set.of(0, 1, 2, 3, 4, 5), Set.of(5))) {
      assertThat(run(stream, dropped, null)).as("dropping %s", dropped).isEqualTo(expected(messages, dropped));
    }
  }

  @Test
  void theResultDoesNotDependOnHowTheBytesAreChunked() {
    List<byte[]> messages = messages();
    byte[] stream = stream(messages);
    Set<Integer> dropped = Set.of(1, 2, 4);
    byte[] whole = expected(messages, dropped);
    for (long seed = 0; seed < 50; seed++) {
      assertThat(run(stream, dropped, new SplittableRandom(seed))).as("chunking seed %d", seed).isEqualTo(whole);
    }
  }

  @Test
  void theRequestEndsAtTheFirstBlankLineEvenWithCarriageReturnsBeforeIt() {
    byte[] request = "GET / HTTP/1.1\r\nX: a\r\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] text = frame(true, 0x1, 3, 'z');
    FrameFilter filter = new FrameFilter(() -> true);
    ByteBuffer out = filter.filter(ByteBuffer.wrap(concat(request, text)));
    assertThat(out.remaining()).isEqualTo(request.length);
  }
}

package dev.tether.api;

/**
 * Rules of the protocol that both ends apply to frames, in one place so that client and server
 * cannot drift apart (see PROTOCOL.md, "Frames"). Stateless and thread-safe.
 */
public final class WireRules {
  /**
   * The WebSocket subprotocol of protocol v2 (PROTOCOL.md, "Protocol v2"), offered by Tether's
   * client and accepted by Tether's server: on such a connection the sender of a chat gets its ack
   * carrying {@code from}, {@code ts} and {@code epoch} instead of a copy of its own chat. A
   * connection that negotiates no subprotocol speaks v1.
   */
  public static final String PROTOCOL_V2 = "tether.v2";

  private WireRules() {}

  /**
   * Whether a text frame is an envelope: its first non-whitespace character is <code>{</code>.
   * Other text frames are plain text, outside the IM protocol.
   */
  public static boolean isEnvelope(CharSequence text) {
    for (int i = 0, n = text.length(); i < n; i++) {
      char c = text.charAt(i);
      if (!Character.isWhitespace(c)) {
        return c == '{';
      }
    }
    return false;
  }

  /**
   * The number of bytes {@code s} takes in UTF-8, without encoding it. An unpaired surrogate counts
   * as 3 bytes, what its replacement character takes.
   */
  public static long utf8Length(CharSequence s) {
    long n = 0;
    for (int i = 0, len = s.length(); i < len; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /**
   * Whether an endpoint may send {@code code} in a close frame (RFC 6455 section 7.4): 1000-1003,
   * 1007-1014 and 3000-4999. 1004, 1005, 1006 and 1015 are reserved for reporting, never sent.
   */
  public static boolean isSendableCloseCode(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
        || (code >= 3000 && code <= 4999);
  }
}

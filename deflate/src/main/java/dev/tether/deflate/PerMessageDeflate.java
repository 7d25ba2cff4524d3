package dev.tether.deflate;

import jakarta.websocket.Extension;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.zip.DataFormatException;
import org.glassfish.tyrus.core.extension.ExtendedExtension;
import org.glassfish.tyrus.core.frame.Frame;

/**
 * RFC 7692 permessage-deflate for Tyrus, client and server, over the JDK's zlib
 * ({@link java.util.zip}). Put it in a {@code ClientEndpointConfig}'s or
 * {@code ServerEndpointConfig}'s extensions; {@code TetherClient.Builder.compression(true)} and
 * {@code TetherServer} do that for you on Tyrus (Jetty and Tomcat have their own).
 *
 * <h2>What it does</h2>
 * <ul>
 *   <li>Data messages (text and binary, whole or fragmented) whose first frame has at least
 *       {@value #DEFAULT_THRESHOLD} bytes are compressed at level {@value #DEFAULT_LEVEL} (the
 *       fastest; chat text shrinks to about 40-50 %), RSV1 on the first frame only; smaller ones go
 *       as they are, which every peer accepts. Control frames are never touched.
 *   <li>An empty message is sent as a single {@code 0x00} (RFC 7692 7.2.3.6).
 *   <li>Inflating stops one byte past {@code maxMessageSize}: a tiny frame cannot inflate to
 *       gigabytes; the container sees a message over its limit and closes with 1009.
 *   <li><b>Server</b>: accepts the first acceptable offer and answers
 *       {@code server_no_context_takeover; client_no_context_takeover}: every message is
 *       compressed on its own, so a connection holds no zlib state between messages (a pooled
 *       deflater or inflater, a few per core, serves it while a message is worked on), instead of
 *       the ~300 KB per connection context takeover costs. Ratio is a little worse than with
 *       context takeover. An offer naming {@code server_max_window_bits} below 15 (the JDK's
 *       window cannot be made smaller) is accepted, and this side then sends uncompressed.
 *   <li><b>Client</b>: offers a plain {@code permessage-deflate} (no window bits: the JDK's is
 *       fixed at 15) and follows the server's answer: with context takeover each direction keeps
 *       a deflater or inflater for the connection's life (about 300 KB and 40 KB of native memory,
 *       freed when it closes); without, it borrows pooled ones.
 * </ul>
 *
 * <h2>Threads and state</h2>
 * One instance serves any number of connections: per-connection state lives in Tyrus's
 * {@link ExtendedExtension.ExtensionContext} and is ended in {@link #destroy}. Outgoing frames are
 * compressed on the sending thread (under Tyrus's write lock for the connection), incoming ones
 * inflated on its reading thread. Thread-safe.
 */
public final class PerMessageDeflate implements ExtendedExtension {
  /** The extension's name in {@code Sec-WebSocket-Extensions}. */
  public static final String NAME = "permessage-deflate";
  /** zlib level: 1 is the fastest and, for chat text, within a few points of the best ratio. */
  public static final int DEFAULT_LEVEL = 1;
  /**
   * Messages shorter than this, in bytes, are sent uncompressed: an ack or a join of about 90
   * bytes shrinks by 4 or 5 bytes on its own, not worth the CPU.
   */
  public static final int DEFAULT_THRESHOLD = 128;

  private static final String STATE = PerMessageDeflate.class.getName();
  private static final Set<String> PARAMETERS = Set.of("server_no_context_takeover",
      "client_no_context_takeover", "server_max_window_bits", "client_max_window_bits");

  private final boolean server;
  private final int level;
  private final int threshold;
  private final int maxMessageSize;

  private PerMessageDeflate(boolean server, int level, int threshold, int maxMessageSize) {
    if (level < 1 || level > 9) {
      throw new IllegalArgumentException("level not in [1, 9]: " + level);
    }
    if (threshold < 0) {
      throw new IllegalArgumentException("threshold < 0: " + threshold);
    }
    if (maxMessageSize < 1) {
      throw new IllegalArgumentException("maxMessageSize < 1: " + maxMessageSize);
    }
    this.server = server;
    this.level = level;
    this.threshold = threshold;
    this.maxMessageSize = maxMessageSize;
  }

  /**
   * The extension for a client endpoint config.
   *
   * @param maxMessageSize the largest message inflated, in bytes: the client's own limit
   */
  public static PerMessageDeflate client(int maxMessageSize) {
    return new PerMessageDeflate(false, DEFAULT_LEVEL, DEFAULT_THRESHOLD, maxMessageSize);
  }

  /**
   * The extension for a server endpoint config.
   *
   * @param maxMessageSize the largest message inflated, in bytes: the server's own limit
   */
  public static PerMessageDeflate server(int maxMessageSize) {
    return new PerMessageDeflate(true, DEFAULT_LEVEL, DEFAULT_THRESHOLD, maxMessageSize);
  }

  /**
   * This extension with another zlib level (1 fastest ... 9 smallest) and threshold (0 compresses
   * every message).
   *
   * @throws IllegalArgumentException if {@code level} is not in [1, 9] or {@code threshold} is negative
   */
  public PerMessageDeflate with(int level, int threshold) {
    return new PerMessageDeflate(server, level, threshold, maxMessageSize);
  }

  /**
   * Whether a server can accept the client's {@code offer}: a permessage-deflate offer whose
   * parameters are all known, none twice, window bits in [8, 15] (a bare
   * {@code client_max_window_bits} is allowed). RFC 7692 says to decline any other; a Tyrus server
   * can only decline in its configurator's {@code getNegotiatedExtensions}, which should drop the
   * offers this refuses.
   */
  public static boolean acceptable(Extension offer) {
    Objects.requireNonNull(offer, "offer == null");
    if (!NAME.equalsIgnoreCase(offer.getName())) {
      return false;
    }
    Set<String> seen = new HashSet<>();
    for (Parameter p : offer.getParameters()) {
      String name = p.getName() == null ? "" : p.getName().toLowerCase(Locale.ROOT);
      if (!PARAMETERS.contains(name) || !seen.add(name)) {
        return false;
      }
      String value = unquoted(p.getValue());
      switch (name) {
        case "server_no_context_takeover", "client_no_context_takeover" -> {
          if (value != null) {
            return false;
          }
        }
        case "server_max_window_bits" -> {
          if (windowBits(value) < 0) {
            return false;
          }
        }
        default -> { // client_max_window_bits: a value is optional
          if (value != null && windowBits(value) < 0) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /** 8..15, or -1 if {@code value} is not a window size. */
  private static int windowBits(String value) {
    if (value == null || value.isEmpty() || value.length() > 2 || !value.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    int bits = Integer.parseInt(value);
    return bits >= 8 && bits <= 15 ? bits : -1;
  }

  private static String unquoted(String value) {
    return value != null && value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
        ? value.substring(1, value.length() - 1) : value;
  }

  @Override
  public String getName() {
    return NAME;
  }

  /** The client's offer: none (a plain {@code permessage-deflate}). */
  @Override
  public List<Parameter> getParameters() {
    return List.of();
  }

  /** Server side: the client's offer in, the parameters of our answer out. */
  @Override
  public List<Parameter> onExtensionNegotiation(ExtensionContext context, List<Parameter> requested) {
    boolean compress = true;
    List<Parameter> answer = new ArrayList<>();
    answer.add(new Param("server_no_context_takeover", null));
    answer.add(new Param("client_no_context_takeover", null));
    for (Parameter p : requested == null ? List.<Parameter>of() : requested) {
      if ("server_max_window_bits".equalsIgnoreCase(p.getName())) {
        int bits = windowBits(unquoted(p.getValue()));
        // Smaller than the JDK's window: promise it, and keep it by never compressing.
        compress = bits == 15;
        if (bits > 0) {
          answer.add(new Param("server_max_window_bits", String.valueOf(bits)));
        }
      }
    }
    context.getProperties().put(STATE, new State(
        compress ? new Compressor(level, false, threshold) : null, new Decompressor(false, maxMessageSize)));
    return answer;
  }

  /** Client side: the server accepted; its parameters say how each side treats its context. */
  @Override
  public void onHandshakeResponse(ExtensionContext context, List<Parameter> response) {
    boolean ourContext = true;
    boolean theirContext = true;
    boolean compress = true;
    for (Parameter p : response == null ? List.<Parameter>of() : response) {
      String name = p.getName() == null ? "" : p.getName().toLowerCase(Locale.ROOT);
      switch (name) {
        case "client_no_context_takeover" -> ourContext = false;
        case "server_no_context_takeover" -> theirContext = false;
        // Not offered, so not allowed; if a server names a window below ours, send uncompressed.
        case "client_max_window_bits" -> compress = windowBits(unquoted(p.getValue())) == 15;
        default -> { } // server_max_window_bits: any window inflates with ours
      }
    }
    context.getProperties().put(STATE, new State(compress ? new Compressor(level, ourContext, threshold) : null,
        new Decompressor(theirContext, maxMessageSize)));
  }

  @Override
  public Frame processOutgoing(ExtensionContext context, Frame frame) {
    State state = state(context);
    if (state == null || state.compressor() == null || frame.isControlFrame()) {
      return frame;
    }
    boolean first = frame.getOpcode() != 0;
    byte[] compressed = state.compressor().compress(frame.getPayloadData(), first, frame.isFin());
    return compressed == null ? frame : Frame.builder(frame).payloadData(compressed).rsv1(first).build();
  }

  /**
   * @throws IllegalStateException if the frame is not valid DEFLATE data; Tyrus then passes the
   *     frame on with RSV1 set, and fails the connection with 1002
   */
  @Override
  public Frame processIncoming(ExtensionContext context, Frame frame) {
    State state = state(context);
    if (state == null || frame.isControlFrame()) {
      return frame;
    }
    byte[] inflated;
    try {
      inflated = state.decompressor().inflate(frame.getPayloadData(), frame.getOpcode() != 0, frame.isRsv1(),
          frame.isFin());
    } catch (DataFormatException e) {
      throw new IllegalStateException("permessage-deflate: not valid DEFLATE data: " + e.getMessage(), e);
    }
    return inflated == null ? frame : Frame.builder(frame).payloadData(inflated).rsv1(false).build();
  }

  @Override
  public void destroy(ExtensionContext context) {
    Object state = context.getProperties().remove(STATE);
    if (state instanceof State s) {
      if (s.compressor() != null) {
        s.compressor().close();
      }
      s.decompressor().close();
    }
  }

  private static State state(ExtensionContext context) {
    return context.getProperties().get(STATE) instanceof State s ? s : null;
  }

  @Override
  public String toString() {
    return "PerMessageDeflate{" + (server ? "server" : "client") + ", level " + level + ", threshold "
        + threshold + " B, max " + maxMessageSize + " B}";
  }

  /** One connection's halves; {@code compressor} null if this side must send uncompressed. */
  private record State(Compressor compressor, Decompressor decompressor) {}

  /** An extension parameter of our answer. */
  private record Param(String name, String value) implements Parameter {
    @Override
    public String getName() {
      return name;
    }

    @Override
    public String getValue() {
      return value;
    }
  }
}

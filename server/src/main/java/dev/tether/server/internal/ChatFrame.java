package dev.tether.server.internal;

import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.server.RoomStore;

/**
 * The server's renderer of an accepted chat: the client's envelope stamped with its sender, seq,
 * time and epoch, encoded by {@link EnvelopeCodec}. A store that knows it can have the frame
 * {@linkplain #template() as a template} and fill in the seq and epoch itself, in the same step
 * that picks them (the Redis store does, in its Lua script). Immutable.
 */
final class ChatFrame implements RoomStore.FrameRenderer {
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();

  private final Envelope chat;
  private final String user;
  private final long ts;

  ChatFrame(Envelope chat, String user, long ts) {
    this.chat = chat;
    this.user = user;
    this.ts = ts;
  }

  @Override
  public String render(long seq, String epoch) {
    return CODEC.encode(chat.accepted(user, seq, ts, epoch));
  }

  /** The frame with holes for the seq and the epoch; null in the unlikely case none could be made. */
  FrameTemplate template() {
    return FrameTemplate.of(this);
  }
}

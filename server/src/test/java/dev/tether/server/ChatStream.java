package dev.tether.server;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ErrorReply;
import dev.tether.api.Wire;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A member for load tests that keeps nothing per chat: it checks that one room's chats arrive with
 * consecutive seqs (any break is recorded as a violation), counts them, and lets a sender keep a
 * window of unacked chats. Callbacks come on the container's threads, one at a time per connection.
 */
final class ChatStream extends Endpoint {
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();

  final String room;
  /** Seq of the newest chat delivered; starts at the resume's after, or 0. */
  final AtomicLong last = new AtomicLong();
  final AtomicLong chats = new AtomicLong();
  final AtomicReference<String> violation = new AtomicReference<>();
  final CompletableFuture<CloseReason> closed = new CompletableFuture<>();
  private final ConcurrentHashMap<String, CompletableFuture<Long>> acks = new ConcurrentHashMap<>();
  private final Semaphore window;
  private volatile Session session;

  ChatStream(String room, long after, int window) {
    this.room = room;
    this.last.set(after);
    this.window = new Semaphore(window);
  }

  static ChatStream connect(URI uri, String room, long after, int window) throws Exception {
    ChatStream s = new ChatStream(room, after, window);
    TyrusClients.container().connectToServer(s, ClientEndpointConfig.Builder.create().build(), uri);
    return s;
  }

  @Override
  public void onOpen(Session session, EndpointConfig config) {
    this.session = session;
    session.setMaxTextMessageBufferSize(4 << 20);
    session.addMessageHandler(String.class, (MessageHandler.Whole<String>) this::onText);
  }

  private void onText(String text) {
    Wire w = CODEC.decode(text);
    if (w instanceof Envelope e && room.equals(e.room())) {
      long expected = last.get() + 1;
      if (e.seq() != expected && violation.get() == null) {
        violation.set("expected seq " + expected + ", got " + e.seq());
      }
      last.set(e.seq());
      chats.incrementAndGet();
    } else if (w instanceof Ack a) {
      CompletableFuture<Long> f = acks.remove(a.id());
      if (f != null) {
        window.release();
        f.complete(a.seq());
      }
    } else if (w instanceof ErrorReply error) {
      CompletableFuture<Long> f = error.id() == null ? null : acks.remove(error.id());
      if (f != null) {
        window.release();
        f.completeExceptionally(new IllegalStateException(error.code() + ": " + error.message()));
      } else if (!ErrorReply.HISTORY_GAP.equals(error.code())) {
        violation.compareAndSet(null, "error " + error.code() + ": " + error.message());
      }
    }
  }

  @Override
  public void onClose(Session session, CloseReason reason) {
    closed.complete(reason);
  }

  /** Sends an envelope, waiting for room in the window; the future completes with its ack's seq. */
  CompletableFuture<Long> send(Envelope e) throws Exception {
    if (!window.tryAcquire(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("no ack for 30 s");
    }
    CompletableFuture<Long> f = new CompletableFuture<>();
    acks.put(e.id(), f);
    session.getAsyncRemote().sendText(CODEC.encode(e));
    return f;
  }

  void close() {
    try {
      session.close();
    } catch (Exception ignored) {
      // test cleanup
    }
  }
}

package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.Wire;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.WebSocketContainer;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A plain JSR-356 client connection, on whichever container a test gives it, that queues every
 * callback; tests take them in order with a timeout. Frames are checked byte for byte, so a
 * container that corrupts binary or text shows.
 */
public final class WsClient extends Endpoint {
  public static final Duration TIMEOUT = Duration.ofSeconds(10);

  public sealed interface Event permits Text, Binary, Pong, Closed, Failure {}

  public record Text(String text) implements Event {}

  public record Binary(byte[] bytes) implements Event {}

  public record Pong(byte[] bytes) implements Event {}

  public record Closed(int code, String reason) implements Event {}

  public record Failure(Throwable error) implements Event {}

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private volatile Session session;

  /** Connects to {@code uri} with these extra handshake headers, offering no subprotocol (v1). */
  public static WsClient connect(WebSocketContainer container, URI uri, Map<String, List<String>> headers)
      throws DeploymentException, IOException {
    return connect(container, uri, headers, List.of());
  }

  /** Connects to {@code uri} with these extra handshake headers, offering {@code subprotocols}. */
  public static WsClient connect(WebSocketContainer container, URI uri, Map<String, List<String>> headers,
      List<String> subprotocols) throws DeploymentException, IOException {
    WsClient client = new WsClient();
    ClientEndpointConfig config = ClientEndpointConfig.Builder.create()
        .preferredSubprotocols(subprotocols)
        .configurator(new ClientEndpointConfig.Configurator() {
          @Override
          public void beforeRequest(Map<String, List<String>> request) {
            headers.forEach((name, values) -> {
              request.keySet().removeIf(name::equalsIgnoreCase);
              if (!values.isEmpty()) {
                request.put(name, values);
              }
            });
          }
        })
        .build();
    container.connectToServer(client, config, uri);
    return client;
  }

  @Override
  public void onOpen(Session session, EndpointConfig config) {
    this.session = session;
    session.setMaxTextMessageBufferSize(8 << 20);
    session.setMaxBinaryMessageBufferSize(8 << 20);
    session.addMessageHandler(String.class, (MessageHandler.Whole<String>) t -> events.add(new Text(t)));
    session.addMessageHandler(ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) b -> events.add(new Binary(bytes(b))));
    session.addMessageHandler(PongMessage.class,
        (MessageHandler.Whole<PongMessage>) p -> events.add(new Pong(bytes(p.getApplicationData()))));
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  @Override
  public void onClose(Session session, CloseReason reason) {
    events.add(new Closed(reason.getCloseCode().getCode(), reason.getReasonPhrase()));
  }

  @Override
  public void onError(Session session, Throwable error) {
    events.add(new Failure(error));
  }

  public void send(String text) throws IOException {
    session.getBasicRemote().sendText(text);
  }

  public void send(Wire wire) throws IOException {
    send(EnvelopeCodec.shared().encode(wire));
  }

  public void send(byte[] bytes) throws IOException {
    session.getBasicRemote().sendBinary(ByteBuffer.wrap(bytes));
  }

  public void ping(byte[] payload) throws IOException {
    session.getBasicRemote().sendPing(ByteBuffer.wrap(payload));
  }

  /** The subprotocol the server accepted; empty for none. */
  public String subprotocol() {
    String p = session.getNegotiatedSubprotocol();
    return p == null ? "" : p;
  }

  /** Sends a pong nobody asked for (RFC 6455 allows it, as a one-way heartbeat). */
  public void pong(byte[] payload) throws IOException {
    session.getBasicRemote().sendPong(ByteBuffer.wrap(payload));
  }

  public boolean isOpen() {
    return session != null && session.isOpen();
  }

  public void close() {
    try {
      if (session != null && session.isOpen()) {
        session.close();
      }
    } catch (IOException | RuntimeException ignored) {
      // best effort in test cleanup
    }
  }

  public Event next() throws InterruptedException {
    return next(TIMEOUT);
  }

  public Event next(Duration timeout) throws InterruptedException {
    Event e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (e == null) {
      fail("no event within " + timeout.toMillis() + " ms");
    }
    return e;
  }

  public String nextText() throws InterruptedException {
    Event e = next();
    assertThat(e).isInstanceOf(Text.class);
    return ((Text) e).text();
  }

  public Wire nextWire() throws InterruptedException {
    return EnvelopeCodec.shared().decode(nextText());
  }

  /** The ack of a chat this member sent, and its own copy of the chat. */
  public record OwnChat(Ack ack, Envelope copy) {}

  /**
   * Takes the ack of {@code chat}, which this member sent, and its own copy of it, in whichever order
   * they come: on a v1 connection a sender's copy may come before or after its ack (PROTOCOL.md,
   * "Answers come in receipt order"). Fails if anything else comes first.
   */
  public OwnChat ownChat(Envelope chat) throws InterruptedException {
    Ack ack = null;
    Envelope copy = null;
    while (ack == null || copy == null) {
      Wire w = nextWire();
      if (w instanceof Envelope e && copy == null) {
        assertThat(e.id()).as("the copy of the chat sent").isEqualTo(chat.id());
        copy = e;
      } else {
        assertThat(w).as("the ack of the chat sent (its copy came: %s)", copy).isInstanceOf(Ack.class);
        assertThat(ack).as("a second ack: %s", w).isNull();
        ack = (Ack) w;
        assertThat(ack.id()).as("the ack of the chat sent").isEqualTo(chat.id());
      }
    }
    return new OwnChat(ack, copy);
  }

  public byte[] nextBinary() throws InterruptedException {
    Event e = next();
    assertThat(e).isInstanceOf(Binary.class);
    return ((Binary) e).bytes();
  }

  /** The close event, skipping failures reported before it. */
  public Closed nextClose() throws InterruptedException {
    return nextClose(TIMEOUT);
  }

  public Closed nextClose(Duration timeout) throws InterruptedException {
    while (true) {
      Event e = next(timeout);
      if (e instanceof Closed c) {
        return c;
      }
      assertThat(e).isInstanceOf(Failure.class);
    }
  }

  /** Asserts that nothing arrives within {@code window}: a bounded negative check. */
  public void assertNothingWithin(Duration window) throws InterruptedException {
    Event e = events.poll(window.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(e).as("unexpected event").isNull();
  }
}

package dev.tether.stub;

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
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.glassfish.tyrus.client.ClientManager;
import org.glassfish.tyrus.client.ClientProperties;

/**
 * A plain Tyrus client connection that queues every callback; tests take them in order with a
 * timeout. One shared {@link ClientManager} serves all tests.
 */
final class WsRecorder extends Endpoint {
  static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final ClientManager CLIENT = ClientManager.createClient();

  static {
    // One Grizzly transport for every test connection instead of one each.
    CLIENT.getProperties().put(ClientProperties.SHARED_CONTAINER, true);
    // Tyrus's client ignores a connection that closes before the handshake response and waits for
    // this timeout (30 s by default); keep such a wait short should a test ever hit it.
    CLIENT.getProperties().put(ClientProperties.HANDSHAKE_TIMEOUT, 5_000);
  }

  /**
   * One connection held open for the life of the test JVM. Tyrus's client shuts its executors down
   * whenever its last open connection ends; a connection being opened at that moment (the next
   * test's, while the server closes the previous test's) then fails with a
   * RejectedExecutionException. With this one always open, the count never reaches zero.
   */
  private static final class Anchor {
    static final StubServer SERVER = StubServer.start();

    static {
      try {
        CLIENT.connectToServer(new WsRecorder(), ClientEndpointConfig.Builder.create().build(),
            URI.create(SERVER.uri() + "?user=anchor"));
      } catch (DeploymentException | IOException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    static void hold() {}
  }

  sealed interface Event permits Text, Binary, Pong, Closed, Failure {}

  record Text(String text) implements Event {}

  record Binary(byte[] bytes) implements Event {}

  record Pong(byte[] bytes) implements Event {}

  record Closed(int code, String reason) implements Event {}

  record Failure(Throwable error) implements Event {}

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private volatile Session session;

  static WsRecorder connect(URI uri) throws DeploymentException, IOException {
    Anchor.hold();
    WsRecorder recorder = new WsRecorder();
    CLIENT.connectToServer(recorder, ClientEndpointConfig.Builder.create().build(), uri);
    return recorder;
  }

  /**
   * Connects with these handshake headers set (an empty list removes a header the client would
   * send, such as {@code Origin}).
   */
  static WsRecorder connect(URI uri, Map<String, List<String>> headers)
      throws DeploymentException, IOException {
    Anchor.hold();
    WsRecorder recorder = new WsRecorder();
    ClientEndpointConfig config = ClientEndpointConfig.Builder.create()
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
    CLIENT.connectToServer(recorder, config, uri);
    return recorder;
  }

  static WsRecorder connect(URI base, String user) throws DeploymentException, IOException {
    return connect(URI.create(base + "?user=" + user));
  }

  @Override
  public void onOpen(Session session, EndpointConfig config) {
    this.session = session;
    session.addMessageHandler(String.class, (MessageHandler.Whole<String>) t -> events.add(new Text(t)));
    session.addMessageHandler(ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) b -> {
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      events.add(new Binary(bytes));
    });
    session.addMessageHandler(PongMessage.class, (MessageHandler.Whole<PongMessage>) p -> {
      ByteBuffer data = p.getApplicationData();
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      events.add(new Pong(bytes));
    });
  }

  @Override
  public void onClose(Session session, CloseReason reason) {
    events.add(new Closed(reason.getCloseCode().getCode(), reason.getReasonPhrase()));
  }

  @Override
  public void onError(Session session, Throwable error) {
    events.add(new Failure(error));
  }

  void send(String text) throws IOException {
    session.getBasicRemote().sendText(text);
  }

  void send(Wire wire) throws IOException {
    send(EnvelopeCodec.shared().encode(wire));
  }

  /** Sends {@code text} as one fragment of a text message; {@code last} ends the message. */
  void sendPart(String text, boolean last) throws IOException {
    session.getBasicRemote().sendText(text, last);
  }

  void ping(byte[] payload) throws IOException {
    session.getBasicRemote().sendPing(ByteBuffer.wrap(payload));
  }

  void send(byte[] bytes) throws IOException {
    session.getBasicRemote().sendBinary(ByteBuffer.wrap(bytes));
  }

  void close() {
    try {
      if (session != null && session.isOpen()) {
        session.close();
      }
    } catch (IOException | RuntimeException ignored) {
      // best effort in test cleanup
    }
  }

  /** The next event, or null if none comes within {@code timeout}. */
  Event poll(Duration timeout) throws InterruptedException {
    return events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  Event next() throws InterruptedException {
    Event e = events.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    if (e == null) {
      fail("no event within " + TIMEOUT.toMillis() + " ms");
    }
    return e;
  }

  String nextText() throws InterruptedException {
    Event e = next();
    assertThat(e).isInstanceOf(Text.class);
    return ((Text) e).text();
  }

  Wire nextWire() throws InterruptedException {
    return EnvelopeCodec.shared().decode(nextText());
  }

  /**
   * What came back for the envelopes a test sent: the answers (acks and errors), in the order they
   * came, and the chats, in the order they came.
   */
  record Replies(List<Wire> answers, List<Envelope> chats) {
    /** The one answer, which must be an ack. */
    Ack ack() {
      assertThat(answers).hasSize(1);
      assertThat(answers.get(0)).isInstanceOf(Ack.class);
      return (Ack) answers.get(0);
    }

    /** The one chat. */
    Envelope copy() {
      assertThat(chats).hasSize(1);
      return chats.get(0);
    }
  }

  /**
   * Takes frames until {@code answers} acks and errors and {@code chats} chats have come, keeping
   * each kind in its order. A test must not depend on how the two kinds interleave: on a v1
   * connection a sender's own copy of a chat may come before or after its ack (PROTOCOL.md,
   * "Answers come in receipt order").
   */
  Replies replies(int answers, int chats) throws InterruptedException {
    Replies r = new Replies(new ArrayList<>(), new ArrayList<>());
    while (r.answers().size() < answers || r.chats().size() < chats) {
      Wire w = nextWire();
      if (w instanceof Envelope e) {
        assertThat(r.chats()).as("more chats than %d; answers so far %s", chats, r.answers()).hasSizeLessThan(chats);
        r.chats().add(e);
      } else {
        assertThat(r.answers()).as("more answers than %d; chats so far %s", answers, r.chats())
            .hasSizeLessThan(answers);
        r.answers().add(w);
      }
    }
    return r;
  }

  /**
   * The answer to {@code chat}, sent by this member, and the member's own copy of it, in whichever
   * order they come (see {@link #replies}); nothing else may come first.
   */
  Replies ownChat(Envelope chat) throws InterruptedException {
    Replies r = replies(1, 1);
    assertThat(r.copy().id()).as("the copy of the chat sent").isEqualTo(chat.id());
    return r;
  }

  /**
   * Joins {@code room}: sends a join and returns the answer, which must be the join's ack and name
   * the room's epoch.
   */
  Ack joined(String room) throws Exception {
    Envelope join = Envelope.join(room);
    send(join);
    Wire reply = nextWire();
    assertThat(reply).isInstanceOf(Ack.class);
    Ack ack = (Ack) reply;
    assertThat(ack.id()).isEqualTo(join.id());
    assertThat(ack.epoch()).isNotEmpty();
    return ack;
  }

  byte[] nextBinary() throws InterruptedException {
    Event e = next();
    assertThat(e).isInstanceOf(Binary.class);
    return ((Binary) e).bytes();
  }

  /** The close event, skipping failures reported before it. */
  Closed nextClose() throws InterruptedException {
    while (true) {
      Event e = next();
      if (e instanceof Closed c) {
        return c;
      }
      assertThat(e).isInstanceOf(Failure.class);
    }
  }

  /** Asserts that nothing arrives within {@code window}: a bounded negative check. */
  void assertNothingWithin(Duration window) throws InterruptedException {
    Event e = events.poll(window.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(e).as("unexpected event").isNull();
  }

  void assertExhausted() {
    assertThat(events).isEmpty();
  }
}

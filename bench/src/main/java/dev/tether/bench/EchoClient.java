package dev.tether.bench;

import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.TetherClient;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.WebSocketListener;
import org.glassfish.tyrus.client.ClientManager;
import org.glassfish.tyrus.client.ClientProperties;
import org.java_websocket.handshake.ServerHandshake;

/**
 * One connection to the echo server through one of the compared WebSocket clients. {@link #send}
 * is called from one thread; the reply consumer gets back the text that was sent (the echo, or for
 * Tether envelopes the chat's text once its ack arrives) on the client's own thread.
 */
interface EchoClient {
  /** Kinds, in report order. */
  String[] KINDS = {"tyrus", "tyrus-noidle", "okhttp", "java-websocket", "jdk", "tether-raw",
      "tether-raw-direct", "tether-envelope"};

  void send(String text) throws Exception;

  static EchoClient open(String kind, URI uri, Consumer<String> onReply) throws Exception {
    return switch (kind) {
      case "tyrus" -> tyrus(uri, onReply, false);
      case "tyrus-noidle" -> tyrus(uri, onReply, true);
      case "okhttp" -> okhttp(uri, onReply);
      case "java-websocket" -> javaWebSocket(uri, onReply);
      case "jdk" -> jdk(uri, onReply);
      case "tether-raw" -> tetherRaw(uri, onReply, false);
      case "tether-raw-direct" -> tetherRaw(uri, onReply, true);
      case "tether-envelope" -> tetherEnvelope(uri, onReply);
      default -> throw new IllegalArgumentException("unknown client kind: " + kind);
    };
  }

  /** Raw Tyrus: ClientManager with the shared container, getAsyncRemote().sendText. */
  private static EchoClient tyrus(URI uri, Consumer<String> onReply, boolean noIdleTimeout)
      throws Exception {
    ClientManager manager = ClientManager.createClient();
    manager.getProperties().put(ClientProperties.SHARED_CONTAINER, true);
    Session session = manager.connectToServer(new Endpoint() {
      @Override
      public void onOpen(Session session, EndpointConfig config) {
        session.addMessageHandler(String.class, (MessageHandler.Whole<String>) onReply::accept);
      }
    }, ClientEndpointConfig.Builder.create().build(), uri);
    if (noIdleTimeout) {
      session.setMaxIdleTimeout(-1);
    }
    var remote = session.getAsyncRemote();
    return remote::sendText;
  }

  private static EchoClient okhttp(URI uri, Consumer<String> onReply) throws Exception {
    OkHttpClient client = new OkHttpClient.Builder().build();
    CountDownLatch open = new CountDownLatch(1);
    okhttp3.WebSocket ws = client.newWebSocket(new Request.Builder().url(uri.toString()).build(),
        new WebSocketListener() {
          @Override
          public void onOpen(okhttp3.WebSocket webSocket, okhttp3.Response response) {
            open.countDown();
          }

          @Override
          public void onMessage(okhttp3.WebSocket webSocket, String text) {
            onReply.accept(text);
          }
        });
    await(open, "okhttp");
    return text -> {
      if (!ws.send(text)) {
        throw new IllegalStateException("okhttp refused send (queue full or closed)");
      }
    };
  }

  private static EchoClient javaWebSocket(URI uri, Consumer<String> onReply) throws Exception {
    var client = new org.java_websocket.client.WebSocketClient(uri) {
      @Override
      public void onOpen(ServerHandshake handshake) {}

      @Override
      public void onMessage(String message) {
        onReply.accept(message);
      }

      @Override
      public void onClose(int code, String reason, boolean remote) {}

      @Override
      public void onError(Exception ex) {
        System.err.println("java-websocket: " + ex);
      }
    };
    if (!client.connectBlocking(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("java-websocket did not connect");
    }
    return client::send;
  }

  /** The JDK client allows one outstanding send: each send waits for the previous one. */
  private static EchoClient jdk(URI uri, Consumer<String> onReply) throws Exception {
    WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
        .buildAsync(uri, new WebSocket.Listener() {
          private final StringBuilder partial = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            if (last && partial.length() == 0) {
              onReply.accept(data.toString());
            } else {
              partial.append(data);
              if (last) {
                onReply.accept(partial.toString());
                partial.setLength(0);
              }
            }
            webSocket.request(1);
            return null;
          }
        }).get(10, TimeUnit.SECONDS);
    return text -> ws.sendText(text, true).join();
  }

  private static TetherClient tether(URI uri, SocketDelegate delegate) throws Exception {
    return tether(uri, delegate, false);
  }

  private static TetherClient tether(URI uri, SocketDelegate delegate, boolean direct) throws Exception {
    CountDownLatch open = new CountDownLatch(1);
    TetherClient.Builder builder = TetherClient.builder(uri);
    if (direct) {
      builder.callbackExecutor(Runnable::run);
    }
    TetherClient client = builder.delegate(new SocketDelegate() {
      @Override
      public void onOpen(TetherSocket socket) {
        open.countDown();
        delegate.onOpen(socket);
      }

      @Override
      public void onMessage(TetherSocket socket, String text) {
        delegate.onMessage(socket, text);
      }

      @Override
      public void onEnvelope(TetherSocket socket, Envelope envelope) {
        delegate.onEnvelope(socket, envelope);
      }
    }).build();
    client.open();
    await(open, "tether");
    return client;
  }

  /** @param direct callbacks on the thread that caused them ({@code Runnable::run}), no hand-off */
  private static EchoClient tetherRaw(URI uri, Consumer<String> onReply, boolean direct) throws Exception {
    TetherClient client = tether(withUser(uri, "raw"), new SocketDelegate() {
      @Override
      public void onMessage(TetherSocket socket, String text) {
        onReply.accept(text);
      }
    }, direct);
    return text -> {
      if (!client.send(text)) {
        throw new IllegalStateException("tether refused send: " + client.readyState());
      }
    };
  }

  /**
   * Our own chats handed to {@code onEnvelope} (a copy on v1, the ack's chat on v2), counted but not
   * waited for: the window is released by the ack.
   */
  AtomicLong FAN_OUTS = new AtomicLong();

  private static EchoClient tetherEnvelope(URI uri, Consumer<String> onReply) throws Exception {
    TetherClient client = tether(withUser(uri, "env"), new SocketDelegate() {
      @Override
      public void onEnvelope(TetherSocket socket, Envelope envelope) {
        FAN_OUTS.incrementAndGet();
      }
    });
    client.send(Envelope.join("bench")).get(10, TimeUnit.SECONDS);
    FAN_OUTS.set(0);
    return text -> {
      CompletableFuture<?> ack = client.send(Envelope.chat("bench", text));
      ack.whenComplete((a, e) -> {
        if (e != null) {
          System.err.println("tether-envelope: " + e);
        }
        onReply.accept(text);
      });
    };
  }

  static URI withUser(URI uri, String user) {
    return URI.create(uri + "?user=" + user);
  }

  private static void await(CountDownLatch latch, String what) throws InterruptedException {
    if (!latch.await(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException(what + " did not open within 10 s");
    }
  }
}

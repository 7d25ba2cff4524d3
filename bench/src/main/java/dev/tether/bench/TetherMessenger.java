package dev.tether.bench;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.TetherClient;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Tether's systems of the {@code compare} workload, each {@link TetherClient} with its defaults:
 * raw text echoed by the server (delivered = the echo, no acks), and chat envelopes in a room
 * (acked = the send's future completed with the server's ack; delivered = the chat reached
 * {@code onEnvelope} at the subscriber: the sender itself for "self", a second client of another
 * user in the same room for "A→B").
 */
final class TetherMessenger implements Messenger {
  private final List<TetherClient> clients;
  private final Sender sender;
  private final boolean acks;

  private interface Sender {
    void send(String text) throws Exception;
  }

  private TetherMessenger(List<TetherClient> clients, Sender sender, boolean acks) {
    this.clients = clients;
    this.sender = sender;
    this.acks = acks;
  }

  static Messenger raw(URI uri, Events events) throws Exception {
    TetherClient client = open(EchoClient.withUser(uri, "cmp-raw-" + ProcessHandle.current().pid()),
        new SocketDelegate() {
          @Override
          public void onMessage(TetherSocket socket, String text) {
            events.delivered();
          }
        });
    return new TetherMessenger(List.of(client), text -> {
      if (!client.send(text)) {
        throw new IllegalStateException("tether refused send: " + client.readyState());
      }
    }, false);
  }

  /** @param ab publisher and subscriber on two connections (users); else one does both */
  static Messenger envelopes(URI uri, Events events, boolean ab) throws Exception {
    long pid = ProcessHandle.current().pid();
    String room = "cmp-" + (ab ? "ab-" : "self-") + pid;
    SocketDelegate subscriber = new SocketDelegate() {
      @Override
      public void onEnvelope(TetherSocket socket, Envelope envelope) {
        if (envelope.type() == Envelope.Type.CHAT) {
          events.delivered();
        }
      }
    };
    TetherClient b = ab ? open(EchoClient.withUser(uri, "cmp-b-" + pid), subscriber) : null;
    TetherClient a = open(EchoClient.withUser(uri, "cmp-a-" + pid), ab ? new SocketDelegate() {} : subscriber);
    a.send(Envelope.join(room)).get(10, TimeUnit.SECONDS);
    if (b != null) {
      b.send(Envelope.join(room)).get(10, TimeUnit.SECONDS);
    }
    BiConsumer<Ack, Throwable> onAck = (ack, error) -> {
      if (error != null) {
        events.failed(error);
      } else {
        events.acked();
      }
    };
    return new TetherMessenger(b == null ? List.of(a) : List.of(a, b),
        text -> a.send(Envelope.chat(room, text)).whenComplete(onAck), true);
  }

  private static TetherClient open(URI uri, SocketDelegate delegate) throws InterruptedException {
    CountDownLatch open = new CountDownLatch(1);
    TetherClient client = TetherClient.builder(uri).delegate(new SocketDelegate() {
      @Override
      public void onOpen(TetherSocket socket) {
        open.countDown();
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
    if (!open.await(10, TimeUnit.SECONDS)) {
      client.close();
      throw new IllegalStateException("tether did not open within 10 s: " + uri);
    }
    return client;
  }

  @Override
  public void send(String text) throws Exception {
    sender.send(text);
  }

  @Override
  public boolean acks() {
    return acks;
  }

  @Override
  public void close() {
    clients.forEach(TetherClient::close);
  }
}

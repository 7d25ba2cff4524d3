package dev.tether.samples;

import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.NetworkMonitor;
import dev.tether.client.ReconnectPolicy;
import dev.tether.client.TetherClient;
import dev.tether.stub.StubServer;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Alice and Bob chat in a room on an embedded stub server. Halfway through, the server restarts
 * while Alice is also offline: her messages wait in the outbox, Bob reconnects and rejoins on his
 * own, and when Alice's network returns her messages are delivered in order. With {@code --reset},
 * the server instead loses its state halfway through, as an in-memory server that crashed and came
 * back: each of them is told once that the room was reset, and the conversation goes on in the
 * room's new stream. Ends with {@code demo: N/N delivered}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Alice and Bob chat through an embedded stub server that restarts mid-conversation"
        + " (or, with --reset, loses its state).")
final class DemoCommand implements Callable<Integer> {
  private static final String ROOM = "lobby";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Option(names = "--messages", defaultValue = "12",
      description = "Messages in the conversation, at least 4 (default: ${DEFAULT-VALUE}).")
  int messages;

  @Option(names = "--reset",
      description = "Halfway through, the server loses its state (rooms, seqs, history) instead of restarting.")
  boolean reset;

  private final PrintStream out;
  /** One permit per message delivered to the other participant. */
  private final Semaphore deliveries = new Semaphore(0);
  /** Permits taken from {@link #deliveries} so far; touched by the demo thread only. */
  private int counted;

  DemoCommand() {
    this(System.out);
  }

  DemoCommand(PrintStream out) {
    this.out = out;
  }

  /** One participant: a client plus what it has received from the other. */
  private final class Person implements SocketDelegate {
    final String name;
    final Set<String> received = ConcurrentHashMap.newKeySet();
    final Semaphore opens = new Semaphore(0);
    final Semaphore closes = new Semaphore(0);
    final NetworkMonitor.Manual network = NetworkMonitor.manual(true);
    TetherClient client;

    Person(String name, URI server) {
      this.name = name;
      this.client = TetherClient.builder(URI.create(server + "?user=" + name))
          .delegate(this)
          .networkMonitor(network)
          .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(100), Duration.ofSeconds(1)).withJitter(0.5))
          .build();
    }

    @Override
    public void onOpen(TetherSocket socket) {
      out.println("  " + name + ": connected");
      opens.release();
    }

    @Override
    public void onEnvelope(TetherSocket socket, Envelope e) {
      if (e.type() == Envelope.Type.CHAT && !name.equals(e.from()) && received.add(e.id())) {
        out.println("  " + name + " got [" + e.room() + " #" + e.seq() + "] " + e.from() + ": " + e.text());
        deliveries.release();
      }
    }

    @Override
    public void onReset(TetherSocket socket, String room, long lastSeqBefore) {
      out.println("  " + name + ": " + room + " was reset after #" + lastSeqBefore
          + " (the server lost it); an app reloads the room from its own records here");
    }

    @Override
    public void onClose(TetherSocket socket, int code, String reason, boolean wasClean) {
      out.println("  " + name + ": disconnected (" + code + (wasClean ? ", clean" : ", connection lost") + ")");
      closes.release();
    }

    @Override
    public void onReconnecting(TetherSocket socket, int attempt, Duration delay) {
      out.println("  " + name + ": reconnecting in " + delay.toMillis() + " ms (attempt " + attempt + ")");
    }

    void awaitOpen() throws InterruptedException {
      if (!opens.tryAcquire(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(name + " did not connect within " + WAIT);
      }
    }

    void closeAndAwait() throws InterruptedException {
      closes.drainPermits();
      client.close();
      closes.tryAcquire(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    void join() throws Exception {
      client.send(Envelope.join(ROOM)).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    void say(String text) {
      client.send(Envelope.chat(ROOM, text));
    }
  }

  @Override
  public Integer call() throws Exception {
    if (messages < 4) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "--messages must be at least 4: " + messages);
    }
    try (StubServer server = StubServer.start()) {
      out.println("stub server on " + server.uri());
      Person alice = new Person("alice", server.uri());
      Person bob = new Person("bob", server.uri());
      try {
        alice.client.open();
        bob.client.open();
        alice.awaitOpen();
        bob.awaitOpen();
        alice.join();
        bob.join();

        int beforeRestart = messages / 2;
        int duringOutage = Math.max(1, messages / 4);
        int sent = 0;
        for (; sent < beforeRestart; sent++) {
          (sent % 2 == 0 ? alice : bob).say("message " + (sent + 1));
        }
        awaitDelivered(alice, bob, beforeRestart);

        if (reset) {
          out.println("-- the server loses its state (an in-memory server that crashed and came back)");
          server.resetState();
        } else {
          out.println("-- server restarts; alice's network is down too");
          alice.network.setAvailable(false);
          server.stop();
          for (int i = 0; i < duringOutage; i++, sent++) {
            alice.say("message " + (sent + 1) + " (written offline)");
          }
          out.println("  alice: " + alice.client.outboxSize() + " messages waiting in the outbox");
          server.restart();
          bob.awaitOpen();
          bob.join(); // bob rejoined on his own when he reconnected; this waits until that is done
          out.println("-- alice is back online");
          alice.network.setAvailable(true);
          alice.awaitOpen();
        }

        for (; sent < messages; sent++) {
          (sent % 2 == 0 ? bob : alice).say("message " + (sent + 1));
        }
        int delivered = awaitDelivered(alice, bob, messages);
        alice.closeAndAwait();
        bob.closeAndAwait();
        out.println("demo: " + delivered + "/" + messages + " delivered");
        return delivered == messages ? 0 : 1;
      } finally {
        alice.client.close();
        bob.client.close();
      }
    }
  }

  /** Waits until {@code expected} messages in all reached the other participant; returns the count. */
  private int awaitDelivered(Person a, Person b, int expected) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (counted < expected) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !deliveries.tryAcquire(left, TimeUnit.NANOSECONDS)) {
        break;
      }
      counted++;
    }
    return a.received.size() + b.received.size();
  }
}

package dev.tether.samples;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.TetherClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** An interactive console chat: every stdin line becomes a chat envelope in the room. */
@Command(name = "chat", mixinStandardHelpOptions = true,
    description = "Interactive console chat: stdin lines become chat messages; EOF quits.")
final class ChatCommand implements Callable<Integer> {
  @Option(names = "--url", required = true, description = "Server URI, e.g. ws://127.0.0.1:8025/im")
  URI url;

  @Option(names = "--room", defaultValue = "lobby", description = "Room to join (default: ${DEFAULT-VALUE}).")
  String room;

  @Option(names = "--name", required = true, description = "Your user name.")
  String name;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    check();
    String separator = url.getRawQuery() == null ? "?" : "&";
    URI uri = URI.create(url + separator + "user=" + URLEncoder.encode(name, StandardCharsets.UTF_8));
    TetherClient client = TetherClient.builder(uri).delegate(new SocketDelegate() {
      @Override
      public void onOpen(TetherSocket socket) {
        System.out.println("* connected to " + socket.uri());
      }

      @Override
      public void onEnvelope(TetherSocket socket, Envelope e) {
        if (e.type() == Envelope.Type.CHAT && !name.equals(e.from())) {
          System.out.println("[" + e.room() + " #" + e.seq() + "] " + e.from() + ": " + e.text());
        }
      }

      @Override
      public void onGap(TetherSocket socket, String room, long fromSeq, long toSeq) {
        System.out.println("* [" + room + "] messages #" + fromSeq + ".." + toSeq
            + " are no longer on the server: they are lost to this console");
      }

      @Override
      public void onReset(TetherSocket socket, String room, long lastSeqBefore) {
        System.out.println("* [" + room + "] the server lost this room after #" + lastSeqBefore
            + " (it restarted without its state): messages after that you did not see are lost;"
            + " what follows starts again at #1");
      }

      @Override
      public void onFailure(TetherSocket socket, Throwable error) {
        System.out.println("* " + error.getMessage());
      }

      @Override
      public void onClose(TetherSocket socket, int code, String reason, boolean wasClean) {
        System.out.println("* disconnected (" + code + (reason.isEmpty() ? "" : " " + reason) + ")");
      }

      @Override
      public void onReconnecting(TetherSocket socket, int attempt, Duration delay) {
        System.out.println("* reconnecting in " + delay.toMillis() + " ms (attempt " + attempt + ")");
      }
    }).build();
    client.open();
    client.send(Envelope.join(room)).whenComplete((ack, error) ->
        System.out.println(error == null ? "* joined " + room : "* cannot join: " + error.getMessage()));
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    List<CompletableFuture<Ack>> pending = new ArrayList<>();
    String line;
    while ((line = in.readLine()) != null) {
      if (!line.isBlank()) {
        pending.removeIf(CompletableFuture::isDone);
        pending.add(client.send(Envelope.chat(room, line)).whenComplete((ack, error) -> {
          if (error != null) {
            System.out.println("* not delivered: " + error.getMessage());
          }
        }));
      }
    }
    try {
      // Let what is still queued be acknowledged before leaving.
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
    } catch (TimeoutException | ExecutionException e) {
      System.out.println("* leaving with " + client.outboxSize() + " messages unconfirmed");
    }
    client.close();
    return 0;
  }

  /** Checks the arguments as given, before anything is added to them. */
  private void check() {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("ws") && !scheme.equals("wss") || url.getHost() == null) {
      throw new ParameterException(spec.commandLine(),
          "--url must be a ws:// or wss:// URI with a host, such as ws://127.0.0.1:8025/im, not '" + url + "'");
    }
    if (room.isBlank()) {
      throw new ParameterException(spec.commandLine(), "--room must name a room, such as lobby, not '" + room + "'");
    }
    if (name.isBlank()) {
      throw new ParameterException(spec.commandLine(), "--name must name you, such as alice, not '" + name + "'");
    }
  }
}

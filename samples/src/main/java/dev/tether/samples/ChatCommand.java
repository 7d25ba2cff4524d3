package dev.tether.samples;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.TetherClient;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
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

/**
 * An interactive console chat: every stdin line becomes a chat envelope in the room. Several
 * {@code --url}s (the nodes of a cluster) make a client that fails over between them in turn.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
    description = "Interactive console chat: stdin lines become chat messages; EOF quits.")
final class ChatCommand implements Callable<Integer> {
  @Option(names = "--url", required = true, paramLabel = "URI",
      description = "Server URI, e.g. ws://127.0.0.1:8025/im; repeat it for the nodes of a cluster: the chat"
          + " fails over between them in turn.")
  List<URI> urls;

  @Option(names = "--room", defaultValue = "lobby", description = "Room to join (default: ${DEFAULT-VALUE}).")
  String room;

  @Option(names = "--name", required = true, description = "Your user name.")
  String name;

  @Spec CommandSpec spec;

  private final InputStream in;
  private final PrintStream out;
  /** How long to wait at EOF for what is still unacknowledged. */
  Duration linger = Duration.ofSeconds(5);

  ChatCommand() {
    this(System.in, System.out);
  }

  /** @param in the lines to send; @param out where the chat is shown */
  ChatCommand(InputStream in, PrintStream out) {
    this.in = in;
    this.out = out;
  }

  @Override
  public Integer call() throws Exception {
    check();
    List<URI> withUser = urls.stream().map(this::withUser).toList();
    TetherClient client = TetherClient.builder(withUser.get(0), withUser.subList(1, withUser.size())
        .toArray(URI[]::new)).delegate(new SocketDelegate() {
      @Override
      public void onOpen(TetherSocket socket) {
        out.println("* connected to " + socket.uri());
      }

      @Override
      public void onEnvelope(TetherSocket socket, Envelope e) {
        if (e.type() == Envelope.Type.CHAT && !name.equals(e.from())) {
          out.println("[" + e.room() + " #" + e.seq() + "] " + e.from() + ": " + e.text());
        }
      }

      @Override
      public void onGap(TetherSocket socket, String room, long fromSeq, long toSeq) {
        out.println("* [" + room + "] messages #" + fromSeq + ".." + toSeq
            + " are no longer on the server: they are lost to this console");
      }

      @Override
      public void onReset(TetherSocket socket, String room, long lastSeqBefore) {
        out.println("* [" + room + "] the server lost this room after #" + lastSeqBefore
            + " (it restarted without its state): messages after that you did not see are lost;"
            + " what follows starts again at #1");
      }

      @Override
      public void onFailure(TetherSocket socket, Throwable error) {
        out.println("* " + error.getMessage());
      }

      @Override
      public void onClose(TetherSocket socket, int code, String reason, boolean wasClean) {
        out.println("* disconnected (" + code + (reason.isEmpty() ? "" : " " + reason) + ")");
      }

      @Override
      public void onReconnecting(TetherSocket socket, int attempt, Duration delay) {
        out.println("* reconnecting in " + delay.toMillis() + " ms (attempt " + attempt + ")");
      }
    }).build();
    client.open();
    client.send(Envelope.join(room)).whenComplete((ack, error) ->
        out.println(error == null ? "* joined " + room : "* cannot join: " + error.getMessage()));
    BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    List<CompletableFuture<Ack>> pending = new ArrayList<>();
    String line;
    while ((line = lines.readLine()) != null) {
      if (!line.isBlank()) {
        pending.removeIf(CompletableFuture::isDone);
        pending.add(client.send(Envelope.chat(room, line)).whenComplete((ack, error) -> {
          if (error != null) {
            out.println("* not delivered: " + error.getMessage());
          }
        }));
      }
    }
    try {
      // Let what is still queued be acknowledged before leaving.
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(linger.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      out.println("* leaving with " + client.outboxSize() + " messages unconfirmed");
    }
    client.close();
    return 0;
  }

  private URI withUser(URI url) {
    String separator = url.getRawQuery() == null ? "?" : "&";
    return URI.create(url + separator + "user=" + URLEncoder.encode(name, StandardCharsets.UTF_8));
  }

  /** Checks the arguments as given, before anything is added to them. */
  private void check() {
    for (URI url : urls) {
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(java.util.Locale.ROOT);
      if (!scheme.equals("ws") && !scheme.equals("wss") || url.getHost() == null) {
        throw new ParameterException(spec.commandLine(),
            "--url must be a ws:// or wss:// URI with a host, such as ws://127.0.0.1:8025/im, not '" + url + "'");
      }
    }
    if (room.isBlank()) {
      throw new ParameterException(spec.commandLine(), "--room must name a room, such as lobby, not '" + room + "'");
    }
    if (name.isBlank()) {
      throw new ParameterException(spec.commandLine(), "--name must name you, such as alice, not '" + name + "'");
    }
  }
}

package dev.tether.samples;

import dev.tether.server.RoomStore;
import dev.tether.server.TetherServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Runs a {@link TetherServer} until the process is stopped: prints {@code listening ws://HOST:PORT/im}
 * once it accepts connections, then {@code web chat http://HOST:PORT/}: the same port serves a
 * single-page web chat ({@code web/} beside this class: plain HTML and JavaScript speaking
 * PROTOCOL.md) through {@link TetherServer.Builder#staticResources}. On Ctrl-C (or SIGTERM) it
 * closes every connection with 1001 and closes its store.
 */
@Command(name = "server", mixinStandardHelpOptions = true,
    description = {"Run the Tether IM server until Ctrl-C (connections are then closed with 1001).",
        "The same port serves a web chat at http://HOST:PORT/."})
final class ServerCommand implements Callable<Integer> {
  /** The web chat's folder on the class path. */
  static final String WEB = "dev/tether/samples/web/";

  @Option(names = "--host", defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface).")
  String host;

  @Option(names = "--port", defaultValue = "8025", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port;

  @Option(names = "--store", defaultValue = "memory",
      description = "memory (gone when the server stops) or sqlite:PATH (kept in a file; default: ${DEFAULT-VALUE}).")
  String store;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    if (port < 0 || port > 65535) {
      throw new ParameterException(spec.commandLine(), "--port must be a port from 0 to 65535 (0: a free one), not " + port);
    }
    if (host.isBlank()) {
      throw new ParameterException(spec.commandLine(), "--host must be an address, such as 127.0.0.1, not '" + host + "'");
    }
    TetherServer server = TetherServer.builder().store(roomStore())
        .staticResources(ServerCommand.class.getClassLoader(), WEB)
        .build();
    TetherServer.Running running;
    try {
      running = server.listen(host, port);
    } catch (UncheckedIOException e) {
      server.close();
      throw new ParameterException(spec.commandLine(), cannotListen(e.getCause()));
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "tether-samples-shutdown"));
    System.out.println("listening " + running.uri());
    String h = running.uri().getHost();
    System.out.println("web chat http://" + h + ":" + running.port() + "/");
    System.out.flush();
    stopped.await();
    return 0;
  }

  /** Why {@code --host}/{@code --port} cannot be listened on, in one line. */
  private String cannotListen(IOException e) {
    String where = host + ":" + port;
    if (e instanceof BindException) {
      return "--port " + port + " is in use on " + host + " (another server?): expected a free port, or 0 for any"
          + " (" + e.getMessage() + ")";
    }
    if (e instanceof UnknownHostException || e.getCause() instanceof UnknownHostException) {
      return "--host must be an address of this machine, such as 127.0.0.1 or 0.0.0.0, not '" + host + "'";
    }
    return "cannot listen on " + where + ": " + e.getMessage();
  }

  private RoomStore roomStore() {
    if (store.equals("memory")) {
      return RoomStore.inMemory();
    }
    if (store.startsWith("sqlite:") && store.length() > "sqlite:".length()) {
      return RoomStore.sqlite(Path.of(store.substring("sqlite:".length())));
    }
    throw new ParameterException(spec.commandLine(),
        "--store must be 'memory' or 'sqlite:PATH', not '" + store + "'");
  }
}

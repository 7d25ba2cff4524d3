package dev.tether.samples;

import dev.tether.stub.StubServer;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the stub IM server until the process is stopped. */
@Command(name = "server", mixinStandardHelpOptions = true,
    description = "Run the Tether stub IM server (echo + rooms) until Ctrl-C.")
final class ServerCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "8025", description = "Port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
  int port;

  @Override
  public Integer call() throws InterruptedException {
    StubServer server = StubServer.start(port);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "tether-samples-shutdown"));
    System.out.println("stub server listening on " + server.uri() + "  (connect with ?user=NAME; Ctrl-C stops)");
    stopped.await();
    return 0;
  }
}

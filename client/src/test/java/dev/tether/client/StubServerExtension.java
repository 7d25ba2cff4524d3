package dev.tether.client;

import dev.tether.stub.FaultProxy;
import dev.tether.stub.StubServer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The lifecycle client tests share: a real {@link StubServer} on an ephemeral loopback port for
 * each test, the clients (and proxies, and other servers) the test makes, and their closing after
 * it: clients first, then everything else in reverse order, the server last.
 *
 * <pre>{@code
 * @RegisterExtension final StubServerExtension stub = new StubServerExtension();
 * private final StubServer server = stub.server();          // started now, closed after the test
 *
 * TetherClient c = stub.track(TetherClient.builder(server.uri()).build());
 * FaultProxy proxy = stub.proxy();                           // in front of the server
 * server = stub.start(StubServer.builder().historyPerRoom(100));     // other settings
 * }</pre>
 *
 * <p>Register it as an instance field: JUnit makes a test instance, and so an extension, per test.
 * The server starts on the first {@link #server()} call, not at all if a test never asks. Not
 * thread-safe: call it from the test's thread.
 */
final class StubServerExtension implements AfterEachCallback {
  private StubServer server;
  private final List<TetherClient> clients = new ArrayList<>();
  private final Deque<AutoCloseable> others = new ArrayDeque<>();

  /** The test's server, started on first use with the default settings. */
  StubServer server() {
    if (server == null) {
      server = StubServer.start();
    }
    return server;
  }

  /**
   * Starts the test's server with {@code settings}, closing the one started before, if any;
   * returns it. Closed after the test.
   */
  StubServer start(StubServer.Builder settings) {
    if (server != null) {
      server.close();
    }
    server = settings.start();
    return server;
  }

  /** Closes {@code client} after the test, before anything else is closed. */
  TetherClient track(TetherClient client) {
    clients.add(client);
    return client;
  }

  /** Builds a client from {@code builder}, closed after the test. */
  TetherClient client(TetherClient.Builder builder) {
    return track(builder.build());
  }

  /** A fault proxy in front of the test's server, closed after the test. */
  FaultProxy proxy() {
    return closeAfter(FaultProxy.start(server().uri()));
  }

  /** Closes {@code resource} after the test: after the clients, in reverse order of registration. */
  <T extends AutoCloseable> T closeAfter(T resource) {
    others.push(resource);
    return resource;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Exception first = null;
    List<AutoCloseable> all = new ArrayList<>();
    clients.forEach(c -> all.add(c::close));
    all.addAll(others);
    if (server != null) {
      all.add(server);
    }
    for (AutoCloseable c : all) {
      try {
        c.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    clients.clear();
    others.clear();
    server = null;
    if (first != null) {
      throw first;
    }
  }
}

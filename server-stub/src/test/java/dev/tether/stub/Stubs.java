package dev.tether.stub;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The stub servers and raw {@link WsRecorder} connections a test makes, closed after it: the
 * connections first, then the servers, in the order they were made.
 *
 * <pre>{@code
 * @RegisterExtension final Stubs stubs = new Stubs();
 *
 * StubServer server = stubs.start(StubServer.builder().historyPerRoom(5));
 * WsRecorder alice = stubs.connect(server, "alice");
 * }</pre>
 *
 * <p>Register it as an instance field: JUnit makes a test instance, and so an extension, per test.
 * Not thread-safe: call it from the test's thread.
 */
final class Stubs implements AfterEachCallback {
  private final List<StubServer> servers = new ArrayList<>();
  private final List<WsRecorder> clients = new ArrayList<>();

  /** Starts a server with {@code settings}; closed after the test. */
  StubServer start(StubServer.Builder settings) {
    StubServer server = settings.start();
    servers.add(server);
    return server;
  }

  /** Connects to {@code server} as {@code user}; closed after the test. */
  WsRecorder connect(StubServer server, String user) throws Exception {
    WsRecorder client = WsRecorder.connect(server.uri(), user);
    clients.add(client);
    return client;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    clients.forEach(WsRecorder::close);
    servers.forEach(StubServer::close);
    clients.clear();
    servers.clear();
  }
}

package dev.tether.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP server that reads each connection's HTTP request and then closes the connection
 * without answering (a FIN, not a reset): an upgrade that gets no HTTP response at all. One daemon
 * thread; {@link #close()} stops it.
 */
final class HangUpServer implements AutoCloseable {
  private final ServerSocket listener;
  private final AtomicInteger hangUps = new AtomicInteger();

  private HangUpServer(ServerSocket listener) {
    this.listener = listener;
  }

  static HangUpServer start() {
    try {
      HangUpServer server = new HangUpServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
      Thread t = new Thread(server::run, "hang-up-server");
      t.setDaemon(true);
      t.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code ws://127.0.0.1:PORT/im}. */
  URI uri() {
    return URI.create("ws://127.0.0.1:" + listener.getLocalPort() + "/im");
  }

  /** Connections closed so far. */
  int hangUps() {
    return hangUps.get();
  }

  private void run() {
    while (!listener.isClosed()) {
      try (Socket s = listener.accept()) {
        readRequest(s.getInputStream());
        // Counted before the FIN goes out: the client may report the hang-up before this thread
        // runs again, and a test that then reads the count must see it.
        hangUps.incrementAndGet();
        s.shutdownOutput();
      } catch (IOException e) {
        // closed, or a client that went away: next
      }
    }
  }

  /** Reads up to the blank line that ends the request head. */
  private static void readRequest(InputStream in) throws IOException {
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    for (int b; matched < end.length && (b = in.read()) >= 0; ) {
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
  }

  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException e) {
      // closing is best effort
    }
  }
}

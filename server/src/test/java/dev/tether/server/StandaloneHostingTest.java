package dev.tether.server;

import jakarta.websocket.WebSocketContainer;
import java.net.URI;

/** {@link HostedServerSuite} on {@link TetherServer#listen}: Tyrus on Grizzly, with a Tyrus client. */
class StandaloneHostingTest extends HostedServerSuite {
  @Override
  protected Host host(TetherServer server) {
    TetherServer.Running running = server.listen("127.0.0.1", 0);
    return new Host() {
      @Override
      public URI uri() {
        return running.uri();
      }

      @Override
      public void close() {
        running.close();
      }
    };
  }

  @Override
  protected WebSocketContainer client() {
    return TyrusClients.container();
  }

  @Override
  protected boolean refusesWithStatus() {
    return true;
  }

  @Override
  protected boolean hostOutlivesServer() {
    return false;
  }
}

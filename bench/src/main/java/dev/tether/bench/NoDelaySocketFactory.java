package dev.tether.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.SocketFactory;

/**
 * Plain TCP sockets with {@code TCP_NODELAY} on, for Paho ({@code MqttConnectOptions
 * .setSocketFactory}): Paho asks for an unconnected socket and connects it itself. Keeps the
 * sockets it made so a test can check the option is on. Thread-safe.
 */
final class NoDelaySocketFactory extends SocketFactory {
  private final List<Socket> made = new CopyOnWriteArrayList<>();

  @Override
  public Socket createSocket() throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    made.add(s);
    return s;
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port), null);
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
    return connected(new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port), null);
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
  }

  private Socket connected(InetSocketAddress to, InetSocketAddress from) throws IOException {
    Socket s = createSocket();
    if (from != null) {
      s.bind(from);
    }
    s.connect(to);
    return s;
  }

  /** The sockets made so far, open or closed. */
  List<Socket> sockets() {
    return List.copyOf(made);
  }
}

package dev.tether.client.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Asks an HTTP proxy for a {@code CONNECT} tunnel to the server and closes it once answered: the
 * proxy's true answer (200, 407 with its challenge, 403, 502...), which the Tyrus client does not
 * give for {@code wss} (it waits 30 s and reports neither status nor cause). Plain blocking I/O on
 * the calling thread (a {@code tether-io} thread), bounded by {@code timeout} for the connect and
 * for the answer.
 */
final class ProxyTunnel {
  /** The largest answer head read; a proxy's CONNECT answer is a few hundred bytes. */
  private static final int MAX_HEAD = 16 * 1024;

  private ProxyTunnel() {}

  /**
   * What the proxy said.
   *
   * @param status the HTTP status
   * @param statusLine the whole status line, for messages
   * @param challenges the values of its {@code Proxy-Authenticate} headers (and of
   *     {@code WWW-Authenticate}, which some proxies send with a 401 for refused credentials)
   */
  record Answer(int status, String statusLine, List<String> challenges) {
    boolean established() {
      return status / 100 == 2;
    }
  }

  /** The host:port a CONNECT for {@code uri} names, with the scheme's default port. */
  static String authority(URI uri) {
    String host = uri.getHost();
    int port = uri.getPort() != -1 ? uri.getPort() : "wss".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
  }

  /**
   * Opens a tunnel to {@code target} through {@code proxy} and closes it.
   *
   * @param authorization the {@code Proxy-Authorization} value to send, or null
   * @throws IOException if the proxy cannot be reached or its answer is not HTTP
   */
  static Answer probe(InetSocketAddress proxy, String target, String authorization, int timeoutMillis)
      throws IOException {
    InetSocketAddress address = proxy.isUnresolved()
        ? new InetSocketAddress(proxy.getHostString(), proxy.getPort()) : proxy;
    try (Socket socket = new Socket()) {
      socket.connect(address, timeoutMillis);
      socket.setSoTimeout(timeoutMillis);
      StringBuilder request = new StringBuilder()
          .append("CONNECT ").append(target).append(" HTTP/1.1\r\n")
          .append("Host: ").append(target).append("\r\n");
      if (authorization != null) {
        request.append("Proxy-Authorization: ").append(authorization).append("\r\n");
      }
      request.append("\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return parse(readHead(socket.getInputStream()));
    } catch (SocketTimeoutException e) {
      throw new SocketTimeoutException("no answer to CONNECT within " + timeoutMillis + " ms");
    }
  }

  /** The bytes up to the blank line that ends the head. */
  private static String readHead(InputStream in) throws IOException {
    byte[] head = new byte[MAX_HEAD];
    int length = 0;
    while (length < MAX_HEAD) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head[length++] = (byte) b;
      if (length >= 4 && head[length - 4] == '\r' && head[length - 3] == '\n'
          && head[length - 2] == '\r' && head[length - 1] == '\n') {
        break;
      }
    }
    return new String(head, 0, length, StandardCharsets.ISO_8859_1);
  }

  static Answer parse(String head) throws IOException {
    String[] lines = head.split("\r\n");
    String statusLine = lines.length == 0 ? "" : lines[0];
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
      throw new IOException("not an HTTP answer to CONNECT: '" + printable(statusLine) + "'");
    }
    int status;
    try {
      status = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IOException("not an HTTP status in the answer to CONNECT: '" + printable(statusLine) + "'");
    }
    List<String> challenges = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
        if (name.equals("proxy-authenticate") || name.equals("www-authenticate")) {
          challenges.add(lines[i].substring(colon + 1).trim());
        }
      }
    }
    return new Answer(status, printable(statusLine), List.copyOf(challenges));
  }

  private static String printable(String s) {
    String cut = s.length() > 200 ? s.substring(0, 200) + "..." : s;
    return cut.replaceAll("[^\\x20-\\x7e]", "?");
  }
}

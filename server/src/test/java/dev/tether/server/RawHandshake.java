package dev.tether.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A WebSocket opening handshake over a plain socket, to see exactly what a server answers: the HTTP
 * status, and after a 101 the first frame (a server that cannot refuse with a status closes at
 * once). No JSR-356 client shows refusals the same way, so the suite checks them here.
 */
public final class RawHandshake implements AutoCloseable {
  /** What the server answered: the status, and for 101 the first frame's close code and reason. */
  public record Answer(int status, int closeCode, String closeReason) {}

  private final Socket socket;

  private RawHandshake(Socket socket) {
    this.socket = socket;
  }

  /** Sends the handshake for {@code uri} (path and query kept) with these extra headers. */
  public static RawHandshake send(URI uri, Map<String, String> headers) throws IOException {
    Socket socket = new Socket(uri.getHost(), uri.getPort());
    socket.setSoTimeout(10_000);
    StringBuilder request = new StringBuilder()
        .append("GET ").append(uri.getRawPath()).append(uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
        .append(" HTTP/1.1\r\n")
        .append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n")
        .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
        .append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
    headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
    request.append("\r\n");
    socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return new RawHandshake(socket);
  }

  /** Reads the response head only, as it came: status line and headers. */
  public String head() throws IOException {
    return readHead(socket.getInputStream());
  }

  /** Reads the response head only: its status. */
  public int status() throws IOException {
    String head = readHead(socket.getInputStream());
    return Integer.parseInt(head.substring(9, 12));
  }

  /** Reads the response head, then for a 101 the first frame, which must be a close frame. */
  public Answer answer() throws IOException {
    InputStream in = socket.getInputStream();
    String head = readHead(in);
    int status = Integer.parseInt(head.substring(9, 12));
    if (status != 101) {
      return new Answer(status, 0, null);
    }
    int b0 = in.read();
    int b1 = in.read();
    if (b0 < 0 || b1 < 0) {
      throw new IOException("connection ended after 101");
    }
    int opcode = b0 & 0x0f;
    int length = b1 & 0x7f;
    if (opcode != 8) {
      throw new IOException("first frame after 101 is not a close frame: opcode " + opcode);
    }
    byte[] payload = in.readNBytes(length);
    int code = length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
    String reason = length > 2 ? new String(payload, 2, length - 2, StandardCharsets.UTF_8) : "";
    return new Answer(101, code, reason);
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection ended in the response head: " + head);
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A standalone server serves static files over HTTP on its own port, beside the WebSocket endpoint. */
class StaticContentTest {
  @TempDir Path dir;
  /** HTTP/1.1 as browsers speak it: the JDK's default asks to upgrade to h2c, which changes the answer. */
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void filesOfADirectoryAreServedOnTheEndpointsPortAndTheEndpointStillWorks() throws Exception {
    Path web = Files.createDirectories(dir.resolve("web"));
    Files.writeString(web.resolve("index.html"), "<!doctype html><title>chat</title>");
    Files.writeString(web.resolve("app.js"), "console.log('hi');");
    Files.writeString(dir.resolve("secret.txt"), "not for you");
    try (TetherServer server = TetherServer.builder().staticFiles(web).build()) {
      TetherServer.Running running = server.listen("127.0.0.1", 0);
      HttpResponse<String> index = get(running.port(), "/");
      assertThat(index.statusCode()).isEqualTo(200);
      assertThat(index.body()).isEqualTo("<!doctype html><title>chat</title>");
      assertThat(index.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).isEqualTo("text/html;charset=utf-8"));
      assertThat(index.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
      HttpResponse<String> js = get(running.port(), "/app.js");
      assertThat(js.statusCode()).isEqualTo(200);
      assertThat(js.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("javascript"));
      assertThat(get(running.port(), "/missing.css").statusCode()).isEqualTo(404);
      for (String outside : new String[] {"/../secret.txt", "/%2e%2e/secret.txt", "/a/../../secret.txt"}) {
        HttpResponse<String> refused = get(running.port(), outside);
        assertThat(refused.statusCode()).as(outside).isIn(400, 404);
        assertThat(refused.body()).as(outside).doesNotContain("not for you");
      }

      WsClient ws = WsClient.connect(TyrusClients.container(), URI.create(running.uri() + "?user=alice"), Map.of());
      try {
        ws.send("{\"type\":\"join\",\"id\":\"j1\",\"room\":\"lobby\"}");
        assertThat(ws.nextText()).contains("\"type\":\"ack\"").contains("\"id\":\"j1\"");
      } finally {
        ws.close();
      }
    }
  }

  @Test
  void classPathResourcesAreServedToo() throws Exception {
    try (TetherServer server = TetherServer.builder()
        .staticResources(StaticContentTest.class.getClassLoader(), "dev/tether/server/web").build()) {
      TetherServer.Running running = server.listen("127.0.0.1", 0);
      HttpResponse<String> index = get(running.port(), "/");
      assertThat(index.statusCode()).isEqualTo(200);
      assertThat(index.body()).contains("from the class path");
      assertThat(get(running.port(), "/StaticContentTest.class").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void withoutContentPlainRequestsGet404() throws Exception {
    try (TetherServer server = TetherServer.builder().build()) {
      TetherServer.Running running = server.listen("127.0.0.1", 0);
      assertThat(get(running.port(), "/").statusCode()).isEqualTo(404);
    }
  }
}

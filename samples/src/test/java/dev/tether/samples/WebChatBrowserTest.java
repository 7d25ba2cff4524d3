package dev.tether.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.SocketDelegate;
import dev.tether.api.TetherSocket;
import dev.tether.client.ReconnectPolicy;
import dev.tether.client.TetherClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The samples server's web chat in headless Chromium, chatting with a Java {@code TetherClient} in
 * one room while the server (the {@code server} command, its own process, rooms in SQLite) is
 * stopped and started again; the page keeps sending while it is down. Both end with every message
 * once, in the same seq order, each sender's in the order sent. Screenshots of the page go to
 * {@code target/web-chat.png} (and {@code target/web-chat-offline.png} while the server is down).
 */
class WebChatBrowserTest {
  private static final Path TARGET = Path.of("target");
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int PER_PHASE = 5;

  @TempDir Path dir;
  private Process server;
  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeAfter.size() - 1; i >= 0; i--) {
      closeAfter.get(i).close();
    }
    if (server != null) {
      server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** Starts the server command on {@code port}; returns once it serves. */
  private void startServer(int port) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    server = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "server",
        "--port", String.valueOf(port), "--store", "sqlite:" + dir.resolve("rooms.db"))
        .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile())).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    String listening = out.readLine();
    String web = out.readLine();
    if (listening == null || web == null) {
      throw new IOException("server ended before listening, exit " + server.waitFor() + ": "
          + Files.readString(dir.resolve("server.log")));
    }
    assertThat(listening).isEqualTo("listening ws://127.0.0.1:" + port + "/im");
    assertThat(web).isEqualTo("web chat http://127.0.0.1:" + port + "/");
  }

  /** SIGTERM, as Ctrl-C: the server says 1001 to everyone and closes its store. */
  private void stopServer() throws Exception {
    server.destroy();
    assertThat(server.waitFor(30, TimeUnit.SECONDS)).as("server stopped").isTrue();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void aBrowserAndAJavaClientChatThroughAServerRestartAndBothSeeEveryMessageOnceInOrder() throws Exception {
    int port = freePort();
    startServer(port);

    List<Envelope> javaGot = new CopyOnWriteArrayList<>();
    TetherClient java = TetherClient.builder(URI.create("ws://127.0.0.1:" + port + "/im?user=java"))
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(100), Duration.ofMillis(500)))
        .delegate(new SocketDelegate() {
          @Override
          public void onEnvelope(TetherSocket socket, Envelope e) {
            if (e.type() == Envelope.Type.CHAT) {
              javaGot.add(e);
            }
          }
        }).build();
    closeAfter.add(java::close);
    java.open();
    java.send(Envelope.join("lobby")).get(10, TimeUnit.SECONDS);

    Chromium chromium = Chromium.start(TARGET);
    closeAfter.add(chromium);
    ChromeDriver page = chromium.driver();
    page.get("http://127.0.0.1:" + port + "/?user=browser&room=lobby");
    await(page, "the page online in lobby", "return tetherChat.connection() === 'open' && tetherChat.room().epoch !== null");
    WebElement input = page.findElement(By.id("text"));
    List<CompletableFuture<Ack>> javaAcks = new ArrayList<>();

    int n = 0;
    for (int i = 0; i < PER_PHASE; i++, n++) {
      input.sendKeys("from the browser " + n, Keys.ENTER);
      javaAcks.add(java.send(Envelope.chat("lobby", "from java " + n)));
    }

    stopServer();
    await(page, "the page to notice", "return tetherChat.connection() !== 'open'");
    for (int i = 0; i < PER_PHASE; i++, n++) {
      input.sendKeys("from the browser " + n, Keys.ENTER);
      javaAcks.add(java.send(Envelope.chat("lobby", "from java " + n)));
    }
    assertThat(states(page, PER_PHASE)).as("typed while the server is down").containsOnly("queued");
    screenshot(page, "web-chat-offline.png");

    startServer(port);
    for (int i = 0; i < PER_PHASE; i++, n++) {
      input.sendKeys("from the browser " + n, Keys.ENTER);
      javaAcks.add(java.send(Envelope.chat("lobby", "from java " + n)));
    }
    int total = 2 * n;
    for (CompletableFuture<Ack> ack : javaAcks) {
      ack.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    await(page, "every message on the page, its own acked",
        "return tetherChat.delivered().length >= " + total + " && tetherChat.outbox().length === 0");
    Awaitility.await("every message at the Java client").atMost(WAIT).until(() -> javaGot.size() >= total);
    screenshot(page, "web-chat.png");

    List<String> pageSeen = delivered(page);
    List<String> javaSeen = javaGot.stream().map(e -> e.seq() + " " + e.from() + ": " + e.text()).toList();
    assertThat(pageSeen).as("what the page shows, in seq order").hasSize(total).doesNotHaveDuplicates();
    assertThat(javaSeen).as("the Java client saw the same").isEqualTo(pageSeen);
    for (int i = 0; i < total; i++) {
      assertThat(pageSeen.get(i)).startsWith((i + 1) + " "); // seqs 1..total, no gap
    }
    List<String> browserOrder = new ArrayList<>();
    List<String> javaOrder = new ArrayList<>();
    List<String> browserExpected = new ArrayList<>();
    List<String> javaExpected = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      browserExpected.add("browser: from the browser " + i);
      javaExpected.add("java: from java " + i);
    }
    for (String line : pageSeen) {
      String rest = line.substring(line.indexOf(' ') + 1);
      (rest.startsWith("browser:") ? browserOrder : javaOrder).add(rest);
    }
    assertThat(browserOrder).as("the browser's messages, in the order typed").isEqualTo(browserExpected);
    assertThat(javaOrder).as("the Java client's, in the order sent").isEqualTo(javaExpected);
    assertThat(states(page, n)).as("every own message acked on the page").containsOnly("acked");
    assertThat(page.findElement(By.id("conn")).getAttribute("data-state")).isEqualTo("open");
  }

  /** The page's delivered chats as "seq from: text". */
  @SuppressWarnings("unchecked")
  private static List<String> delivered(WebDriver page) {
    List<Map<String, Object>> chats = (List<Map<String, Object>>) ((JavascriptExecutor) page)
        .executeScript("return tetherChat.delivered()");
    return chats.stream().map(c -> c.get("seq") + " " + c.get("from") + ": " + c.get("text")).toList();
  }

  /** The delivery states shown for the page's last {@code count} own messages. */
  private static List<String> states(WebDriver page, int count) {
    List<String> all = page.findElements(By.cssSelector(".msg[data-from='browser'], #pending .msg")).stream()
        .map(e -> e.getAttribute("data-state")).filter(s -> s != null).toList();
    return all.subList(Math.max(0, all.size() - count), all.size());
  }

  private static void await(WebDriver page, String what, String script) {
    new WebDriverWait(page, WAIT).withMessage(what)
        .until(d -> Boolean.TRUE.equals(((JavascriptExecutor) d).executeScript(script)));
  }

  private static void screenshot(ChromeDriver page, String name) throws IOException {
    Files.createDirectories(TARGET);
    Files.write(TARGET.resolve(name), page.getScreenshotAs(OutputType.BYTES));
  }
}

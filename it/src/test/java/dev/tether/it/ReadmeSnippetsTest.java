package dev.tether.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of README.md compiles, and runs as shown: so that the README stays
 * true. One dynamic test per block, named after its heading.
 *
 * <p>A block is statements (wrapped in a method) or, if it declares a type or a module, a
 * compilation unit. What the README leaves out for brevity (imports, a {@code server} made
 * earlier, a port that must be free) comes from the block's <em>context</em>: the comment
 * {@code <!-- snippet: NAME -->} on the line before the block names one of {@link #CONTEXTS}. A block
 * without one gets {@link #DEFAULT}: the common imports and nothing else. A new block that needs
 * more gets a context here; an unknown name fails, naming the block.
 *
 * <p>Contexts may substitute text before compiling (a fixed port for an ephemeral one, a file in
 * the working directory for a temporary one): each such substitution must find its text, so the
 * README cannot drift from it unnoticed. Blocks that need what a test cannot give (an app server)
 * are compiled only, and say where their code runs.
 */
class ReadmeSnippetsTest {
  private static final Path README = Path.of("..", "README.md");

  @TempDir static Path work;

  /** How a block is built and run: an immutable value; each method returns a changed copy. */
  static final class Context implements Cloneable {
    List<String> imports = List.of();
    /** Statements before the block, inside the try; their variables are in scope of all that follows. */
    String prelude = "";
    /** Statements after the block, inside the try: they see the block's variables. */
    String after = "";
    /** Statements in the finally: they see the prelude's variables only. */
    String cleanup = "";
    Map<String, String> substitutions = Map.of();
    List<String> support = List.of();
    List<String> expectedOutput = List.of();
    String compileOnlyBecause;
    List<Path> extraClassPath = List.of();
    Path mirror;

    private Context copy() {
      try {
        return (Context) clone();
      } catch (CloneNotSupportedException e) {
        throw new AssertionError(e);
      }
    }

    Context imports(String... more) {
      Context c = copy();
      c.imports = Stream.concat(imports.stream(), Stream.of(more)).toList();
      return c;
    }

    Context given(String prelude, String after, String cleanup) {
      Context c = copy();
      c.prelude = prelude;
      c.after = after;
      c.cleanup = cleanup;
      return c;
    }

    Context replacing(String text, String with) {
      Context c = copy();
      Map<String, String> all = new LinkedHashMap<>(substitutions);
      all.put(text, with);
      c.substitutions = all;
      return c;
    }

    Context support(String... sources) {
      Context c = copy();
      c.support = List.of(sources);
      return c;
    }

    Context prints(String... lines) {
      Context c = copy();
      c.expectedOutput = List.of(lines);
      return c;
    }

    Context compileOnly(String because) {
      Context c = copy();
      c.compileOnlyBecause = because;
      return c;
    }

    Context withClassPath(List<Path> jars) {
      Context c = copy();
      c.extraClassPath = jars;
      return c;
    }

    Context mirroredIn(Path test) {
      Context c = copy();
      c.mirror = test;
      return c;
    }
  }

  static final Context DEFAULT = new Context().imports(
      "dev.tether.api.*", "dev.tether.client.*", "dev.tether.server.*", "dev.tether.stub.*",
      "java.net.URI", "java.nio.ByteBuffer", "java.nio.file.Path", "java.time.Duration",
      "java.util.*", "java.util.concurrent.*");

  private static final String SERVER = "TetherServer server = TetherServer.builder().build();\n";

  static final Map<String, Context> CONTEXTS = Map.ofEntries(
      // A client of a real server: the README's 127.0.0.1:8025 is the stub's ephemeral port.
      Map.entry("api-tour", DEFAULT
          .given("StubServer stub = StubServer.start();\n", "", "stub.close();\n")
          .replacing("\"ws://127.0.0.1:8025/im?user=alice\"", "stub.uri() + \"?user=alice\"")
          .prints("open as alice", "seq 1", "alice: hello", "closed 1000")),
      Map.entry("stub-testing", DEFAULT),
      Map.entry("run-server", DEFAULT
          .given("var tokens = new Object() { String userFor(String token) { return \"alice\"; } };\n",
              "server.close();\n", "")
          .replacing("Path.of(\"rooms.db\")", "Path.of(" + quoted(work()) + ").resolve(\"rooms.db\")")),
      Map.entry("standalone", DEFAULT
          .given(SERVER, "running.close();\n", "server.close();\n")
          .replacing("8025);", "0);")),
      Map.entry("jetty", DEFAULT
          .imports("org.eclipse.jetty.server.Server", "org.eclipse.jetty.ee10.servlet.ServletContextHandler",
              "org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer")
          .given(SERVER, "jetty.stop();\n", "server.close();\n")
          .replacing("new Server(8025)", "new Server(0)")),
      Map.entry("tomcat", DEFAULT
          .imports("jakarta.servlet.ServletException", "jakarta.websocket.DeploymentException",
              "jakarta.websocket.server.ServerContainer", "org.apache.catalina.Context",
              "org.apache.catalina.servlets.DefaultServlet", "org.apache.catalina.startup.Tomcat",
              "org.apache.tomcat.websocket.server.WsSci")
          .given(SERVER + "String docBase = \".\";\n", "", "")
          .replacing("tomcat.setPort(8025);", "tomcat.setPort(0);")
          .compileOnly("ReadmeTomcatSnippetTest (server-tomcat-test) runs it on a class path without Tyrus")
          .mirroredIn(Path.of("..", "server-tomcat-test", "src", "test", "java", "dev", "tether", "server",
              "ReadmeTomcatSnippetTest.java"))
          .withClassPath(jars(Path.of("target", "tomcat")))),
      Map.entry("war-listener", DEFAULT
          .imports("jakarta.servlet.ServletContextEvent", "jakarta.servlet.ServletContextListener",
              "jakarta.servlet.annotation.WebListener", "jakarta.websocket.DeploymentException",
              "jakarta.websocket.server.ServerContainer")
          .support("final class Tokens { static String userFor(String token) { return null; } }")
          .compileOnly("an app server deploys it; HostedServerSuite runs the same calls in Jetty and Tomcat")),
      Map.entry("war-config", DEFAULT
          .imports("jakarta.websocket.Endpoint", "jakarta.websocket.server.ServerApplicationConfig",
              "jakarta.websocket.server.ServerEndpointConfig")
          .support("final class ChatServers { static TetherServer server() { return null; } }")
          .compileOnly("an app server finds it when it deploys the application")),
      // Built and started, not opened: a proxy at proxy.corp is not there (ProxyTest runs it through tinyproxy).
      Map.entry("jetty-proxy", DEFAULT
          .imports("org.eclipse.jetty.client.BasicAuthentication", "org.eclipse.jetty.client.HttpClient",
              "org.eclipse.jetty.client.HttpProxy", "org.eclipse.jetty.client.Origin",
              "org.eclipse.jetty.ee10.websocket.jakarta.client.JakartaWebSocketClientContainer")
          .given("URI uri = URI.create(\"ws://chat.example.com/im\");\nString password = \"s3cret\";\n",
              "client.close();\njetty.stop();\n", "")),
      Map.entry("jul-bridge", DEFAULT
          .imports("org.slf4j.bridge.SLF4JBridgeHandler")
          .given("java.util.logging.Logger root = java.util.logging.Logger.getLogger(\"\");\n"
                  + "java.util.logging.Handler[] saved = root.getHandlers();\n",
              "if (!SLF4JBridgeHandler.isInstalled()) throw new AssertionError(\"not installed\");\n",
              "SLF4JBridgeHandler.uninstall();\nfor (java.util.logging.Handler h : saved) root.addHandler(h);\n")),
      Map.entry("metrics", DEFAULT
          .imports("dev.tether.micrometer.*", "io.micrometer.core.instrument.MeterRegistry",
              "io.micrometer.core.instrument.Tags", "io.micrometer.core.instrument.simple.SimpleMeterRegistry")
          .given("StubServer stub = StubServer.start();\nURI uri = stub.uri();\n" + SERVER
                  + "MeterRegistry registry = new SimpleMeterRegistry();\n",
              "if (registry.getMeters().isEmpty()) throw new AssertionError(\"no meters\");\n",
              "server.close();\nstub.close();\n")),
      Map.entry("cluster-node", DEFAULT
          .given("var tokens = new Object() { String userFor(String token) { return \"alice\"; } };\n",
              "node.close();\n", "")
          .compileOnly("its store needs a Redis at redis.internal; RedisClusterTest runs nodes on a real redis-server")),
      Map.entry("cluster-client", DEFAULT
          .given("var tokens = new Object() { String current() { return \"t0ken\"; } };\n",
              "if (client.uris().size() != 2) throw new AssertionError(client.uris());\nclient.close();\n", "")),
      Map.entry("module-info", DEFAULT));

  /** A block of README.md: where it is and what it says. */
  record Block(int number, int line, String heading, String context, String code) {
    String describe() {
      return "README.md block " + number + " (line " + line + ", under '" + heading + "')";
    }
  }

  @TestFactory
  Stream<DynamicTest> everyJavaBlockOfTheReadmeCompilesAndRuns() throws IOException {
    List<Block> blocks = blocks(Files.readAllLines(README, StandardCharsets.UTF_8));
    assertThat(blocks).as("java blocks in README.md").hasSizeGreaterThanOrEqualTo(10);
    return blocks.stream().map(b -> DynamicTest.dynamicTest(b.heading() + " (line " + b.line() + ")", () -> check(b)));
  }

  /** The java blocks, each with its heading and the context its marker names. */
  static List<Block> blocks(List<String> lines) {
    Pattern marker = Pattern.compile("<!--\\s*snippet:\\s*([\\w-]+)\\s*-->");
    List<Block> blocks = new ArrayList<>();
    String heading = "(top)";
    String context = null;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      Matcher m = marker.matcher(line);
      if (line.startsWith("#")) {
        heading = line.replaceFirst("^#+\\s*", "");
      } else if (m.find()) {
        context = m.group(1);
        continue;
      } else if (line.strip().equals("```java")) {
        int start = i + 1;
        StringBuilder code = new StringBuilder();
        while (++i < lines.size() && !lines.get(i).strip().equals("```")) {
          code.append(lines.get(i)).append('\n');
        }
        if (i == lines.size()) {
          fail("README.md block at line " + start + " (under '" + heading + "') has no closing ```");
        }
        blocks.add(new Block(blocks.size() + 1, start, heading, context, code.toString()));
      }
      if (!line.isBlank()) {
        context = null; // a marker applies to the block right after it
      }
    }
    return blocks;
  }

  private void check(Block block) throws Exception {
    Context context = block.context() == null ? DEFAULT : CONTEXTS.get(block.context());
    if (context == null) {
      fail(block.describe() + " names the snippet context '" + block.context()
          + "', which ReadmeSnippetsTest.CONTEXTS does not define");
    }
    String code = block.code();
    for (Map.Entry<String, String> s : context.substitutions.entrySet()) {
      if (!code.contains(s.getKey())) {
        fail(block.describe() + " no longer contains '" + s.getKey() + "', which its context replaces; update"
            + " the context '" + block.context() + "' in ReadmeSnippetsTest");
      }
      code = code.replace(s.getKey(), s.getValue());
    }
    Path dir = Files.createTempDirectory(work, "block" + block.number());
    String imports = context.imports.stream().map(i -> "import " + i + ";\n").collect(Collectors.joining());
    boolean module = code.stripLeading().startsWith("module ");
    boolean types = !module && Pattern.compile("(?m)^(@\\w+\\s*)*(public\\s+)?(final\\s+)?(class|interface|record|enum)\\s")
        .matcher(code).find();
    List<Path> sources = new ArrayList<>();
    String className = "Block" + block.number();
    if (module) {
      sources.add(write(dir.resolve("src/module-info.java"), code));
    } else if (types) {
      String name = typeName(code);
      sources.add(write(dir.resolve("src/" + name + ".java"), imports + code));
    } else {
      sources.add(write(dir.resolve("src/" + className + ".java"), imports
          + "public final class " + className + " implements java.util.concurrent.Callable<Object> {\n"
          + "  @Override public Object call() throws Exception {\n"
          + context.prelude + "try {\n" + code + context.after + "} finally {\n" + context.cleanup + "}\n"
          + "    return null;\n  }\n}\n"));
    }
    for (int i = 0; i < context.support.size(); i++) {
      sources.add(write(dir.resolve("src/Support" + i + ".java"), imports + context.support.get(i)));
    }
    Path classes = dir.resolve("classes");
    compile(block, sources, classes, context, module);
    if (context.mirror != null) {
      assertMirrored(block, code, context.mirror);
    }
    if (module || types || context.compileOnlyBecause != null) {
      return; // compiled: what declares types runs where it is deployed (see the context)
    }
    run(block, classes, className, context);
  }

  private static void compile(Block block, List<Path> sources, Path classes, Context context, boolean module)
      throws IOException {
    List<String> args = new ArrayList<>(List.of("-proc:none", "-Xlint:all,-serial", "-d", classes.toString()));
    if (module) {
      args.addAll(List.of("--module-path", Files.readString(Path.of("target", "module-path.txt")).strip()));
    } else {
      String classPath = Stream.concat(Stream.of(System.getProperty("java.class.path")),
          context.extraClassPath.stream().map(Path::toString)).collect(Collectors.joining(File.pathSeparator));
      args.addAll(List.of("-cp", classPath));
    }
    sources.forEach(s -> args.add(s.toString()));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = javac.run(null, out, out, args.toArray(String[]::new));
    String diagnostics = out.toString(StandardCharsets.UTF_8);
    if (code != 0) {
      fail(block.describe() + " does not compile:\n" + diagnostics + "\nas compiled:\n" + Files.readString(sources.get(0)));
    }
  }

  private static void run(Block block, Path classes, String className, Context context) throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    PrintStream tee = new PrintStream(new TeeStream(original, captured), true, StandardCharsets.UTF_8);
    ExecutorService runner = Executors.newSingleThreadExecutor();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
        ReadmeSnippetsTest.class.getClassLoader())) {
      System.setOut(tee);
      Callable<?> snippet = (Callable<?>) loader.loadClass(className).getConstructor().newInstance();
      Future<?> done = runner.submit(snippet);
      try {
        done.get(60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new AssertionError(block.describe() + " threw when run: " + e.getCause(), e.getCause());
      }
      // Callbacks may still be printing: wait for the lines the README says, within bounds.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!printedAll(captured, context) && System.nanoTime() < deadline) {
        synchronized (captured) {
          captured.wait(50);
        }
      }
      List<String> printed = captured.toString(StandardCharsets.UTF_8).lines().toList();
      assertThat(printed).as(block.describe() + " prints what the README says").containsAll(context.expectedOutput);
    } finally {
      System.setOut(original);
      runner.shutdownNow();
    }
  }

  private static boolean printedAll(ByteArrayOutputStream captured, Context context) {
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8).lines().toList().containsAll(context.expectedOutput);
    }
  }

  /** Writes to the console and to a buffer that {@link #run} watches. */
  private static final class TeeStream extends OutputStream {
    private final OutputStream console;
    private final ByteArrayOutputStream copy;

    TeeStream(OutputStream console, ByteArrayOutputStream copy) {
      this.console = console;
      this.copy = copy;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      console.write(b, off, len);
      synchronized (copy) {
        copy.write(b, off, len);
        copy.notifyAll();
      }
    }
  }

  private static String typeName(String code) {
    Matcher m = Pattern.compile("(?m)^(?:@\\w+\\s*)*public\\s+(?:final\\s+)?(?:class|interface|record|enum)\\s+(\\w+)")
        .matcher(code);
    if (m.find()) {
      return m.group(1);
    }
    Matcher any = Pattern.compile("(?:class|interface|record|enum)\\s+(\\w+)").matcher(code);
    return any.find() ? any.group(1) : "Block";
  }

  private static Path write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.writeString(file, text);
  }

  private static List<Path> jars(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".jar")).sorted().toList();
    } catch (IOException e) {
      throw new IllegalStateException(dir + " (dependency:copy, generate-test-resources): " + e, e);
    }
  }

  /** Where run blocks may write files (the README's rooms.db): in target/, not the working directory. */
  private static String work() {
    try {
      return Files.createDirectories(Path.of("target", "readme-files")).toAbsolutePath().toString();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String quoted(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  /**
   * For a block compiled only: every statement of it must be in the test that runs it, as the
   * context replaces it (comments, whitespace and the type of a declared variable aside: the test
   * may keep it in a field), so that the two cannot drift apart.
   */
  private static void assertMirrored(Block block, String code, Path test) throws IOException {
    String runs = Files.readAllLines(test).stream().map(ReadmeSnippetsTest::statement).collect(Collectors.joining("\n"));
    for (String line : code.lines().map(ReadmeSnippetsTest::statement).filter(l -> !l.isEmpty()).toList()) {
      if (!runs.contains(line)) {
        fail(block.describe() + " has '" + line + "', which " + test + " (the test that runs it) does not:"
            + " change both together");
      }
    }
  }

  /** A line as a statement: no comment, no surrounding space, {@code Type x = ..} as {@code x = ..}. */
  private static String statement(String line) {
    return line.replaceFirst("//.*$", "").strip().replaceFirst("^[A-Z][\\w.<>]*\\s+(?=\\w+\\s*=[^=])", "");
  }
}

package dev.tether.samples;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Debian Chromium driven through Debian's chromedriver, both named explicitly so that
 * Selenium Manager never runs (nor downloads anything). {@code TETHER_CHROMIUM} and
 * {@code TETHER_CHROMEDRIVER} override the paths {@code /usr/bin/chromium} and
 * {@code /usr/bin/chromedriver}. Without them the test fails and says how to install them: a
 * skipped browser test would prove nothing. Each session gets a fresh profile, deleted on close.
 */
final class Chromium implements AutoCloseable {
  private final ChromeDriver driver;
  private final Path profile;

  private Chromium(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  static Chromium start(Path logDir) {
    String binary = path("TETHER_CHROMIUM", "/usr/bin/chromium");
    String chromedriver = path("TETHER_CHROMEDRIVER", "/usr/bin/chromedriver");
    try {
      Path profile = Files.createTempDirectory("tether-chromium-");
      ChromeOptions options = new ChromeOptions();
      options.setBinary(binary);
      // As root Chromium needs --no-sandbox; the network flags keep it from calling home.
      options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
          "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-default-apps",
          "--user-data-dir=" + profile, "--window-size=900,700");
      Files.createDirectories(logDir);
      ChromeDriverService service = new ChromeDriverService.Builder()
          .usingDriverExecutable(new File(chromedriver)).usingAnyFreePort()
          .withLogFile(logDir.resolve("chromedriver.log").toFile()).build();
      return new Chromium(new ChromeDriver(service, options), profile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String path(String env, String fallback) {
    String p = System.getenv(env) != null ? System.getenv(env) : fallback;
    if (!Files.isExecutable(Path.of(p))) {
      throw new IllegalStateException(p + " not found: the web chat test needs Debian's chromium and"
          + " chromium-driver (apt-get install -y chromium chromium-driver; .ci/run does), or " + env
          + " naming another binary");
    }
    return p;
  }

  ChromeDriver driver() {
    return driver;
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a leftover temp profile is harmless
      }
    }
  }
}

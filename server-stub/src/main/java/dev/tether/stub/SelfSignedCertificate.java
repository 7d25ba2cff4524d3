package dev.tether.stub;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throwaway self-signed certificate for {@code wss://} tests, made at run time with the JDK's
 * {@code keytool} (EC P-256, valid for 2 days). Use {@link #serverContext()} with
 * {@link StubServer.Builder#tls} and {@link #clientContext()}, which trusts this certificate and
 * nothing else, on the client:
 * <pre>{@code
 * SelfSignedCertificate cert = SelfSignedCertificate.generate("localhost", "127.0.0.1");
 * StubServer server = StubServer.builder().tls(cert.serverContext()).start();   // wss://127.0.0.1:PORT/im
 * TetherClient client = TetherClient.builder(server.uri()).sslContext(cert.clientContext()).build();
 * }</pre>
 * Generating takes a second or so (a keytool process). Immutable and thread-safe.
 */
public final class SelfSignedCertificate {
  private final KeyStore keyStore;
  private final char[] password;
  private final X509Certificate certificate;

  private SelfSignedCertificate(KeyStore keyStore, char[] password, X509Certificate certificate) {
    this.keyStore = keyStore;
    this.password = password;
    this.certificate = certificate;
  }

  /**
   * A certificate for {@code names}: host names and IP addresses, all put in its subject
   * alternative names; the first is also its common name.
   *
   * @throws IllegalArgumentException if no name is given
   * @throws UncheckedIOException if keytool cannot be run
   */
  public static SelfSignedCertificate generate(String... names) {
    Objects.requireNonNull(names, "names == null");
    if (names.length == 0) {
      throw new IllegalArgumentException("at least one host name or IP address is needed");
    }
    List<String> san = new ArrayList<>();
    for (String name : names) {
      Objects.requireNonNull(name, "name == null");
      san.add((Character.isDigit(name.charAt(0)) || name.contains(":") ? "ip:" : "dns:") + name);
    }
    byte[] random = new byte[12];
    new SecureRandom().nextBytes(random);
    char[] password = HexFormat.of().formatHex(random).toCharArray();
    Path dir = null;
    try {
      dir = Files.createTempDirectory("tether-cert");
      Path store = dir.resolve("cert.p12");
      String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
      Path log = dir.resolve("keytool.log");
      Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "tether", "-keyalg", "EC",
          "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA", "-dname", "CN=" + names[0],
          "-ext", "SAN=" + String.join(",", san), "-validity", "2", "-storetype", "PKCS12",
          "-keystore", store.toString(), "-storepass", new String(password), "-keypass", new String(password),
          "-noprompt").redirectErrorStream(true).redirectOutput(log.toFile()).start();
      try {
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          throw new IOException("keytool did not finish within 60 s");
        }
      } finally {
        p.destroyForcibly();
      }
      if (p.exitValue() != 0) {
        throw new IOException("keytool failed: " + Files.readString(log).trim());
      }
      KeyStore keyStore = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store)) {
        keyStore.load(in, password);
      }
      return new SelfSignedCertificate(keyStore, password, (X509Certificate) keyStore.getCertificate("tether"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a self-signed certificate", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot load the self-signed certificate: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while making a certificate", e);
    } finally {
      deleteQuietly(dir);
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (var files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      dir.toFile().deleteOnExit();
    }
  }

  /** The certificate. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** A TLS context that presents this certificate: for the server. */
  public SSLContext serverContext() {
    try {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keyStore, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), null, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a server TLS context: " + e, e);
    }
  }

  /** A TLS context that trusts this certificate and no other: for the client. */
  public SSLContext clientContext() {
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("tether", certificate);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot make a client TLS context: " + e, e);
    }
  }

  @Override
  public String toString() {
    return "SelfSignedCertificate{" + certificate.getSubjectX500Principal().getName() + "}";
  }
}

package dev.tether.server.internal;

import java.security.SecureRandom;
import java.util.Base64;

/** New room epochs: 96 random bits, as 16 URL-safe base64 characters. Thread-safe. */
final class Epochs {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Epochs() {}

  static String next() {
    byte[] bits = new byte[12];
    RANDOM.nextBytes(bits);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
  }
}

package dev.tether.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class RedactionTest {
  @Test
  void queryValuesAreMaskedAndTheirNamesKept() {
    assertThat(Redaction.uri(URI.create("ws://chat.example.com:8025/im?user=alice&token=s3cr3t")))
        .isEqualTo("ws://chat.example.com:8025/im?user=***&token=***");
    assertThat(Redaction.uri(URI.create("wss://h/im?token=a%3Db&empty=&bare")))
        .isEqualTo("wss://h/im?token=***&empty=***&***");
  }

  @Test
  void userInfoAndFragmentNeverShow() {
    assertThat(Redaction.uri(URI.create("ws://bob:pa55@h/im#part"))).isEqualTo("ws://h/im");
    assertThat(Redaction.uri(URI.create("ws://[::1]:9/im"))).isEqualTo("ws://[::1]:9/im");
  }

  @Test
  void aUriWithoutQueryIsShownAsItIs() {
    assertThat(Redaction.uri(URI.create("ws://127.0.0.1:8025/im"))).isEqualTo("ws://127.0.0.1:8025/im");
  }

  @Test
  void anOpaqueOrMalformedUriShowsOnlyItsScheme() {
    assertThat(Redaction.uri(URI.create("mailto:alice@example.com"))).isEqualTo("mailto:***");
    assertThat(Redaction.uri(URI.create("http://x"))).isEqualTo("http://x");
  }

  @Test
  void aFailureNamingTheUriIsCopiedWithTheQueryMaskedKeepingTypesAndTheCleanCauses() {
    URI uri = URI.create("ws://h/im?token=s3cr3t");
    java.util.concurrent.TimeoutException root = new java.util.concurrent.TimeoutException("slow");
    java.io.IOException dirty = new java.io.IOException("timeout for " + uri, root);
    Throwable scrubbed = Redaction.scrub(dirty, uri);
    assertThat(scrubbed).isInstanceOf(java.io.IOException.class).hasMessage("timeout for ws://h/im?token=***");
    assertThat(scrubbed.getCause()).isSameAs(root);
    assertThat(scrubbed.getStackTrace()).isEqualTo(dirty.getStackTrace());

    java.io.IOException clean = new java.io.IOException("Connection refused");
    assertThat(Redaction.scrub(clean, uri)).isSameAs(clean);
    assertThat(Redaction.text("decoded: token=s3cr3t", uri)).isEqualTo("decoded: token=***");
  }
}

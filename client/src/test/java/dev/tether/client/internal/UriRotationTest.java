package dev.tether.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.client.internal.UriRotation.Next;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The URI rotation alone: the order of URIs, where rounds end, and URIs leaving for good. */
class UriRotationTest {
  private static final URI A = URI.create("ws://a/im?user=alice");
  private static final URI B = URI.create("ws://b/im?user=alice");
  private static final URI C = URI.create("ws://c/im?user=alice");

  @Test
  void failuresMoveToTheNextUriInTurnAndEveryFullRoundEndsInABackoff() {
    UriRotation r = new UriRotation(List.of(A, B, C));
    assertThat(r.current()).isEqualTo(A);
    assertThat(r.failed(false)).isEqualTo(Next.NOW);
    assertThat(r.current()).isEqualTo(B);
    assertThat(r.failed(false)).isEqualTo(Next.NOW);
    assertThat(r.current()).isEqualTo(C);
    assertThat(r.failed(false)).isEqualTo(Next.AFTER_BACKOFF);
    assertThat(r.current()).isEqualTo(A);
    // The next round is whole again.
    assertThat(r.failed(false)).isEqualTo(Next.NOW);
    assertThat(r.failed(false)).isEqualTo(Next.NOW);
    assertThat(r.failed(false)).isEqualTo(Next.AFTER_BACKOFF);
    assertThat(r.current()).isEqualTo(A);
  }

  @Test
  void withOneUriEveryFailureIsARound() {
    UriRotation r = new UriRotation(List.of(A));
    for (int i = 0; i < 3; i++) {
      assertThat(r.failed(false)).isEqualTo(Next.AFTER_BACKOFF);
      assertThat(r.current()).isEqualTo(A);
    }
    assertThat(r.failed(true)).isEqualTo(Next.NONE_LEFT);
  }

  @Test
  void aConnectionThatCarriedAFrameBeginsANewRoundAtItsUri() {
    UriRotation r = new UriRotation(List.of(A, B));
    assertThat(r.failed(false)).isEqualTo(Next.NOW); // A refused
    r.opened(B);
    r.answered(); // B works for a while, then is lost
    assertThat(r.failed(false)).isEqualTo(Next.NOW);
    assertThat(r.current()).isEqualTo(A);
    assertThat(r.failed(false)).isEqualTo(Next.AFTER_BACKOFF);
    assertThat(r.current()).isEqualTo(B);
  }

  @Test
  void connectionsDroppedWithoutAWordStayInTheRoundSoTwoSuchNodesStillBackOff() {
    UriRotation r = new UriRotation(List.of(A, B));
    r.opened(A); // opened, no frame, lost
    assertThat(r.failed(false)).isEqualTo(Next.NOW);
    r.opened(B); // the same
    assertThat(r.failed(false)).isEqualTo(Next.AFTER_BACKOFF);
  }

  @Test
  void aUriThatFailedForGoodLeavesTheRotationAndTheLastOneEndsIt() {
    UriRotation r = new UriRotation(List.of(A, B, C));
    assertThat(r.failed(false)).isEqualTo(Next.NOW); // A: refused
    assertThat(r.failed(true)).isEqualTo(Next.NOW); // B: 404, out for good
    assertThat(r.current()).isEqualTo(C);
    assertThat(r.failed(false)).isEqualTo(Next.AFTER_BACKOFF);
    assertThat(r.current()).isEqualTo(A);
    assertThat(r.failed(false)).isEqualTo(Next.NOW);
    assertThat(r.current()).as("B is skipped").isEqualTo(C);
    assertThat(r.failed(false)).isEqualTo(Next.AFTER_BACKOFF);
    assertThat(r.failed(true)).isEqualTo(Next.NOW);
    assertThat(r.current()).isEqualTo(C);
    assertThat(r.failed(true)).isEqualTo(Next.NONE_LEFT);
  }

  @Test
  void aNewRoundForgetsTheFailuresOfTheOldOne() {
    UriRotation r = new UriRotation(List.of(A, B, C));
    r.failed(false);
    r.newRound(); // the network came back
    assertThat(r.failed(false)).isEqualTo(Next.NOW);
    assertThat(r.failed(false)).isEqualTo(Next.NOW);
    assertThat(r.failed(false)).isEqualTo(Next.AFTER_BACKOFF);
  }

  @Test
  void remembersWhichUrisOpenedBefore() {
    UriRotation r = new UriRotation(List.of(A, B));
    r.opened(B);
    assertThat(r.openedBefore(A)).isFalse();
    assertThat(r.openedBefore(B)).isTrue();
    assertThat(r.openedBefore(C)).isFalse();
  }

  @Test
  void toStringRedactsQueryValuesAndMarksTheCurrentUri() {
    UriRotation r = new UriRotation(List.of(A, B));
    r.failed(false);
    assertThat(r).hasToString("UriRotation{ws://a/im?user=*** (failed), *ws://b/im?user=***}");
  }
}

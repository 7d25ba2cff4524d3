package dev.tether.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.Envelope;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoomTrackerTest {
  private final RoomTracker rooms = new RoomTracker(16);

  private static Envelope chat(String room, long seq) {
    return Envelope.chat(room, "m" + seq).withId(room + "-" + seq).accepted("alice", seq, 1);
  }

  private static List<Long> seqs(RoomTracker.Step step) {
    return step.deliver().stream().map(Envelope::seq).toList();
  }

  @Test
  void chatsInOrderAreDeliveredAtOnce() {
    rooms.joined("r", 0);
    assertThat(seqs(rooms.chat(chat("r", 1)))).containsExactly(1L);
    assertThat(seqs(rooms.chat(chat("r", 2)))).containsExactly(2L);
  }

  @Test
  void aChatAlreadyDeliveredIsDroppedAndCounted() {
    rooms.joined("r", 0);
    rooms.chat(chat("r", 1));
    RoomTracker.Step again = rooms.chat(chat("r", 1));
    assertThat(again.deliver()).isEmpty();
    assertThat(again.duplicates()).isEqualTo(1);
  }

  @Test
  void aSeqJumpHoldsTheChatAndAsksOnceForAResume() {
    rooms.joined("r", 3);
    RoomTracker.Step jump = rooms.chat(chat("r", 6));
    assertThat(jump.deliver()).isEmpty();
    assertThat(jump.resume()).isTrue();
    assertThat(jump.resumeAfter()).isEqualTo(3);
    rooms.resumeSent("r", "res-1");
    assertThat(rooms.chat(chat("r", 7)).resume()).isFalse();
    // The replay fills the gap: everything comes out in order, held chats included.
    assertThat(seqs(rooms.chat(chat("r", 4)))).containsExactly(4L);
    assertThat(seqs(rooms.chat(chat("r", 5)))).containsExactly(5L, 6L, 7L);
    assertThat(rooms.resumed("res-1")).isEqualTo(RoomTracker.Step.NONE);
  }

  @Test
  void aHistoryGapSkipsTheMissingRangeAndReleasesWhatWasHeld() {
    rooms.joined("r", 0);
    rooms.chat(chat("r", 9));
    RoomTracker.Step gap = rooms.gap("r", 1, 8);
    assertThat(gap.gaps()).singleElement().satisfies(g -> assertThat(g).containsExactly(1, 8));
    assertThat(seqs(gap)).containsExactly(9L);
  }

  @Test
  void aHoleLeftAfterTheResumeIsReportedNotWaitedForever() {
    rooms.joined("r", 2);
    rooms.chat(chat("r", 5));
    rooms.resumeSent("r", "res-1");
    RoomTracker.Step done = rooms.resumed("res-1");
    assertThat(done.gaps()).singleElement().satisfies(g -> assertThat(g).containsExactly(3, 4));
    assertThat(seqs(done)).containsExactly(5L);
  }

  @Test
  void roomPositionsAreRecordedForTheStore() {
    rooms.joined("r", 4);
    rooms.chat(chat("r", 5));
    assertThat(rooms.takeDirty()).isEqualTo(Map.of("r", 5L));
    assertThat(rooms.takeDirty()).isEmpty();
    rooms.left("r");
    assertThat(rooms.takeDirty()).isEqualTo(Map.of("r", -1L));
    assertThat(rooms.resumePoints()).isEmpty();
  }

  @Test
  void chatsOfRoomsNotTrackedPassThrough() {
    assertThat(seqs(rooms.chat(chat("other", 42)))).containsExactly(42L);
  }
}

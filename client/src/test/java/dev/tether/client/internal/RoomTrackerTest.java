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
  void aHoleAboveTheResumesAckIsNotReportedItsChatsComeLiveAfterTheAck() {
    rooms.joined("r", 2, "e");
    rooms.chat(chat("r", 9).withEpoch("e")); // ahead of its place
    rooms.resumeSent("r", "res-1");
    assertThat(seqs(rooms.chat(chat("r", 3).withEpoch("e")))).containsExactly(3L);
    assertThat(seqs(rooms.chat(chat("r", 4).withEpoch("e")))).containsExactly(4L);
    // The server replayed up to 4 (its feed had not reached more): 5..8 are not lost.
    assertThat(rooms.resumed("res-1", 4, "e")).isEqualTo(RoomTracker.Step.NONE);
    for (long seq = 5; seq <= 7; seq++) {
      assertThat(seqs(rooms.chat(chat("r", seq).withEpoch("e")))).containsExactly(seq);
    }
    assertThat(seqs(rooms.chat(chat("r", 8).withEpoch("e")))).containsExactly(8L, 9L);
  }

  @Test
  void onlyTheHoleUpToTheResumesAckIsReportedWhatIsAboveItComesLive() {
    rooms.joined("r", 2, "e");
    rooms.chat(chat("r", 9).withEpoch("e"));
    rooms.resumeSent("r", "res-1");
    RoomTracker.Step done = rooms.resumed("res-1", 5, "e");
    assertThat(done.gaps()).singleElement().satisfies(g -> assertThat(g).containsExactly(3, 5));
    assertThat(done.deliver()).isEmpty();
    for (long seq = 6; seq <= 7; seq++) {
      assertThat(seqs(rooms.chat(chat("r", seq).withEpoch("e")))).containsExactly(seq);
    }
    assertThat(seqs(rooms.chat(chat("r", 8).withEpoch("e")))).containsExactly(8L, 9L);
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

  // ------------------------------------------------------------------------------ epochs, resets

  private static final String OLD = "q3Jx0cVb9LmT2wAe";
  private static final String NEW = "Zk8vYw2LrT0aQm5s";

  private static Envelope chat(String room, long seq, String epoch) {
    return chat(room, seq, epoch, room + "-" + epoch + "-" + seq);
  }

  private static Envelope chat(String room, long seq, String epoch, String id) {
    return Envelope.chat(room, "m" + seq).withId(id).withEpoch(epoch).accepted("alice", seq, 1);
  }

  /** The step's events as short strings: "reset 20", "gap 3..4", "chat 1". */
  private static List<String> told(RoomTracker.Step step) {
    return step.events().stream().map(e -> {
      if (e instanceof RoomTracker.Delivered d) {
        return "chat " + d.chat().seq();
      }
      if (e instanceof RoomTracker.Missed m) {
        return "gap " + m.from() + ".." + m.to();
      }
      return "reset " + ((RoomTracker.Reset) e).lastSeqBefore();
    }).toList();
  }

  private void deliverUpTo(String room, long last, String epoch) {
    for (long seq = 1; seq <= last; seq++) {
      rooms.chat(chat(room, seq, epoch));
    }
  }

  @Test
  void aChatOfAnotherEpochIsAResetReportedBeforeTheChat() {
    rooms.joined("r", 0, OLD);
    deliverUpTo("r", 20, OLD);
    RoomTracker.Step step = rooms.chat(chat("r", 1, NEW));
    assertThat(told(step)).containsExactly("reset 20", "chat 1");
    assertThat(rooms.epoch("r")).isEqualTo(NEW);
    assertThat(told(rooms.chat(chat("r", 2, NEW)))).containsExactly("chat 2");
    assertThat(rooms.resumePoints()).isEqualTo(Map.of("r", 2L));
  }

  @Test
  void aChatOfANewEpochPastItsFirstSeqIsAResetAndAsksForTheNewStreamFromItsStart() {
    rooms.joined("r", 20, OLD);
    RoomTracker.Step step = rooms.chat(chat("r", 3, NEW));
    assertThat(told(step)).containsExactly("reset 20");
    assertThat(step.resume()).isTrue();
    assertThat(step.resumeAfter()).isZero();
    rooms.resumeSent("r", "res-1");
    assertThat(told(rooms.chat(chat("r", 1, NEW)))).containsExactly("chat 1");
    assertThat(told(rooms.chat(chat("r", 2, NEW)))).containsExactly("chat 2", "chat 3");
    assertThat(rooms.resumed("res-1", 3, NEW)).isEqualTo(RoomTracker.Step.NONE);
  }

  @Test
  void epochChangedForOurResumeIsOneResetThenTheNewStreamFromSeq1() {
    rooms.joined("r", 20, OLD);
    rooms.resumeSent("r", "res-1");
    assertThat(told(rooms.epochChanged("r", "res-1", NEW))).containsExactly("reset 20");
    assertThat(rooms.epochChanged("r", "res-1", NEW)).as("once").isEqualTo(RoomTracker.Step.NONE);
    assertThat(told(rooms.chat(chat("r", 1, NEW)))).containsExactly("chat 1");
    assertThat(told(rooms.chat(chat("r", 2, NEW)))).containsExactly("chat 2");
    assertThat(rooms.resumed("res-1", 2, NEW)).isEqualTo(RoomTracker.Step.NONE);
    assertThat(rooms.resumePoints()).isEqualTo(Map.of("r", 2L));
  }

  @Test
  void aResetFoundByALiveChatIsNotReportedAgainByTheEpochChangedOfTheResumeInFlight() {
    rooms.joined("r", 20, OLD);
    rooms.resumeSent("r", "res-1");
    assertThat(told(rooms.chat(chat("r", 1, NEW)))).containsExactly("reset 20", "chat 1");
    assertThat(rooms.epochChanged("r", "res-1", NEW)).isEqualTo(RoomTracker.Step.NONE);
    assertThat(rooms.chat(chat("r", 1, NEW)).duplicates()).as("replayed again").isEqualTo(1);
    assertThat(rooms.resumed("res-1", 1, NEW)).isEqualTo(RoomTracker.Step.NONE);
  }

  @Test
  void aResumeThatAskedForTheOldStreamAndGotNoEpochChangedIsSentAgain() {
    rooms.joined("r", 20, OLD);
    rooms.resumeSent("r", "res-1");
    rooms.chat(chat("r", 2, NEW)); // reset; held, the resume in flight asked for the old stream
    RoomTracker.Step step = rooms.resumed("res-1", 2, NEW);
    assertThat(step.resume()).isTrue();
    assertThat(step.resumeAfter()).isZero();
    assertThat(step.gaps()).as("not a gap: the new stream was never asked for").isEmpty();
  }

  @Test
  void aResumeAckOfAnotherEpochIsAResetAndResumesFromZero() {
    rooms.joined("r", 20, OLD);
    rooms.resumeSent("r", "res-1");
    RoomTracker.Step step = rooms.resumed("res-1", 0, NEW);
    assertThat(told(step)).containsExactly("reset 20");
    assertThat(step.resume()).isTrue();
    assertThat(step.resumeAfter()).isZero();
    assertThat(rooms.epoch("r")).isEqualTo(NEW);
  }

  @Test
  void withoutEpochsAResumeAckBelowThePositionIsAResetAndResumesFromZero() {
    rooms.joined("r", 20);
    rooms.resumeSent("r", "res-1");
    RoomTracker.Step step = rooms.resumed("res-1", 2, null);
    assertThat(told(step)).containsExactly("reset 20");
    assertThat(step.resume()).isTrue();
    assertThat(step.resumeAfter()).isZero();
    rooms.resumeSent("r", "res-2");
    assertThat(told(rooms.chat(chat("r", 1, null)))).containsExactly("chat 1");
    assertThat(told(rooms.chat(chat("r", 2, null)))).containsExactly("chat 2");
    assertThat(rooms.resumed("res-2", 2, null)).isEqualTo(RoomTracker.Step.NONE);
  }

  @Test
  void withoutEpochsAJoinAckBelowThePositionIsAResetAndResumesFromZero() {
    rooms.joined("r", 20);
    RoomTracker.Step step = rooms.joined("r", 3, null);
    assertThat(told(step)).containsExactly("reset 20");
    assertThat(step.resume()).isTrue();
    assertThat(step.resumeAfter()).isZero();
  }

  @Test
  void aJoinAckOfAnotherEpochForATrackedRoomIsAResetAndTakesTheAcksSeq() {
    rooms.joined("r", 20, OLD);
    RoomTracker.Step step = rooms.joined("r", 0, NEW);
    assertThat(told(step)).containsExactly("reset 20");
    assertThat(step.resume()).isFalse();
    assertThat(rooms.joined("r", 0, NEW)).as("same epoch: nothing").isEqualTo(RoomTracker.Step.NONE);
    assertThat(told(rooms.chat(chat("r", 1, NEW)))).containsExactly("chat 1");
  }

  @Test
  void theSameEpochOrAnAckAtOrAboveThePositionIsNoReset() {
    rooms.joined("r", 5, OLD);
    rooms.resumeSent("r", "res-1");
    assertThat(rooms.resumed("res-1", 9, OLD)).isEqualTo(RoomTracker.Step.NONE);
    assertThat(rooms.joined("r", 9, OLD)).isEqualTo(RoomTracker.Step.NONE);
    assertThat(rooms.epochChanged("r", "res-1", OLD)).isEqualTo(RoomTracker.Step.NONE);
  }

  /** A chat delivered in the old stream and resent after the server forgot it: same sender, same id. */
  @Test
  void aChatDeliveredBeforeTheResetAndResentIntoTheNewStreamIsDroppedButAdvancesThePosition() {
    rooms.joined("r", 0, OLD);
    rooms.chat(chat("r", 1, OLD, "a1"));
    rooms.chat(chat("r", 2, OLD, "a2"));
    RoomTracker.Step step = rooms.chat(chat("r", 1, NEW, "a2"));
    assertThat(told(step)).containsExactly("reset 2");
    assertThat(step.duplicates()).isEqualTo(1);
    assertThat(told(rooms.chat(chat("r", 2, NEW, "a3")))).containsExactly("chat 2");
    assertThat(rooms.resumePoints()).isEqualTo(Map.of("r", 2L));
  }

  @Test
  void theIdsDeliveredBeforeAResetAreRememberedHoweverLongTheNewStreamGrows() {
    rooms.joined("r", 0, OLD);
    for (long seq = 1; seq <= 16; seq++) {
      rooms.chat(chat("r", seq, OLD, "old-" + seq));
    }
    for (long seq = 1; seq <= 40; seq++) {
      rooms.chat(chat("r", seq, NEW, "new-" + seq));
    }
    RoomTracker.Step resent = rooms.chat(chat("r", 41, NEW, "old-1"));
    assertThat(resent.deliver()).isEmpty();
    assertThat(resent.duplicates()).isEqualTo(1);
  }

  @Test
  void theSameIdFromAnotherSenderIsAnotherChat() {
    rooms.joined("r", 0, OLD);
    rooms.chat(chat("r", 1, OLD, "same"));
    Envelope bobs = Envelope.chat("r", "bob's").withId("same").accepted("bob", 2, 1, OLD);
    assertThat(seqs(rooms.chat(bobs))).containsExactly(2L);
  }

  @Test
  void aChatResentWithItsIdInTheSameStreamIsDroppedAndThePositionMovesOn() {
    rooms.joined("r", 0, OLD);
    rooms.chat(chat("r", 1, OLD, "x"));
    RoomTracker.Step again = rooms.chat(chat("r", 2, OLD, "x"));
    assertThat(again.deliver()).isEmpty();
    assertThat(seqs(rooms.chat(chat("r", 3, OLD, "y")))).containsExactly(3L);
  }

  @Test
  void chatsHeldAheadOfAGapAreDeliveredWithTheHoleReportedBeforeTheReset() {
    rooms.joined("r", 10, OLD);
    rooms.chat(chat("r", 12, OLD));
    rooms.resumeSent("r", "res-1");
    assertThat(told(rooms.chat(chat("r", 1, NEW)))).containsExactly("gap 11..11", "chat 12", "reset 12", "chat 1");
  }

  @Test
  void aPositionStoredWithoutAnEpochTakesTheFirstEpochItHears() {
    rooms.restore(Map.of("r", 20L));
    assertThat(rooms.epoch("r")).isNull();
    rooms.resumeSent("r", "res-1");
    assertThat(told(rooms.chat(chat("r", 21, OLD)))).containsExactly("chat 21");
    assertThat(rooms.resumed("res-1", 21, OLD)).isEqualTo(RoomTracker.Step.NONE);
    assertThat(rooms.epoch("r")).isEqualTo(OLD);
  }

  @Test
  void restoredEpochsAreComparedWithTheServers() {
    rooms.restore(Map.of("r", 20L), Map.of("r", OLD));
    rooms.resumeSent("r", "res-1");
    assertThat(told(rooms.epochChanged("r", "res-1", NEW))).containsExactly("reset 20");
  }

  @Test
  void aResetIsRecordedForTheStoreWithItsNewEpoch() {
    rooms.joined("r", 20, OLD);
    rooms.takeDirty();
    rooms.chat(chat("r", 1, NEW));
    assertThat(rooms.takeDirty()).isEqualTo(Map.of("r", 1L));
    assertThat(rooms.epoch("r")).isEqualTo(NEW);
  }
}

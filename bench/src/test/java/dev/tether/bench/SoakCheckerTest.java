package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checker on hand-written logs: each violation it must find is planted once, and what the
 * protocol allows (a reported loss, a redelivery to a restarted process) is not held against the run.
 */
class SoakCheckerTest {
  @TempDir Path dir;
  private final Map<String, List<String>> logs = new LinkedHashMap<>();
  private final Map<String, Boolean> children = new LinkedHashMap<>();
  private long clock = 1_000_000_000_000L;

  private List<String> log(String user) {
    return logs.computeIfAbsent(user, u -> new ArrayList<>());
  }

  private long tick() {
    return clock += 1000;
  }

  /** {@code sender} sends chat n, acked at {@code seq}. */
  private String sent(String sender, long n, long seq) {
    String id = sender + "-" + n;
    log(sender).add("S " + n + " " + id + " " + tick());
    log(sender).add("A " + id + " " + seq + " " + tick());
    return id;
  }

  private void delivered(String receiver, String id, long seq) {
    log(receiver).add("D room0 " + seq + " " + id + " " + id.substring(0, id.lastIndexOf('-')) + " " + tick());
  }

  private void deliveredIn(String epoch, String receiver, String id, long seq) {
    log(receiver).add("D room0 " + seq + " " + id + " " + id.substring(0, id.lastIndexOf('-')) + " " + tick() + " " + epoch);
  }

  private void deliveredToAll(String id, long seq, String... receivers) {
    for (String r : receivers) {
      delivered(r, id, seq);
    }
  }

  private SoakChecker.Result check() throws IOException {
    List<SoakChecker.Participant> ps = new ArrayList<>();
    for (var e : logs.entrySet()) {
      Path file = dir.resolve(e.getKey() + ".log");
      Files.write(file, e.getValue());
      ps.add(new SoakChecker.Participant(e.getKey(), "room0", file, children.getOrDefault(e.getKey(), false)));
    }
    return new SoakChecker(ps).check();
  }

  /** Two members, alice and bob, each sending two chats that both get in order. */
  private void cleanRoom() {
    log("alice");
    log("bob");
    String a0 = sent("alice", 0, 1);
    deliveredToAll(a0, 1, "alice", "bob");
    String b0 = sent("bob", 0, 2);
    deliveredToAll(b0, 2, "alice", "bob");
    String a1 = sent("alice", 1, 3);
    deliveredToAll(a1, 3, "alice", "bob");
  }

  @Test
  void aRoomWhereEveryChatReachesEveryMemberOncePasses() throws IOException {
    cleanRoom();
    SoakChecker.Result r = check();
    assertThat(r.passed(true)).isTrue();
    SoakChecker.Counts t = r.total();
    assertThat(t.members).isEqualTo(2);
    assertThat(t.accepted).isEqualTo(3);
    assertThat(t.expected).isEqualTo(6);
    assertThat(t.delivered).isEqualTo(6);
    assertThat(t.lostSilent + t.lostGap + t.lostReset + t.duplicated + t.outOfSeqOrder + t.outOfSenderOrder).isZero();
    assertThat(r.examples()).isEmpty();
  }

  @Test
  void anAcceptedChatOneMemberNeverGotIsASilentLoss() throws IOException {
    cleanRoom();
    String lost = sent("alice", 2, 4);
    delivered("alice", lost, 4);
    SoakChecker.Result r = check();
    assertThat(r.total().lostSilent).isEqualTo(1);
    assertThat(r.passed(false)).isFalse();
    assertThat(r.examples()).singleElement().asString()
        .startsWith("lost silently").contains("alice-2", "acked seq 4", "never delivered to bob");
  }

  @Test
  void aLossTheMemberWasToldOfByOnGapIsReportedNotSilent() throws IOException {
    cleanRoom();
    String lost = sent("alice", 2, 4);
    delivered("alice", lost, 4);
    log("bob").add("G room0 4 4 " + tick());
    SoakChecker.Result r = check();
    assertThat(r.total().lostSilent).isZero();
    assertThat(r.total().lostGap).isEqualTo(1);
    assertThat(r.total().gaps).isEqualTo(1);
    assertThat(r.passed(true)).isTrue();
  }

  @Test
  void aGapThatNamesOtherSeqsDoesNotCoverALoss() throws IOException {
    cleanRoom();
    String lost = sent("alice", 2, 4);
    delivered("alice", lost, 4);
    log("bob").add("G room0 5 9 " + tick());
    assertThat(check().total().lostSilent).isEqualTo(1);
  }

  @Test
  void aLossBeforeAResetTheMemberWasToldOfIsReportedNotSilent() throws IOException {
    cleanRoom();
    String lost = sent("alice", 2, 4);
    delivered("alice", lost, 4);
    log("bob").add("R room0 3 " + tick());
    SoakChecker.Result r = check();
    assertThat(r.total().lostReset).isEqualTo(1);
    assertThat(r.total().resets).isEqualTo(1);
    assertThat(r.passed(true)).isTrue();
  }

  @Test
  void aResetReportedBeforeTheChatWasAckedDoesNotCoverItsLoss() throws IOException {
    cleanRoom();
    log("bob").add("R room0 3 " + tick());
    String lost = sent("alice", 2, 1);
    delivered("alice", lost, 1);
    assertThat(check().total().lostSilent).isEqualTo(1);
  }

  @Test
  void aResetOfAnotherStreamDoesNotCoverALoss() throws IOException {
    log("alice");
    log("bob");
    String a0 = sent("alice", 0, 3);
    deliveredIn("e1", "alice", a0, 3);
    deliveredIn("e1", "bob", a0, 3);
    String lost = sent("alice", 1, 4);
    deliveredIn("e1", "alice", lost, 4);
    String a2 = sent("alice", 2, 5);
    deliveredIn("e1", "alice", a2, 5);
    deliveredIn("e1", "bob", a2, 5); // bob skipped seq 4 of e1 silently
    log("alice").add("R room0 5 " + tick());
    log("bob").add("R room0 5 " + tick()); // ended e1 above seq 4: says nothing of it
    String a3 = sent("alice", 3, 1);
    deliveredIn("e2", "alice", a3, 1);
    deliveredIn("e2", "bob", a3, 1);
    log("alice").add("R room0 1 " + tick());
    log("bob").add("R room0 1 " + tick()); // ended e2 below 4, but e2 is not the stream of seq 4
    SoakChecker.Result r = check();
    assertThat(r.total().lostSilent).isEqualTo(1);
    assertThat(r.total().lostReset).isZero();
  }

  /** The soak's case: a chat of the new stream sent before the member heard of the first reset. */
  @Test
  void aLossInTheStreamAfterAResetIsCoveredByTheResetThatEndedThatStream() throws IOException {
    log("alice");
    log("bob");
    String a0 = sent("alice", 0, 4865);
    deliveredIn("e1", "alice", a0, 4865);
    deliveredIn("e1", "bob", a0, 4865);
    log("alice").add("R room0 4865 " + tick());
    String a1 = sent("alice", 1, 148); // taken in e2 while bob is still reconnecting
    deliveredIn("e2", "alice", a1, 148);
    String lost = sent("alice", 2, 149);
    deliveredIn("e2", "alice", lost, 149);
    log("bob").add("R room0 4865 " + tick()); // ended e1: says nothing of seq 149 of e2
    deliveredIn("e2", "bob", a1, 148);
    log("bob").add("R room0 148 " + tick()); // e2 lost after seq 148: bob never gets 149
    SoakChecker.Result r = check();
    assertThat(r.total().lostSilent).isZero();
    assertThat(r.total().lostReset).isEqualTo(1);
  }

  @Test
  void inARoomWithResetsSeqsAreComparedPerEpoch() throws IOException {
    log("alice");
    log("bob");
    String a0 = sent("alice", 0, 1);
    deliveredIn("e1", "alice", a0, 1);
    deliveredIn("e1", "bob", a0, 1);
    log("alice").add("R room0 1 " + tick());
    log("bob").add("R room0 1 " + tick());
    String a1 = sent("alice", 1, 1);
    deliveredIn("e2", "alice", a1, 1);
    deliveredIn("e2", "bob", a1, 1);
    assertThat(check().total().seqConflicts).as("seq 1 of e1 and seq 1 of e2").isZero();

    String a2 = sent("alice", 2, 2);
    deliveredIn("e2", "alice", a2, 2);
    String a3 = sent("alice", 3, 3);
    deliveredIn("e2", "bob", a3, 2); // a second chat at seq 2 of e2
    SoakChecker.Result r = check();
    assertThat(r.total().seqConflicts).isEqualTo(1);
    assertThat(r.passed(false)).isFalse();
    assertThat(r.examples()).anySatisfy(e -> assertThat(e).startsWith("seq conflict").contains("epoch e2"));
  }

  @Test
  void aChatDeliveredTwiceToOneProcessIsADuplicate() throws IOException {
    cleanRoom();
    delivered("bob", "alice-1", 3);
    SoakChecker.Result r = check();
    assertThat(r.total().duplicated).isEqualTo(1);
    assertThat(r.passed(false)).isFalse();
    assertThat(r.examples()).singleElement().asString().startsWith("duplicated").contains("bob", "alice-1");
  }

  @Test
  void aChatGivenAgainToARestartedProcessIsARedeliveryNotADuplicate() throws IOException {
    children.put("carol", true);
    log("carol").add("K 1 " + tick());
    cleanRoom();
    deliveredToAll("alice-0", 1, "carol");
    deliveredToAll("bob-0", 2, "carol");
    log("carol").add("K 2 " + tick());
    deliveredToAll("bob-0", 2, "carol");
    deliveredToAll("alice-1", 3, "carol");
    SoakChecker.Result r = check();
    assertThat(r.total().redelivered).isEqualTo(1);
    assertThat(r.total().duplicated).isZero();
    assertThat(r.total().outOfSeqOrder).isZero();
    assertThat(r.total().delivered).isEqualTo(9);
    assertThat(r.passed(true)).isTrue();
  }

  @Test
  void aChatARestartedProcessSkippedIsASilentLossNamingTheRestart() throws IOException {
    children.put("carol", true);
    log("carol").add("K 1 " + tick());
    cleanRoom();
    deliveredToAll("alice-0", 1, "carol");
    log("carol").add("K 2 " + tick()); // killed before bob-0 (seq 2) reached its delegate
    deliveredToAll("alice-1", 3, "carol");
    SoakChecker.Result r = check();
    assertThat(r.total().lostSilent).isEqualTo(1);
    assertThat(r.examples()).singleElement().asString().contains("bob-0", "never delivered to carol",
        "incarnation 1 of its process delivered up to seq 1 and was killed, incarnation 2 began at seq 3");
  }

  @Test
  void aSeqBelowTheMembersPreviousOneIsOutOfSeqOrder() throws IOException {
    log("alice");
    log("bob");
    String a0 = sent("alice", 0, 1);
    String a1 = sent("alice", 1, 2);
    deliveredToAll(a0, 1, "alice");
    deliveredToAll(a1, 2, "alice", "bob");
    delivered("bob", a0, 1);
    SoakChecker.Result r = check();
    assertThat(r.total().outOfSeqOrder).isEqualTo(1);
    assertThat(r.passed(false)).isFalse();
  }

  @Test
  void seqsStartingAgainAfterAReportedResetAreInOrder() throws IOException {
    log("alice");
    log("bob");
    String a0 = sent("alice", 0, 1);
    deliveredToAll(a0, 1, "alice", "bob");
    log("alice").add("R room0 1 " + tick());
    log("bob").add("R room0 1 " + tick());
    String a1 = sent("alice", 1, 1);
    deliveredToAll(a1, 1, "alice", "bob");
    SoakChecker.Result r = check();
    assertThat(r.total().outOfSeqOrder).isZero();
    assertThat(r.total().seqConflicts).as("seqs repeat legitimately across a reported reset").isZero();
    assertThat(r.passed(true)).isTrue();
  }

  @Test
  void aSendersEarlierChatAfterItsLaterOneIsOutOfSenderOrder() throws IOException {
    log("alice");
    log("bob");
    log("alice").add("S 0 alice-0 " + tick());
    log("alice").add("S 1 alice-1 " + tick());
    log("alice").add("A alice-1 1 " + tick());
    log("alice").add("A alice-0 2 " + tick());
    deliveredToAll("alice-1", 1, "alice", "bob");
    deliveredToAll("alice-0", 2, "alice", "bob");
    SoakChecker.Result r = check();
    assertThat(r.total().outOfSenderOrder).isEqualTo(2);
    assertThat(r.total().outOfSeqOrder).isZero();
    assertThat(r.passed(false)).as("reported; fails only when strict").isTrue();
    assertThat(r.passed(true)).isFalse();
  }

  @Test
  void aChatWhoseFutureFailedIsNotExpectedButOneStillWaitingAtTheEndFailsTheRun() throws IOException {
    cleanRoom();
    log("alice").add("S 2 alice-2 " + tick());
    log("alice").add("F alice-2 " + tick() + " dev.tether.api.OutboxFullException: outbox full");
    SoakChecker.Result r = check();
    assertThat(r.total().failed).isEqualTo(1);
    assertThat(r.total().lostSilent).isZero();
    assertThat(r.passed(true)).isTrue();
    assertThat(r.examples()).singleElement().asString().startsWith("failed")
        .contains("alice-2", "OutboxFullException: outbox full");

    log("bob").add("S 1 bob-1 " + tick());
    log("bob").add("Z " + tick());
    log("bob").add("F bob-1 " + tick() + " closed");
    SoakChecker.Result closing = check();
    assertThat(closing.total().notDrained).isEqualTo(1);
    assertThat(closing.passed(false)).isFalse();
  }

  @Test
  void oneSeqGivenToTwoChatsIsAConflict() throws IOException {
    log("alice");
    log("bob");
    String a0 = sent("alice", 0, 1);
    String b0 = sent("bob", 0, 1);
    deliveredToAll(a0, 1, "alice");
    deliveredToAll(b0, 1, "bob");
    SoakChecker.Result r = check();
    assertThat(r.total().seqConflicts).isEqualTo(1);
    assertThat(r.passed(false)).isFalse();
  }

  @Test
  void aDeliveryNoLogAcceptedIsCountedAsUnloggedAndATornLineIsIgnored() throws IOException {
    children.put("carol", true);
    log("carol").add("K 1 " + tick());
    cleanRoom();
    deliveredToAll("alice-0", 1, "carol");
    deliveredToAll("bob-0", 2, "carol");
    deliveredToAll("alice-1", 3, "carol");
    deliveredToAll("carol-0", 4, "alice", "bob", "carol"); // carol was killed before logging "S 0"
    log("carol").add("S 1 car");
    SoakChecker.Result r = check();
    assertThat(r.total().unlogged).isEqualTo(3);
    assertThat(r.total().accepted).isEqualTo(3);
    assertThat(r.passed(true)).isTrue();
  }
}

package dev.tether.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.RoomStore.History;
import dev.tether.server.RoomStore.StoredChat;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * {@link RoomFeed}'s merging of pub/sub messages and history reads, with the reads answered by the
 * test: what is reported, in which order, and when the feed goes to the history.
 */
class RoomFeedTest {
  /** A read the feed asked for. */
  private record Read(long after, int limit, CompletableFuture<History> answer) {}

  private final ArrayDeque<Read> reads = new ArrayDeque<>();
  private final List<String> reported = new ArrayList<>();
  private final List<Runnable> retries = new ArrayList<>();
  private final RoomFeed feed = new RoomFeed("lobby", "tether:0:c:lobby", new RoomFeed.Port() {
    @Override
    public CompletionStage<History> read(String room, long after, int limit) {
      Read r = new Read(after, limit, new CompletableFuture<>());
      reads.add(r);
      return r.answer();
    }

    @Override
    public void deliver(String room, long seq, String epoch, String frame) {
      reported.add(epoch + ":" + seq);
    }

    @Override
    public void retryLater(Runnable retry) {
      retries.add(retry);
    }
  });

  private static History history(String epoch, long first, long last, long... seqs) {
    List<StoredChat> chats = LongStream.of(seqs).mapToObj(s -> new StoredChat(s, "f" + s)).toList();
    return new History(epoch, first, last, chats);
  }

  private Read nextRead() {
    assertThat(reads).as("a read asked for").isNotEmpty();
    return reads.pollFirst();
  }

  /** Subscribed and synced at seq {@code top} of {@code epoch}. */
  private void live(String epoch, long top) {
    feed.subscribed();
    Read sync = nextRead();
    assertThat(sync.after()).isNegative();
    sync.answer().complete(history(epoch, 1, top));
    assertThat(feed.ready()).isCompleted();
  }

  @Test
  void messagesThatRaceTheFirstReadAreMergedWithIt() {
    feed.subscribed();
    Read sync = nextRead();
    feed.message(5, "E", "f5"); // published after the subscription, before or after the read: unknown
    feed.message(6, "E", "f6");
    assertThat(feed.ready()).isNotDone();
    sync.answer().complete(history("E", 1, 5));
    assertThat(reported).containsExactly("E:6");
    assertThat(reads).isEmpty();
    assertThat(feed.floor()).isEqualTo(new RoomFeed.Floor("E", 6));
  }

  @Test
  void nextChatsAreReportedAsTheyComeAndRepeatsAreDropped() {
    live("E", 5);
    feed.message(6, "E", "f6");
    feed.message(6, "E", "f6");
    feed.message(7, "E", "f7");
    assertThat(reported).containsExactly("E:6", "E:7");
    assertThat(reads).isEmpty();
  }

  @Test
  void aGapIsFilledFromTheHistoryBeforeTheChatsAfterIt() {
    live("E", 5);
    feed.message(7, "E", "f7");
    Read repair = nextRead();
    assertThat(repair.after()).isEqualTo(5);
    feed.message(8, "E", "f8"); // arrives while the read is out
    assertThat(reported).isEmpty();
    repair.answer().complete(history("E", 1, 7, 6, 7));
    assertThat(reported).containsExactly("E:6", "E:7", "E:8");
    assertThat(reads).isEmpty();
  }

  @Test
  void aNewEpochIsFollowedFromItsFirstHeldChat() {
    live("E1", 5);
    feed.message(2, "E2", "f2");
    Read first = nextRead();
    assertThat(first.after()).isEqualTo(5);
    first.answer().complete(history("E2", 1, 2, 2)); // read from seq 5 of the old stream: useless
    Read again = nextRead();
    assertThat(again.after()).isZero();
    again.answer().complete(history("E2", 1, 2, 1, 2));
    assertThat(reported).containsExactly("E2:1", "E2:2");
  }

  @Test
  void aMessageOfAStreamRedisNoLongerHoldsIsDropped() {
    live("E2", 3);
    feed.message(10, "E1", "old"); // late: published before the stream was replaced
    Read check = nextRead();
    check.answer().complete(history("E2", 1, 3));
    assertThat(reported).isEmpty();
    assertThat(reads).isEmpty();
    feed.message(4, "E2", "f4");
    assertThat(reported).containsExactly("E2:4");
  }

  @Test
  void aMessageOfAnotherEpochArrivingDuringTheReadIsCheckedByAnotherRead() {
    live("E1", 3);
    feed.message(5, "E1", "f5");
    Read repair = nextRead();
    feed.message(1, "E2", "new"); // may be newer than the read: the next read decides
    repair.answer().complete(history("E1", 1, 5, 4, 5));
    assertThat(reported).containsExactly("E1:4", "E1:5");
    Read check = nextRead();
    check.answer().complete(history("E2", 1, 1, 1));
    Read fromStart = nextRead();
    assertThat(fromStart.after()).isZero();
    fromStart.answer().complete(history("E2", 1, 1, 1));
    assertThat(reported).containsExactly("E1:4", "E1:5", "E2:1");
  }

  @Test
  void chatsTheHistoryNoLongerHoldsAreSkippedNotWaitedFor() {
    live("E", 5);
    feed.message(100, "E", "f100");
    nextRead().answer().complete(history("E", 90, 100, LongStream.rangeClosed(90, 100).toArray()));
    assertThat(reported).hasSize(11).startsWith("E:90").endsWith("E:100");
    feed.message(101, "E", "f101");
    assertThat(reported).endsWith("E:101");
  }

  @Test
  void aHistoryThatLostItsTailMovesThePositionToTheRoomsTop() {
    live("E", 5);
    feed.message(9, "E", "f9");
    nextRead().answer().complete(history("E", 0, 9)); // the stream is gone, the meta says 9
    assertThat(reported).isEmpty();
    feed.message(10, "E", "f10");
    assertThat(reported).containsExactly("E:10");
  }

  @Test
  void longGapsAreReadPageByPage() {
    live("E", 0);
    feed.message(RoomFeed.PAGE + 10, "E", "x");
    Read first = nextRead();
    first.answer().complete(history("E", 1, RoomFeed.PAGE + 10, LongStream.rangeClosed(1, RoomFeed.PAGE).toArray()));
    Read second = nextRead();
    assertThat(second.after()).isEqualTo(RoomFeed.PAGE);
    second.answer().complete(history("E", 1, RoomFeed.PAGE + 10,
        LongStream.rangeClosed(RoomFeed.PAGE + 1, RoomFeed.PAGE + 10).toArray()));
    assertThat(reported).hasSize(RoomFeed.PAGE + 10).endsWith("E:" + (RoomFeed.PAGE + 10));
    assertThat(reads).isEmpty();
  }

  @Test
  void aSubscriptionConfirmedAgainReadsWhatTheOutageLost() {
    live("E", 5);
    feed.subscribed(); // Lettuce reconnected and subscribed again: messages meanwhile are lost
    Read catchUp = nextRead();
    assertThat(catchUp.after()).isEqualTo(5);
    catchUp.answer().complete(history("E", 1, 7, 6, 7));
    assertThat(reported).containsExactly("E:6", "E:7");
  }

  @Test
  void aRoomWithoutAStreamIsFollowedFromItsFirstChat() {
    feed.subscribed();
    nextRead().answer().complete(new History(null, 0, 0, List.of()));
    assertThat(feed.ready()).isCompleted();
    feed.message(1, "E", "f1");
    Read read = nextRead();
    assertThat(read.after()).isZero();
    read.answer().complete(history("E", 1, 1, 1));
    assertThat(reported).containsExactly("E:1");
  }

  @Test
  void aFailedReadIsTriedAgainLater() {
    live("E", 5);
    feed.message(7, "E", "f7");
    nextRead().answer().completeExceptionally(new IllegalStateException("Redis unavailable"));
    assertThat(retries).hasSize(1);
    retries.get(0).run();
    nextRead().answer().complete(history("E", 1, 7, 6, 7));
    assertThat(reported).containsExactly("E:6", "E:7");
  }

  @Test
  void aFailedFirstReadFailsTheFollowersAndAFollowAfterItWaitsForTheRetry() {
    feed.subscribed();
    CompletableFuture<Void> first = feed.ready();
    nextRead().answer().completeExceptionally(new IllegalStateException("Redis unavailable"));
    assertThat(first).isCompletedExceptionally();
    assertThat(feed.renewReady()).isTrue();
    retries.get(0).run();
    nextRead().answer().complete(history("E", 1, 3));
    assertThat(feed.ready()).isCompleted();
  }

  @Test
  void messagesBeyondTheBufferAreReadFromTheHistory() {
    live("E", 0);
    feed.message(2, "E", "f2"); // a gap: a read goes out
    Read repair = nextRead();
    for (long s = 3; s < RoomFeed.MAX_PENDING + 100; s++) {
      feed.message(s, "E", "f" + s);
    }
    repair.answer().complete(history("E", 1, 2, 1, 2));
    // The buffered messages (seqs 2 .. MAX_PENDING + 1) are reported; the dropped rest are read.
    long buffered = RoomFeed.MAX_PENDING + 1;
    Read overflow = nextRead();
    assertThat(overflow.after()).isEqualTo(buffered);
    assertThat(reported).hasSize((int) buffered).endsWith("E:" + buffered);
  }

  @Test
  void aClosedFeedReportsNothingAndFailsItsFollowers() {
    feed.subscribed();
    CompletableFuture<Void> ready = feed.ready();
    feed.close();
    assertThat(ready).isCompletedExceptionally();
    nextRead().answer().complete(history("E", 1, 3));
    feed.message(4, "E", "f4");
    assertThat(reported).isEmpty();
  }
}

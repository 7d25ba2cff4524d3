package dev.tether.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.stub.FaultProxy;
import dev.tether.stub.StubServer;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Guards issue 10's sender-order defect: chats after a lost frame used to take lower seqs than the
 * lost one, resent later. Three senders and two receivers, all members of one room, through a link
 * that loses 5 % of what clients send, to a server that allows 40 frames a second per connection,
 * with every connection cut once halfway: every member sees each sender's chats in the order they
 * were sent, none lost, none twice, the room gap-free; no future fails.
 */
class SenderOrderChaosTest {
  private static final int SENDERS = 3;
  private static final int CHATS = 150;
  private static final String ROOM = "lobby";

  @RegisterExtension final StubServerExtension stub = new StubServerExtension();

  @Test
  void everyMemberSeesEachSendersChatsInSendOrderThroughALossyLinkAndARateLimit() throws Exception {
    StubServer server = stub.start(StubServer.builder().rateLimit(40));
    FaultProxy proxy = stub.proxy();
    proxy.lossy(0.05, 20_261_001L);
    Map<String, RoomLog> logs = new LinkedHashMap<>();
    List<TetherClient> senders = new ArrayList<>();
    for (int s = 1; s <= SENDERS; s++) {
      senders.add(member("sender" + s, proxy.uri(), logs));
    }
    member("reader1", proxy.uri(), logs);
    member("reader2", server.uri(), logs);
    for (TetherClient c : clients.values()) {
      c.open();
      c.send(Envelope.join(ROOM)).get(60, TimeUnit.SECONDS);
    }

    List<CompletableFuture<Ack>> acks = new ArrayList<>();
    for (int i = 1; i <= CHATS; i++) {
      for (int s = 1; s <= SENDERS; s++) {
        acks.add(senders.get(s - 1).send(Envelope.chat(ROOM, "sender" + s + " " + i)));
      }
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> acks.stream().filter(CompletableFuture::isDone).count()
        >= acks.size() / 2);
    proxy.cutAll();
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(180, TimeUnit.SECONDS);

    int total = SENDERS * CHATS;
    for (Map.Entry<String, RoomLog> member : logs.entrySet()) {
      RoomLog log = member.getValue().awaitLines(total);
      assertThat(log.chats).as(member.getKey() + ": the room gap-free, each seq once")
          .extracting(Envelope::seq).isEqualTo(range(total));
      assertThat(log.chats.stream().map(Envelope::id).distinct().count()).as(member.getKey()).isEqualTo(total);
      for (int s = 1; s <= SENDERS; s++) {
        String who = "sender" + s + " ";
        List<Integer> order = log.chats.stream().map(Envelope::text).filter(t -> t.startsWith(who))
            .map(t -> Integer.parseInt(t.substring(who.length()))).toList();
        assertThat(order).as(member.getKey() + " sees " + who + "in send order").isEqualTo(oneTo(CHATS));
      }
      assertThat(log.lines).as(member.getKey() + ": no gap, no reset").allMatch(l -> l.startsWith("chat "));
    }
    StringBuilder numbers = new StringBuilder();
    for (Map.Entry<String, TetherClient> c : clients.entrySet()) {
      numbers.append(String.format("%n  %s: %s", c.getKey(), c.getValue().stats()));
    }
    System.out.printf("sender-order chaos: %d chats from %d senders, %d members, %d client messages lost by"
        + " the link, rate limit 40/s, one cut of every connection:%s%n", total, SENDERS, logs.size(),
        proxy.droppedFrames(), numbers);
    assertThat(proxy.droppedFrames()).as("the link lost messages").isPositive();
  }

  private final Map<String, TetherClient> clients = new LinkedHashMap<>();

  private TetherClient member(String user, URI uri, Map<String, RoomLog> logs) {
    RoomLog log = new RoomLog();
    TetherClient c = stub.track(TetherClient.builder(URI.create(uri + "?user=" + user)).delegate(log)
        .ackTimeout(Duration.ofSeconds(1))
        .reconnect(ReconnectPolicy.exponential(Duration.ofMillis(20), Duration.ofMillis(200)).withJitter(0.5))
        .build());
    logs.put(user, log);
    clients.put(user, c);
    return c;
  }

  private static List<Long> range(int to) {
    List<Long> out = new ArrayList<>();
    for (long i = 1; i <= to; i++) {
      out.add(i);
    }
    return out;
  }

  private static List<Integer> oneTo(int to) {
    List<Integer> out = new ArrayList<>();
    for (int i = 1; i <= to; i++) {
      out.add(i);
    }
    return out;
  }
}

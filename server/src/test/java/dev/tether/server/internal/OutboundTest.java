package dev.tether.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The member queue's pump, on a container session whose sends complete inline (as Tyrus's often do
 * on a fast link) and an executor the test runs by hand, so that each task the pump hands the
 * send threads can be seen.
 */
class OutboundTest {
  private final List<String> sent = new ArrayList<>();
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

  /** A session whose async text sends complete before they return; nothing else is used. */
  private Session inlineSession() {
    RemoteEndpoint.Async remote = (RemoteEndpoint.Async) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {RemoteEndpoint.Async.class}, (proxy, method, args) -> {
          if (method.getName().equals("sendText") && args.length == 2 && args[1] instanceof SendHandler handler) {
            sent.add((String) args[0]);
            handler.onResult(new SendResult());
            return null;
          }
          throw new UnsupportedOperationException(method.getName());
        });
    return (Session) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Session.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getAsyncRemote" -> remote;
          case "getId" -> "s1";
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  /** Guards review 11 finding 17: the pump kept its send thread for as long as sends completed inline. */
  @Test
  void aPumpWhoseSendsCompleteInlineHandsTheThreadBackAfterABatch() {
    Outbound out = new Outbound(inlineSession(), tasks::add, 10_000, 1L << 30,
        why -> { throw new AssertionError(why); }, error -> { throw new AssertionError(error); });
    int frames = 3 * Outbound.YIELD_AFTER + 10;
    for (int i = 0; i < frames; i++) {
      assertThat(out.enqueue(Outbound.Frame.text("frame " + i, true))).isTrue();
    }
    assertThat(tasks).hasSize(1); // the first frame started the pump
    int runs = 0;
    while (!tasks.isEmpty()) {
      int before = sent.size();
      tasks.poll().run();
      runs++;
      assertThat(sent.size() - before).isLessThanOrEqualTo(Outbound.YIELD_AFTER);
    }
    assertThat(runs).isEqualTo(4);
    assertThat(sent).hasSize(frames).startsWith("frame 0").endsWith("frame " + (frames - 1));
    for (int i = 0; i < frames; i++) {
      assertThat(sent.get(i)).isEqualTo("frame " + i);
    }
    assertThat(out.queuedMessages()).isZero();
  }
}

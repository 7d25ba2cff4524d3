package dev.tether.server.internal;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.ErrorReply;
import dev.tether.server.RoomStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The way of one chat through the server: accepted from its connection, checked for membership,
 * deduplicated and stored by the store's atomic {@link RoomStore#append}, fanned out to the room's
 * members, and acked to its sender. A chat from a connection that is not a member of the room is
 * looked up in the dedup memory first: one accepted before is acked again, wherever it is sent;
 * any other is refused {@code not_member}.
 *
 * <p>The store calls back, in seq order per room, once the chat is durable; the callback queues
 * the sender's ack and, for a store without a feed, offers the chat to every member of the room
 * ({@link Rooms#dispatch}, under the room's lock, so all members see one order). On a protocol v2
 * connection the sender's ack may stand for its copy (see {@link Subscription#answerOwn}). A chat
 * the store refuses before its call returns is answered {@code unavailable} and its sender counter
 * is given back, so the client sends it again later, in order; any later failure closes the
 * connection (see {@link Closings#storeFailed}).
 *
 * <p>Threads: {@link #chat} runs on the connection's thread, one frame at a time; the store's
 * callbacks run on the store's threads or, for a store that never waits, on the connection's
 * thread before {@code append} returns, under the store's room lock. No state and no lock of its
 * own: a {@link PendingAnswer} per chat keeps its answer in the connection's receipt order.
 */
final class ChatPath {
  /** The hub's logger: its name is what operators (and the server's tests) set the connection log by. */
  private static final Logger log = LoggerFactory.getLogger(Hub.class);
  /** What {@code unavailable} tells a client to wait before sending the chat again. */
  static final long UNAVAILABLE_RETRY_MILLIS = 1_000;

  private final Hub hub;
  private final HubConfig config;
  private final RoomStore store;
  private final Rooms rooms;

  ChatPath(Hub hub, HubConfig config, Rooms rooms) {
    this.hub = hub;
    this.config = config;
    this.store = config.store();
    this.rooms = rooms;
  }

  /** A chat that passed the connection's checks; {@code n}: its sender counter, 0 if none. */
  void chat(Peer peer, Envelope chat, long n) {
    boolean member = peer.isMember(chat.room());
    // Protocol v2: the sender's ack may stand for its copy (see Subscription#answerOwn). Not while
    // requests for the room wait for a leave: the membership that gets the chat is not made yet.
    Subscription own = member && peer.v2() && peer.requests(chat.room()) == null ? peer.subscription(chat.room()) : null;
    PendingAnswer answer = own != null ? new PendingAnswer(peer, own) : new PendingAnswer(peer);
    if (member) {
      append(peer, chat, answer);
    } else {
      lookUp(peer, chat, answer);
    }
    Throwable refused = answer.returned();
    if (refused != null) {
      log.debug("room store refused chat {} of {}: answering unavailable", chat.id(), peer, refused);
      peer.order().untake(n);
      peer.reply(ErrorReply.unavailable(chat.id(), n, UNAVAILABLE_RETRY_MILLIS,
          "the server cannot take chats now (" + refused.getMessage() + "): send it again later"));
    }
  }

  /** Not a member: dedup comes before membership, so a chat accepted before is acked again. */
  private void lookUp(Peer peer, Envelope chat, PendingAnswer answer) {
    store.accepted(peer.user(), chat.id()).whenComplete((found, error) -> {
      if (error != null) {
        if (!answer.failedBeforeReturn(error)) {
          hub.closings().storeFailed(peer, "look up " + chat.id(), error);
        }
      } else if (found.isPresent()) {
        hub.countDedupHit();
        answer.answer(new Ack(chat.id(), found.get().seq()));
      } else {
        answer.answer(notMember(chat));
      }
    });
  }

  private void append(Peer peer, Envelope chat, PendingAnswer answer) {
    String user = peer.user();
    long ts = config.clock().millis();
    // Sized by the text's chars (a cheap bound of its frame's share of the store's write queue).
    RoomStore.Draft draft = new RoomStore.Draft(chat.room(), user, chat.id(), ts, config.historyPerRoom(),
        config.historyBytesPerRoom(), chat.text().length(),
        new ChatFrame(chat, user, ts));
    RoomStore.AppendCallback callback = new RoomStore.AppendCallback() {
      @Override
      public void appended(RoomStore.Appended result) {
        if (result.duplicate()) {
          answer.answer(new Ack(chat.id(), result.seq()));
          hub.countDedupHit();
        } else {
          answer.accepted(answer.mayStandForCopy()
              ? new Ack(chat.id(), result.seq(), result.epoch(), user, result.ts())
              : new Ack(chat.id(), result.seq()));
          hub.countAccepted();
          if (!rooms.fedByStore()) {
            rooms.dispatch(chat.room(), result.seq(), result.epoch(), result.frame());
          }
        }
      }

      @Override
      public void failed(Throwable error) {
        if (!answer.failedBeforeReturn(error)) {
          hub.closings().storeFailed(peer, "append to " + chat.room(), error);
        }
      }
    };
    Runnable append = () -> store.append(draft, callback);
    Subscription sub = peer.subscription(chat.room());
    if (sub == null) {
      append.run(); // a member by a join waiting behind its leave: the join's read comes after the chat
    } else {
      sub.afterOpen(append);
    }
  }

  private static ErrorReply notMember(Envelope chat) {
    return new ErrorReply(
        chat.id(), "not_member", "not a member of room '" + chat.room() + "': join it first");
  }
}

package dev.tether.server.internal;

import dev.tether.api.WireRules;
import dev.tether.server.RoomStore;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's rooms: which memberships each room's chats are fanned out to, and, for a store shared
 * by several servers, which rooms its {@link RoomStore.Feed feed} follows (a room from its first
 * member here until its last one leaves). A room is in the map while it has members; a
 * {@link Room} that lost its last member is retired and a member that comes later makes a new one.
 *
 * <p>Threads: {@link #register} and {@link #unregister} run on connections' threads (join, resume,
 * leave, close) and the hub's send threads (a connection that failed); {@link #dispatch} on the
 * store's threads, in seq order per room (its append callbacks, or its feed); a follow's
 * completion on the store's threads. No lock of its own: the map is concurrent, and each
 * {@link Room}'s monitor guards its members and its follow (see {@link Room}). The store and the
 * feed are never called with a room's lock held.
 */
final class Rooms {
  /** The hub's logger: its name is what operators (and the server's tests) set the connection log by. */
  private static final Logger log = LoggerFactory.getLogger(Hub.class);

  private final RoomStore store;
  /** The store's feed, if several servers share it: then chats are fanned out from it; else null. */
  private final RoomStore.Feed feed;
  private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();

  /** Takes the store's feed, if it has one, for this server (a store gives it to one server only). */
  Rooms(RoomStore store) {
    this.store = store;
    this.feed = store.feed(this::dispatch);
  }

  /** Whether chats are fanned out from the store's feed; if not, from the append callbacks. */
  boolean fedByStore() {
    return feed != null;
  }

  /** Rooms with members here now. */
  int count() {
    return rooms.size();
  }

  /** Stops following every room: nothing more is fanned out from the feed. */
  void close() {
    if (feed != null) {
      feed.close();
    }
  }

  /**
   * Reads the room's state for a member's join or resume, once its room is followed (at once for a
   * store without a feed); {@code issued} runs right after the read was handed to the store.
   */
  CompletionStage<RoomStore.RoomState> open(Subscription sub, Runnable issued) {
    Room home = sub.home();
    if (feed == null || home == null) {
      return read(sub.room(), issued);
    }
    return home.ready().thenCompose(followed -> read(sub.room(), issued));
  }

  private CompletionStage<RoomStore.RoomState> read(String room, Runnable issued) {
    CompletionStage<RoomStore.RoomState> read = store.open(room);
    issued.run();
    return read;
  }

  /**
   * Offers a new chat to the room's members here; called in seq order per room, from the store's
   * append callbacks or, for a store shared by several servers, from its feed.
   */
  void dispatch(String room, long seq, String epoch, String frame) {
    Room r = rooms.get(room);
    if (r != null) {
      r.offer(seq, epoch, frame, WireRules.utf8Length(frame));
    }
  }

  /** Adds a new membership to its room (made if missing), before the store is asked anything for it. */
  void register(Subscription sub) {
    while (true) {
      Room room = rooms.computeIfAbsent(sub.room(), Room::new);
      sub.home(room);
      Room.Added added = room.add(sub);
      if (added == Room.Added.RETIRED) {
        rooms.remove(sub.room(), room);
        continue;
      }
      if (added == Room.Added.FIRST) {
        follow(room);
      }
      return;
    }
  }

  /** Takes a membership out of its room; the room's last member retires it. */
  void unregister(Subscription sub) {
    Room room = sub.home();
    if (room != null) {
      retired(room, room.remove(sub));
    }
  }

  /** A room's first member came: with a feed, follow the room; members read the store once it is ready. */
  private void follow(Room room) {
    if (feed == null) {
      room.followed();
      room.readyNow();
      return;
    }
    CompletionStage<Void> following = feed.follow(room.name());
    if (room.followed()) {
      feed.unfollow(room.name()); // its only member left while it was being followed
    }
    following.whenComplete((ok, error) -> {
      if (error == null) {
        room.readyNow();
        return;
      }
      log.warn("room store cannot follow room '{}' now ({}); its members here are closed with 1011", room.name(),
          error.toString());
      room.failed(error);
      retired(room, room.retire());
    });
  }

  private void retired(Room room, Room.Removed removed) {
    if (removed != Room.Removed.KEPT) {
      rooms.remove(room.name(), room);
    }
    if (removed == Room.Removed.RETIRED_UNFOLLOW && feed != null) {
      feed.unfollow(room.name());
    }
  }
}

package dev.tether.server.internal;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The members of one room on this server: the subscriptions its chats are fanned out to. The
 * room's state (epoch, seqs, history) lives in the store, not here. Guarded by this object's
 * monitor, which {@link Rooms#dispatch} holds while it offers a chat to every member, so that all
 * members are offered a room's chats in the order the store reported them.
 *
 * <p>With a store that has a feed (several servers share it), a room is followed through the feed
 * from its first member until it is retired, and members read the store only once the follow is
 * {@linkplain #ready() ready}. Each room object follows at most once and unfollows exactly once
 * after it, whichever thread retires it: {@link #add} tells the first member's thread to follow,
 * and {@link #followed}, {@link #remove} or {@link #retire} tell whoever comes last to unfollow.
 */
final class Room {
  /** What {@link #add} did. */
  enum Added { RETIRED, ADDED, FIRST }

  private enum Follow { NONE, STARTING, FOLLOWED }

  private final String name;
  /** Guarded by this. */
  private final Set<Subscription> members = new LinkedHashSet<>();
  /**
   * Guarded by this; the members as an array, which fan-out walks without allocating; made again
   * by the first offer after the members changed (null until then).
   */
  private Subscription[] fanOut;
  /** Guarded by this; true once removed from the hub's map: members must go to a new Room. */
  private boolean retired;
  /** Guarded by this. */
  private boolean started;
  /** Guarded by this. */
  private Follow follow = Follow.NONE;
  /** Completes once the store's feed follows the room (at once for a store without a feed). */
  private final CompletableFuture<Void> ready = new CompletableFuture<>();

  Room(String name) {
    this.name = name;
  }

  String name() {
    return name;
  }

  /** Completes when members may read the store; fails if the store could not follow the room. */
  CompletionStage<Void> ready() {
    return ready;
  }

  /**
   * Adds a member: RETIRED (nothing done: take a fresh room from the hub), ADDED, or FIRST: the
   * room's first member, whose thread must follow the room (then call {@link #followed}).
   */
  synchronized Added add(Subscription member) {
    if (retired) {
      return Added.RETIRED;
    }
    members.add(member);
    fanOut = null;
    if (started) {
      return Added.ADDED;
    }
    started = true;
    follow = Follow.STARTING;
    return Added.FIRST;
  }

  /** The first member's thread has followed the room; true if it was retired meanwhile: unfollow it. */
  synchronized boolean followed() {
    follow = Follow.FOLLOWED;
    return retired;
  }

  /** The room is followed (or needs no following): members may read the store. */
  void readyNow() {
    ready.complete(null);
  }

  /** The store could not follow the room: members waiting fail. */
  void failed(Throwable error) {
    ready.completeExceptionally(error);
  }

  /** What {@link #remove} and {@link #retire} did. */
  enum Removed {
    /** The room lives on. */
    KEPT,
    /** The room is retired now: take it out of the hub's map. */
    RETIRED,
    /** The room is retired now and was followed: take it out of the map and unfollow it. */
    RETIRED_UNFOLLOW
  }

  /** Removes a member; the room is retired when none are left. */
  synchronized Removed remove(Subscription member) {
    members.remove(member);
    fanOut = null;
    return members.isEmpty() ? retireLocked() : Removed.KEPT;
  }

  /** Retires the room whatever its members (its follow failed). */
  synchronized Removed retire() {
    return retireLocked();
  }

  private Removed retireLocked() {
    if (retired) {
      return Removed.KEPT;
    }
    retired = true;
    // While the follow is starting, the first member's thread unfollows (followed() says so).
    return follow == Follow.FOLLOWED ? Removed.RETIRED_UNFOLLOW : Removed.RETIRED;
  }

  /**
   * Offers a chat of the stream {@code epoch} to every member, under the lock; {@code bytes} is
   * the frame's UTF-8 length, measured once for all of them.
   */
  synchronized void offer(long seq, String epoch, String frame, long bytes) {
    Subscription[] to = fanOut;
    if (to == null) {
      to = fanOut = members.toArray(new Subscription[0]);
    }
    for (Subscription member : to) {
      member.offer(seq, epoch, frame, bytes);
    }
  }
}

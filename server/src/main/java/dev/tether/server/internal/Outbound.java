package dev.tether.server.internal;

import dev.tether.api.WireRules;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one connection has yet to be sent: a bounded FIFO queue written with one asynchronous send
 * in flight at a time (some containers, Tomcat among them, allow no more).
 *
 * <p><b>Answers in receipt order.</b> The server answers a connection's frames in the order they
 * came (PROTOCOL.md, "Rules for clients"), also when an answer waits on the store. A frame whose
 * answer comes later takes a {@link Slot} in the queue when it arrives; the answer's frames are
 * added to the slot when known, and nothing queued behind an unfinished slot is sent before it.
 * A slot may also be fed by a {@link Source}, pulled from only while the slot is at the head, so
 * that a resume's replay is read from the store page by page as the connection takes it.
 *
 * <p>The bound (the member queue) counts every counted frame from the moment it is queued (in the
 * queue or in a slot) or {@linkplain #reserve reserved} until its send completes: acks, errors,
 * echoes and live chats, including chats a subscription holds back during a replay. A frame that
 * does not fit overflows the queue: everything queued is dropped and the {@link Overflow} handler
 * closes the connection. Sizes are UTF-8 bytes for text. Replayed history frames are not counted:
 * a replay holds at most one page of them, which the store cuts at half the member queue's bytes
 * (at least one chat; see {@link Subscription#pageBytes}).
 *
 * <p>Thread-safe. No method blocks, sends or calls out: callers may hold store, room and
 * subscription locks (this lock comes last). Sending starts on the shared send executor when the
 * writer was idle and continues there or on the container's completion threads, never holding a
 * lock, so that sources may read the store.
 */
final class Outbound {
  /**
   * A frame to send: text or binary, its size in bytes (for text its UTF-8 length, which is also
   * at least the bytes its string takes on the heap), and whether it counts against the bound.
   */
  record Frame(String text, ByteBuffer binary, long bytes, boolean counted) {
    /** A text frame; a counted one is measured (a pass over its chars), an uncounted one is not. */
    static Frame text(String text, boolean counted) {
      return new Frame(text, null, counted ? WireRules.utf8Length(text) : 0, counted);
    }

    /** A counted text frame whose UTF-8 length is known. */
    static Frame text(String text, long utf8Bytes) {
      return new Frame(text, null, utf8Bytes, true);
    }

    static Frame binary(ByteBuffer binary) {
      return new Frame(null, binary, binary.remaining(), true);
    }
  }

  /**
   * A place in the queue for the answer to one frame, taken when the frame arrives and filled
   * later: frames {@linkplain #add added} to it, then frames from its {@linkplain #feed source},
   * until it is {@linkplain #finish finished}. Its state is guarded by the outbound's lock.
   */
  static final class Slot {
    private final ArrayDeque<Frame> frames = new ArrayDeque<>(2);
    private Source source;
    private boolean finished;
  }

  /** Supplies frames when asked; called without this outbound's lock. */
  interface Source {
    /** The next frame, or null if there is none now (then {@link #hasMore} says if it will come). */
    Frame poll();

    /** Whether {@link #poll} would return a frame now; asked after a null poll, to close a race. */
    boolean hasMore();
  }

  /** Told once when the bound is exceeded, outside this outbound's lock. */
  interface Overflow {
    void overflowed(String why);
  }

  /** Told once when a send fails, outside this outbound's lock. */
  interface SendFailure {
    void sendFailed(Throwable error);
  }

  /** Frames a pump sends in one go before it lets other work of the executor run. */
  static final int YIELD_AFTER = 64;

  private final Session session;
  private final Executor executor;
  private final int maxMessages;
  private final long maxBytes;
  private final Overflow overflow;
  private final SendFailure failure;

  /** Guarded by this; frames and slots, in the order they are to be sent. */
  private final ArrayDeque<Object> ready = new ArrayDeque<>(4);
  /** Guarded by this; counted frames queued, reserved or in flight. */
  private int messages;
  /** Guarded by this; their bytes. */
  private long bytes;
  /** Guarded by this; a pump loop is running or a send is in flight. */
  private boolean writing;
  /** Guarded by this; something was added or a source has frames since the pump last looked. */
  private boolean woken;
  /** Guarded by this; nothing more is sent once true. */
  private boolean closed;

  Outbound(Session session, Executor executor, int maxMessages, long maxBytes, Overflow overflow,
      SendFailure failure) {
    this.session = session;
    this.executor = executor;
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
    this.overflow = overflow;
    this.failure = failure;
  }

  /** Queues a frame (counted if it says so); false if closed or it overflowed the queue. */
  boolean enqueue(Frame frame) {
    boolean start;
    String overflowed = null;
    synchronized (this) {
      if (closed) {
        return false;
      }
      if (frame.counted()) {
        overflowed = fits(frame.bytes());
        if (overflowed != null) {
          closeLocked();
        } else {
          messages++;
          bytes += frame.bytes();
        }
      }
      if (overflowed == null) {
        ready.addLast(frame);
      }
      start = overflowed == null && !writing;
      if (start) {
        writing = true;
      }
    }
    if (overflowed != null) {
      overflow.overflowed(overflowed);
      return false;
    }
    if (start) {
      startPump();
    }
    return true;
  }

  /**
   * Counts a frame that is held elsewhere (by a subscription during a replay) against the bound;
   * false if closed or it overflowed the queue. Hand it over later with {@link #enqueueReserved},
   * or give the reservation back with {@link #release}.
   */
  boolean reserve(long frameBytes) {
    String overflowed;
    synchronized (this) {
      if (closed) {
        return false;
      }
      overflowed = fits(frameBytes);
      if (overflowed != null) {
        closeLocked();
      } else {
        messages++;
        bytes += frameBytes;
      }
    }
    if (overflowed != null) {
      overflow.overflowed(overflowed);
      return false;
    }
    return true;
  }

  /** Gives back a reservation that will not be sent. */
  synchronized void release(long frameBytes) {
    if (!closed) {
      messages--;
      bytes -= frameBytes;
    }
  }

  /** Queues a counted frame whose place was {@linkplain #reserve reserved}. */
  void enqueueReserved(Frame frame) {
    boolean start;
    synchronized (this) {
      if (closed) {
        return;
      }
      ready.addLast(frame);
      start = !writing;
      if (start) {
        writing = true;
      }
    }
    if (start) {
      startPump();
    }
  }

  /**
   * Takes the next place in the queue for an answer that comes later. On a closed outbound the
   * slot is not queued and whatever is added to it is dropped.
   */
  synchronized Slot slot() {
    Slot slot = new Slot();
    if (!closed) {
      ready.addLast(slot);
    }
    return slot;
  }

  /** Adds a frame (counted if it says so) to {@code slot}; false if closed or it overflowed the queue. */
  boolean add(Slot slot, Frame frame) {
    String overflowed = null;
    synchronized (this) {
      if (closed) {
        return false;
      }
      if (frame.counted()) {
        overflowed = fits(frame.bytes());
        if (overflowed != null) {
          closeLocked();
        } else {
          messages++;
          bytes += frame.bytes();
        }
      }
      if (overflowed == null) {
        slot.frames.addLast(frame);
      }
    }
    if (overflowed != null) {
      overflow.overflowed(overflowed);
      return false;
    }
    wake();
    return true;
  }

  /** Adds a counted frame whose place was {@linkplain #reserve reserved} to {@code slot}. */
  void addReserved(Slot slot, Frame frame) {
    synchronized (this) {
      if (closed) {
        return;
      }
      slot.frames.addLast(frame);
    }
    wake();
  }

  /** {@code slot} takes frames from {@code source} after its own, until it is finished. */
  void feed(Slot slot, Source source) {
    synchronized (this) {
      slot.source = source;
    }
    wake();
  }

  /** Nothing more comes for {@code slot}: once what it holds is sent, the queue goes past it. */
  void finish(Slot slot) {
    synchronized (this) {
      slot.finished = true;
    }
    wake();
  }

  /** A slot or source has frames now: the pump looks again, starting if it was idle. */
  void wake() {
    boolean start;
    synchronized (this) {
      if (closed) {
        return;
      }
      woken = true;
      start = !writing;
      if (start) {
        writing = true;
      }
    }
    if (start) {
      startPump();
    }
  }

  /** Stops sending and drops what is queued. Idempotent. */
  synchronized void close() {
    closeLocked();
  }

  synchronized boolean isClosed() {
    return closed;
  }

  /** Counted frames queued, reserved or in flight. */
  synchronized int queuedMessages() {
    return messages;
  }

  private String fits(long frameBytes) {
    if (messages + 1 > maxMessages) {
      return "member queue full: " + maxMessages + " messages not yet sent";
    }
    if (bytes + frameBytes > maxBytes) {
      return "member queue full: " + (bytes + frameBytes) + " bytes > " + maxBytes;
    }
    return null;
  }

  private void closeLocked() {
    closed = true;
    ready.clear();
    messages = 0;
    bytes = 0;
  }

  private void startPump() {
    try {
      executor.execute(this::pump);
    } catch (RejectedExecutionException shuttingDown) {
      synchronized (this) {
        closeLocked();
        writing = false;
      }
    }
  }

  /**
   * Sends until nothing is left, the head is a slot still waiting for its answer, or a send
   * completes later; only one pump runs at a time. After {@link #YIELD_AFTER} sends that completed
   * inline it goes on in a new task on the executor, behind the other connections' work, so that
   * a busy connection on a fast link does not keep one of the few send threads to itself.
   */
  private void pump() {
    int inline = 0;
    while (true) {
      Frame frame;
      Slot pulling = null;
      synchronized (this) {
        if (closed) {
          writing = false;
          return;
        }
        woken = false;
        Object head = ready.peekFirst();
        if (head == null) {
          writing = false;
          return;
        }
        if (head instanceof Frame f) {
          ready.pollFirst();
          frame = f;
        } else {
          Slot slot = (Slot) head;
          frame = slot.frames.pollFirst();
          if (frame == null) {
            if (slot.finished) {
              ready.pollFirst();
              continue;
            }
            if (slot.source == null) {
              writing = false; // add, feed and finish wake the pump
              return;
            }
            pulling = slot;
          }
        }
      }
      if (pulling != null) {
        frame = pulling.source.poll();
        if (frame == null) {
          boolean more = pulling.source.hasMore();
          synchronized (this) {
            if (!more && !woken && !pulling.finished && pulling.frames.isEmpty()) {
              writing = false; // the source wakes the pump when it has frames again
              return;
            }
          }
          continue;
        }
      }
      if (!send(frame)) {
        return; // the completion continues the pump
      }
      if (++inline == YIELD_AFTER) {
        startPump(); // still writing: this pump ends here and the new task goes on
        return;
      }
    }
  }

  /** Starts sending {@code frame}; true if the send already completed (continue inline). */
  private boolean send(Frame frame) {
    Write write = new Write(frame);
    try {
      if (frame.text() != null) {
        session.getAsyncRemote().sendText(frame.text(), write);
      } else {
        session.getAsyncRemote().sendBinary(frame.binary(), write);
      }
    } catch (RuntimeException e) {
      write.onResult(new SendResult(e));
    }
    return !write.returned();
  }

  private void sent(Frame frame, SendResult result) {
    if (frame.counted()) {
      synchronized (this) {
        if (!closed) {
          messages--;
          bytes -= frame.bytes();
        }
      }
    }
    if (!result.isOK()) {
      synchronized (this) {
        closeLocked();
      }
      failure.sendFailed(result.getException());
    }
  }

  /**
   * One send. If the container completes it inside {@code sendText}, the pump goes on inline (no
   * recursion); if later, the completion thread goes on pumping.
   */
  private final class Write implements SendHandler {
    private static final int SENDING = 0;
    private static final int RETURNED = 1;
    private static final int COMPLETED = 2;

    private final Frame frame;
    private final AtomicInteger state = new AtomicInteger(SENDING);

    Write(Frame frame) {
      this.frame = frame;
    }

    @Override
    public void onResult(SendResult result) {
      sent(frame, result);
      if (state.getAndSet(COMPLETED) == RETURNED && result.isOK()) {
        pump();
      } else if (!result.isOK()) {
        synchronized (Outbound.this) {
          writing = false;
        }
      }
    }

    /** Called once the container's send method returned: true if the completion is still to come. */
    boolean returned() {
      return state.compareAndSet(SENDING, RETURNED);
    }
  }
}

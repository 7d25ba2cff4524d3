package dev.tether.server.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tells a store failure reported before the store call returned from one reported later. Only the
 * first kind is safe to answer with {@code unavailable} on a live connection: nothing the
 * connection sent after the frame has reached the store yet, so refusing the frame and waiting
 * for it again keeps sender order. A later failure may follow frames the store already took, so it
 * closes the connection instead (see {@link Hub#storeFailed}). Thread-safe; one per store call.
 */
final class StoreCall {
  private static final int PENDING = 0;
  private static final int RETURNED = 1;
  private static final int FAILED_BEFORE_RETURN = 2;

  private final AtomicInteger state = new AtomicInteger(PENDING);
  private volatile Throwable error;

  /**
   * From the store's failure callback: true if the call had not returned yet, in which case the
   * caller answers once it has (see {@link #returned}); false if the callback must deal with it.
   */
  boolean failedBeforeReturn(Throwable failure) {
    error = failure;
    return state.compareAndSet(PENDING, FAILED_BEFORE_RETURN);
  }

  /** From the caller, right after the store call returned: the failure reported before, or null. */
  Throwable returned() {
    return state.compareAndSet(PENDING, RETURNED) ? null : error;
  }
}

package dev.swell.core;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The timer that cancels running calls when their deadline passes: one thread for the runtime;
 * a call that ends first takes its timer task back (removed from the queue at once).
 */
final class Deadlines implements AutoCloseable {

  private final ScheduledThreadPoolExecutor timer;
  private final Ticker ticker;

  Deadlines(ThreadFactory threads, Ticker ticker) {
    this.ticker = ticker;
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = threads.newThread(r);
      t.setName("swell-deadlines");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
  }

  /** Cancels the context at the deadline; null when there is none. */
  ScheduledFuture<?> schedule(CallContext context, long deadline) {
    if (deadline == Long.MAX_VALUE) {
      return null;
    }
    long delay = deadline - ticker.read();
    if (delay <= 0) {
      context.cancel();
      return null;
    }
    return timer.schedule(context::cancel, delay, TimeUnit.NANOSECONDS);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}

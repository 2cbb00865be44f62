package dev.swell.core;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The runtime's deadline machinery: the timer that cancels running calls when their deadline
 * passes (one thread; a call that ends first takes its timer task back, removed from the queue at
 * once), and the runners on which slow calls with a deadline run, so that their callers stop
 * waiting at the deadline while the backend stops behind them.
 */
final class Deadlines implements AutoCloseable {

  private final ScheduledThreadPoolExecutor timer;
  private final java.util.concurrent.ThreadPoolExecutor runners;
  private final Ticker ticker;
  private final long spinNanos;
  private final java.util.concurrent.atomic.AtomicBoolean spinning = new java.util.concurrent.atomic.AtomicBoolean();

  Deadlines(ThreadFactory threads, Ticker ticker, long spinNanos) {
    this.ticker = ticker;
    this.spinNanos = spinNanos;
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = threads.newThread(r);
      t.setName("swell-deadlines");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    // one runner per call waiting on one (callers are bounded by the host's threads and admission);
    // idle runners end after a minute
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    this.runners = new java.util.concurrent.ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
        new java.util.concurrent.SynchronousQueue<>(), r -> {
          Thread t = threads.newThread(r);
          t.setName("swell-run-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * Returns the executor that runs calls whose callers return at their deadline.
   *
   * @return rejects tasks once the runtime is closed
   */
  java.util.concurrent.Executor runners() {
    return runners;
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

  /**
   * Waits for a call running on a runner until its deadline; with a spin window the last part of
   * the wait spins (one caller at a time), so the caller is on a core when the deadline comes.
   *
   * @throws java.util.concurrent.TimeoutException when the deadline passed first
   */
  <T> T await(java.util.concurrent.Future<T> task, long deadline)
      throws InterruptedException, java.util.concurrent.ExecutionException, java.util.concurrent.TimeoutException {
    if (spinNanos > 0) {
      try {
        return task.get(Math.max(0, deadline - spinNanos - ticker.read()), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException beforeSpin) {
        if (spinning.compareAndSet(false, true)) {
          try {
            while (!task.isDone() && deadline - ticker.read() > 0) {
              Thread.onSpinWait();
            }
          } finally {
            spinning.set(false);
          }
          if (task.isDone()) {
            return task.get();
          }
          throw beforeSpin;
        }
      }
    }
    return task.get(Math.max(0, deadline - ticker.read()), TimeUnit.NANOSECONDS);
  }

  @Override
  public void close() {
    timer.shutdownNow();
    runners.shutdown(); // running calls finish; their callers already returned or get their answer
  }
}

package dev.swell.core;

import dev.swell.api.spi.RunContext;

/**
 * One call's cancellation: its deadline or a preempting high call cancels it, the backend
 * registered how to stop.
 */
final class CallContext implements RunContext {

  private Runnable canceller; // guarded by this
  private boolean cancelled; // guarded by this
  private volatile boolean preempted;

  /** Cancels the call because a high priority call takes its slot. */
  void preempt() {
    synchronized (this) {
      if (cancelled) {
        return; // its deadline came first
      }
      preempted = true;
    }
    cancel();
  }

  /** Whether the call was cancelled by {@link #preempt()} rather than by its deadline. */
  boolean preempted() {
    return preempted;
  }

  @Override
  public synchronized boolean cancelled() {
    return cancelled;
  }

  @Override
  public void onCancel(Runnable stop) {
    boolean now;
    synchronized (this) {
      now = cancelled;
      if (!now) {
        canceller = stop;
      }
    }
    if (now) {
      stop.run();
    }
  }

  @Override
  public void cancel() {
    Runnable stop;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      stop = canceller;
      canceller = null;
    }
    if (stop != null) {
      stop.run();
    }
  }
}

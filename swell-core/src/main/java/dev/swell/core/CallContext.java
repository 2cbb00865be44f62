package dev.swell.core;

import dev.swell.api.spi.RunContext;

/** One call's cancellation: the deadline timer cancels it, the backend registered how to stop. */
final class CallContext implements RunContext {

  private Runnable canceller; // guarded by this
  private boolean cancelled; // guarded by this

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

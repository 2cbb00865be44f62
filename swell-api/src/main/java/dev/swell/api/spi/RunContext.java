package dev.swell.api.spi;

/**
 * What a backend is told about one call besides its inputs: whether it must stop. The runtime
 * cancels a call whose deadline passes; a backend that can stop a running call (ONNX Runtime
 * between two operators) registers how with {@link #onCancel}, and then fails the call with a
 * {@link dev.swell.api.DeadlineExceededException}. A backend that cannot stop simply ignores it:
 * its call runs to the end and the runtime then fails it with that exception all the same (late: the
 * caller waits for the run), discarding the result.
 *
 * <p>Thread-safe: {@link #cancel()} comes from the runtime's timer thread while the call runs.
 */
public interface RunContext {

  /** A call that is never cancelled. */
  RunContext NONE = new RunContext() {
    @Override
    public boolean cancelled() {
      return false;
    }

    @Override
    public void onCancel(Runnable canceller) {
      // never cancelled
    }

    @Override
    public void cancel() {
      // nothing to cancel
    }
  };

  /**
   * Returns whether the call was cancelled.
   *
   * @return true once {@link #cancel()} ran
   */
  boolean cancelled();

  /**
   * Registers what stops the call; run at once if it is cancelled already. At most one canceller
   * per call.
   *
   * @param canceller called once, from the cancelling thread
   */
  void onCancel(Runnable canceller);

  /** Cancels the call (the runtime does, when its deadline passes). Idempotent. */
  void cancel();
}

package dev.swell.core.testkit;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waits for something the runtime does on its own threads (a swap, a close), up to 10 s. */
public final class Await {

  private Await() {}

  /**
   * Polls a condition every millisecond until it holds.
   *
   * @param condition what to wait for
   * @param what its description, for the failure
   * @throws InterruptedException if interrupted
   * @throws AssertionError after 10 s
   */
  public static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after 10 s waiting for " + what);
      }
      Thread.sleep(1);
    }
  }
}

package dev.swell.core;

import dev.swell.api.DeadlineExceededException;
import dev.swell.api.OverloadException;
import dev.swell.api.Priority;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The admission stage of one loaded version ({@link AdmissionPolicy}): a count of running calls.
 * A high call takes a free slot, or waits for one in a bounded queue until its deadline; a low call
 * takes a slot only while the unreserved ones are not all taken and no high call waits, else it is
 * rejected at once. Thread-safe.
 */
final class Admission {

  private final String model;
  private final String version;
  private final int max;
  private final int lowMax;
  private final int maxQueued;
  private final Ticker ticker;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition freed = lock.newCondition();
  private int running; // guarded by lock
  private int waiting; // guarded by lock

  Admission(String model, String version, AdmissionPolicy policy, Ticker ticker) {
    this.model = model;
    this.version = version;
    this.max = policy.maxConcurrent();
    this.lowMax = policy.maxConcurrent() - policy.reserveForHigh();
    this.maxQueued = policy.maxQueued();
    this.ticker = ticker;
  }

  /**
   * Takes a slot, waiting (high priority only) until the deadline.
   *
   * @param deadline on the ticker, {@code Long.MAX_VALUE} for none
   * @throws OverloadException when no slot is free for this priority and no wait is allowed
   * @throws DeadlineExceededException when the deadline passed while waiting
   */
  void enter(Priority priority, long deadline) {
    lock.lock();
    try {
      if (priority == Priority.LOW) {
        if (running < lowMax && waiting == 0) {
          running++;
          return;
        }
        throw new OverloadException(running + " calls are running, " + (max - lowMax) + " of the " + max
            + " slots are reserved for high priority; a low priority call is not queued", model, version);
      }
      if (running < max) {
        running++;
        return;
      }
      if (waiting >= maxQueued) {
        throw new OverloadException(running + " calls are running and " + waiting + " waiting, the limits ("
            + max + " at once, " + maxQueued + " queued); retry later", model, version);
      }
      waiting++;
      try {
        while (running >= max) {
          long left = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - ticker.read();
          if (left <= 0) {
            throw new DeadlineExceededException("the deadline passed while waiting for one of the " + max
                + " slots; the call never reached the model", model, version);
          }
          if (left == Long.MAX_VALUE) {
            freed.awaitUninterruptibly();
          } else {
            freed.awaitNanos(left);
          }
        }
        running++;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OverloadException("interrupted while waiting for a slot", model, version);
      } finally {
        waiting--;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Gives a slot back. */
  void exit() {
    lock.lock();
    try {
      running--;
      freed.signal();
    } finally {
      lock.unlock();
    }
  }

  int running() {
    lock.lock();
    try {
      return running;
    } finally {
      lock.unlock();
    }
  }

}

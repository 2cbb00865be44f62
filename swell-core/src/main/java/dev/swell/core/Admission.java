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
 * rejected at once. With preemption, a high call that finds every slot taken first cancels the
 * youngest running low call (its {@link CallContext}), then waits for the slot it frees.
 * Thread-safe.
 */
final class Admission {

  private final String model;
  private final String version;
  private final int max;
  private final int lowMax;
  private final int maxQueued;
  private final boolean preemptLow;
  private final Ticker ticker;
  private final java.util.ArrayDeque<CallContext> runningLow = new java.util.ArrayDeque<>(); // guarded by lock
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
    this.preemptLow = policy.preemptLow();
    this.ticker = ticker;
  }

  /** Whether a call of this priority must carry a {@link CallContext}, so it can be preempted. */
  boolean preemptible(Priority priority) {
    return preemptLow && priority == Priority.LOW;
  }

  /**
   * Takes a slot, waiting (high priority only) until the deadline.
   *
   * @param deadline on the ticker, {@code Long.MAX_VALUE} for none
   * @param call the call's context, which a preempting high call cancels; null when it cannot be
   *     preempted
   * @throws OverloadException when no slot is free for this priority and no wait is allowed
   * @throws DeadlineExceededException when the deadline passed while waiting
   */
  void enter(Priority priority, long deadline, CallContext call) {
    CallContext victim;
    lock.lock();
    try {
      if (priority == Priority.LOW) {
        if (running < lowMax && waiting == 0) {
          running++;
          if (preemptLow && call != null) {
            runningLow.addLast(call);
          }
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
      victim = runningLow.pollLast(); // null without preemption: nothing is ever added
    } finally {
      lock.unlock();
    }
    if (victim != null) {
      victim.preempt(); // outside the lock: the backend's canceller runs here
    }
    lock.lock();
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
      lock.unlock();
    }
  }

  /** Gives a slot back; {@code call} as given to {@link #enter}. */
  void exit(CallContext call) {
    lock.lock();
    try {
      running--;
      if (call != null && preemptLow) {
        runningLow.remove(call);
      }
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

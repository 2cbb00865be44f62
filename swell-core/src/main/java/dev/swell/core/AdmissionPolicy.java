package dev.swell.core;

import java.util.Objects;

/**
 * How many calls may run on one loaded version at once, and what happens to the rest: high
 * priority calls beyond the limit wait in a bounded queue (never longer than their deadline); low
 * priority calls may only use the capacity not reserved for high ones, never wait, and are
 * rejected at once with an {@link dev.swell.api.OverloadException} when it is taken. When load
 * falls back, low calls are admitted again: nothing starves them but the high calls themselves.
 * With {@link Builder#preemptLow(boolean) preemptLow}, a high call that finds every slot taken
 * cancels the most recently started low call instead of waiting (that call fails with an
 * {@link dev.swell.api.OverloadException}; its work is lost): high latency then holds under bursts
 * the reserved slots alone cannot absorb, on backends that can stop a running call.
 * Immutable.
 *
 * <pre>{@code
 * Swell.builder().admission(AdmissionPolicy.maxConcurrent(2).reserveForHigh(1).maxQueued(64).build())
 * }</pre>
 */
public final class AdmissionPolicy {

  /** The default number of high calls that may wait for a slot. */
  public static final int DEFAULT_MAX_QUEUED = 256;

  private final int maxConcurrent;
  private final int reserveForHigh;
  private final int maxQueued;
  private final boolean preemptLow;

  private AdmissionPolicy(Builder b) {
    this.maxConcurrent = b.maxConcurrent;
    this.reserveForHigh = b.reserveForHigh;
    this.maxQueued = b.maxQueued;
    this.preemptLow = b.preemptLow;
  }

  /**
   * Starts a policy.
   *
   * @param calls the calls that may run at once on one version (on a CPU, about its cores)
   * @return a builder, reserving a quarter of the calls (at least one when there are two) for
   *     high priority
   * @throws IllegalArgumentException if calls is below 1
   */
  public static Builder maxConcurrent(int calls) {
    return new Builder(calls);
  }

  /**
   * Returns the calls that may run at once.
   *
   * @return at least 1
   */
  public int maxConcurrent() {
    return maxConcurrent;
  }

  /**
   * Returns the slots low calls may not use.
   *
   * @return from 0 to {@link #maxConcurrent()}
   */
  public int reserveForHigh() {
    return reserveForHigh;
  }

  /**
   * Returns how many high calls may wait for a slot.
   *
   * @return 0 or more (0: rejected at once when full)
   */
  public int maxQueued() {
    return maxQueued;
  }

  /**
   * Returns whether a high call that finds every slot taken cancels a running low call.
   *
   * @return true when low calls are preempted
   */
  public boolean preemptLow() {
    return preemptLow;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AdmissionPolicy p && p.maxConcurrent == maxConcurrent && p.reserveForHigh == reserveForHigh
        && p.maxQueued == maxQueued && p.preemptLow == preemptLow;
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxConcurrent, reserveForHigh, maxQueued, preemptLow);
  }

  @Override
  public String toString() {
    return "AdmissionPolicy[" + maxConcurrent + " at once, " + reserveForHigh + " for high, " + maxQueued
        + " queued" + (preemptLow ? ", low preempted" : "") + "]";
  }

  /** Builds an {@link AdmissionPolicy}. Not thread-safe. */
  public static final class Builder {
    private final int maxConcurrent;
    private int reserveForHigh;
    private int maxQueued = DEFAULT_MAX_QUEUED;
    private boolean preemptLow;

    private Builder(int maxConcurrent) {
      if (maxConcurrent < 1) {
        throw new IllegalArgumentException("maxConcurrent must be at least 1, was " + maxConcurrent);
      }
      this.maxConcurrent = maxConcurrent;
      this.reserveForHigh = maxConcurrent == 1 ? 0 : Math.max(1, maxConcurrent / 4);
    }

    /**
     * Sets the slots reserved for high priority calls.
     *
     * @param slots from 0 to maxConcurrent
     * @return this builder
     */
    public Builder reserveForHigh(int slots) {
      if (slots < 0 || slots > maxConcurrent) {
        throw new IllegalArgumentException("reserveForHigh must be in [0, " + maxConcurrent + "], was " + slots);
      }
      this.reserveForHigh = slots;
      return this;
    }

    /**
     * Sets how many high calls may wait for a slot (default {@value AdmissionPolicy#DEFAULT_MAX_QUEUED}).
     *
     * @param calls 0 or more
     * @return this builder
     */
    public Builder maxQueued(int calls) {
      if (calls < 0) {
        throw new IllegalArgumentException("maxQueued must be >= 0, was " + calls);
      }
      this.maxQueued = calls;
      return this;
    }

    /**
     * Sets whether a high call that finds every slot taken cancels the most recently started
     * running low call and takes its slot, instead of waiting (default false). The low call fails
     * with an {@link dev.swell.api.OverloadException}. Calls joined by a batcher are not preempted.
     *
     * @param preempt true to preempt low calls
     * @return this builder
     */
    public Builder preemptLow(boolean preempt) {
      this.preemptLow = preempt;
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     */
    public AdmissionPolicy build() {
      return new AdmissionPolicy(this);
    }
  }
}

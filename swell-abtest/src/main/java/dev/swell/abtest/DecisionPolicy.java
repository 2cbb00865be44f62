package dev.swell.abtest;

import java.util.Objects;

/**
 * How {@link Experiment#decide} judges a challenger against the control.
 *
 * <ul>
 *   <li>Guardrail first: a challenger whose error rate is higher than the control's by more than
 *       {@code maxErrorRateIncrease}, significantly (two-proportion z test at {@code alpha}), is
 *       rolled back — once both have {@code minSamples} requests.
 *   <li>Then the metric: once both have {@code minSamples} values of it, Welch's t test at
 *       {@code alpha} (divided by the number of challengers, Bonferroni); a significant difference
 *       in the goal's direction promotes, in the other direction rolls back.
 * </ul>
 *
 * <p>These are fixed-horizon tests: decide once at a planned sample size, or use a stricter
 * {@code alpha} if you decide repeatedly.
 *
 * @param metric the outcome metric recorded with {@link Experiment#record}, or {@link #LATENCY}
 * @param goal whether larger or smaller is better
 * @param alpha the significance level
 * @param minSamples values needed on each side before deciding
 * @param maxErrorRateIncrease the error-rate increase (absolute, 0 to 1) the guardrail tolerates
 */
public record DecisionPolicy(String metric, Goal goal, double alpha, long minSamples, double maxErrorRateIncrease) {

  /** The built-in metric: each successful request's latency in microseconds. */
  public static final String LATENCY = "latency_us";

  /** Which direction of the metric is better. */
  public enum Goal {
    /** Larger is better (conversions, revenue). */
    MAXIMIZE,
    /** Smaller is better (latency, loss). */
    MINIMIZE
  }

  /**
   * Validates.
   *
   * @param metric not null
   * @param goal not null
   * @param alpha in (0, 0.5]
   * @param minSamples at least 2
   * @param maxErrorRateIncrease in [0, 1]
   */
  public DecisionPolicy {
    Objects.requireNonNull(metric, "metric");
    Objects.requireNonNull(goal, "goal");
    if (!(alpha > 0 && alpha <= 0.5)) {
      throw new IllegalArgumentException("alpha must be in (0, 0.5], was " + alpha);
    }
    if (minSamples < 2) {
      throw new IllegalArgumentException("minSamples must be at least 2, was " + minSamples);
    }
    if (!(maxErrorRateIncrease >= 0 && maxErrorRateIncrease <= 1)) {
      throw new IllegalArgumentException("maxErrorRateIncrease must be in [0, 1], was " + maxErrorRateIncrease);
    }
  }

  /**
   * Promotes a challenger whose metric is significantly larger; alpha 0.05, 1,000 samples a side,
   * error-rate guardrail +1%.
   *
   * @param metric the metric
   * @return the policy
   */
  public static DecisionPolicy maximize(String metric) {
    return new DecisionPolicy(metric, Goal.MAXIMIZE, 0.05, 1000, 0.01);
  }

  /**
   * Promotes a challenger whose metric is significantly smaller; defaults as {@link #maximize}.
   *
   * @param metric the metric, such as {@link #LATENCY}
   * @return the policy
   */
  public static DecisionPolicy minimize(String metric) {
    return new DecisionPolicy(metric, Goal.MINIMIZE, 0.05, 1000, 0.01);
  }

  /**
   * Returns a copy with another significance level.
   *
   * @param level in (0, 0.5]
   * @return the policy
   */
  public DecisionPolicy alpha(double level) {
    return new DecisionPolicy(metric, goal, level, minSamples, maxErrorRateIncrease);
  }

  /**
   * Returns a copy needing another number of samples a side.
   *
   * @param n at least 2
   * @return the policy
   */
  public DecisionPolicy minSamples(long n) {
    return new DecisionPolicy(metric, goal, alpha, n, maxErrorRateIncrease);
  }

  /**
   * Returns a copy with another error-rate guardrail.
   *
   * @param increase absolute, 0 to 1
   * @return the policy
   */
  public DecisionPolicy maxErrorRateIncrease(double increase) {
    return new DecisionPolicy(metric, goal, alpha, minSamples, increase);
  }
}

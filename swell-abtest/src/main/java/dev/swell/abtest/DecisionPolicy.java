package dev.swell.abtest;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How an experiment decides, evaluated on a schedule by one replica at a time over every
 * replica's outcomes (see {@link Experiment}):
 *
 * <ol>
 *   <li><b>Guardrails</b>, first and at any time: a challenger is rolled back at once when its
 *       error rate is higher than the control's by more than {@link #maxErrorRateIncrease()}
 *       — tested one-sided, "challenger minus control exceeds the margin", with an always-valid
 *       lower confidence bound, so looking at every interval does not inflate false rollbacks —
 *       or when its p99 latency is above the control's by more than {@link #maxP99Increase()},
 *       or when the upper confidence bound of a metric with a {@link #floors() floor} is below
 *       it.
 *   <li><b>Sample ratio</b>: a chi-square goodness-of-fit test of the units exposed to each
 *       variant against its configured share; below {@link #srmThreshold()} (gbstats' 0.001) the
 *       experiment holds: no promotion until the cause is understood, and an event says so.
 *   <li><b>The metric</b>, once each side has {@link #minUnits()} samples of it: a sequential
 *       (always-valid, gbstats-compatible) or fixed-horizon test at {@link #alpha()}, divided by
 *       the number of challengers (Bonferroni). A significant difference in the goal's direction
 *       promotes the challenger through {@link #promoteAlias()}; in the other direction it is
 *       rolled back.
 * </ol>
 *
 * <p>Immutable; build with {@link #maximize(String)} or {@link #minimize(String)}.
 *
 * <pre>{@code
 * DecisionPolicy p = DecisionPolicy.minimize(DecisionPolicy.LATENCY)
 *     .maxErrorRateIncrease(0.01).maxP99Increase(0.25).floor("agreement", 0.97).build();
 * }</pre>
 */
public final class DecisionPolicy {

  /** The built-in metric: each model call's latency in microseconds (cache hits excluded). */
  public static final String LATENCY = "latency_us";
  /** The default significance level. */
  public static final double DEFAULT_ALPHA = 0.05;
  /** The default samples needed on each side before the metric decides. */
  public static final long DEFAULT_MIN_UNITS = 100;
  /** The default error-rate increase a guardrail tolerates (absolute: one percentage point). */
  public static final double DEFAULT_MAX_ERROR_RATE_INCREASE = 0.01;
  /** gbstats' threshold for a sample ratio mismatch. */
  public static final double DEFAULT_SRM_THRESHOLD = 0.001;
  /** The default sequential tuning (gbstats' {@code sequential_tuning_parameter}). */
  public static final double DEFAULT_TUNING = 5000;

  /** Which direction of the metric is better. */
  public enum Goal {
    /** Larger is better (conversions, revenue, agreement). */
    MAXIMIZE,
    /** Smaller is better (latency, loss). */
    MINIMIZE
  }

  /** Which test decides on the metric. */
  public enum Test {
    /** Always-valid confidence sequences: may be evaluated at every look (the default). */
    SEQUENTIAL,
    /** Welch's t test: valid once, at a sample size chosen in advance. */
    FIXED_HORIZON
  }

  private final String metric;
  private final Goal goal;
  private final Test test;
  private final double alpha;
  private final double tuning;
  private final boolean relative;
  private final long minUnits;
  private final double maxErrorRateIncrease;
  private final double maxP99Increase;
  private final Map<String, Double> floors;
  private final double srmThreshold;
  private final String promoteAlias;

  private DecisionPolicy(Builder b) {
    this.metric = b.metric;
    this.goal = b.goal;
    this.test = b.test;
    this.alpha = b.alpha;
    this.tuning = b.tuning;
    this.relative = b.relative;
    this.minUnits = b.minUnits;
    this.maxErrorRateIncrease = b.maxErrorRateIncrease;
    this.maxP99Increase = b.maxP99Increase;
    this.floors = Map.copyOf(b.floors);
    this.srmThreshold = b.srmThreshold;
    this.promoteAlias = b.promoteAlias;
  }

  /**
   * Starts a policy that promotes a challenger whose metric is significantly larger.
   *
   * @param metric an outcome recorded with {@link Experiment#record}, or {@link #LATENCY}
   * @return a builder with the defaults
   */
  public static Builder maximize(String metric) {
    return new Builder(metric, Goal.MAXIMIZE);
  }

  /**
   * Starts a policy that promotes a challenger whose metric is significantly smaller.
   *
   * @param metric an outcome, or {@link #LATENCY}
   * @return a builder with the defaults
   */
  public static Builder minimize(String metric) {
    return new Builder(metric, Goal.MINIMIZE);
  }

  /**
   * Returns a builder starting from this policy.
   *
   * @return a builder
   */
  public Builder toBuilder() {
    Builder b = new Builder(metric, goal);
    b.test = test;
    b.alpha = alpha;
    b.tuning = tuning;
    b.relative = relative;
    b.minUnits = minUnits;
    b.maxErrorRateIncrease = maxErrorRateIncrease;
    b.maxP99Increase = maxP99Increase;
    b.floors.putAll(floors);
    b.srmThreshold = srmThreshold;
    b.promoteAlias = promoteAlias;
    return b;
  }

  /**
   * Returns the metric that decides.
   *
   * @return its name
   */
  public String metric() {
    return metric;
  }

  /**
   * Returns the goal.
   *
   * @return maximize or minimize
   */
  public Goal goal() {
    return goal;
  }

  /**
   * Returns the test.
   *
   * @return sequential or fixed horizon
   */
  public Test test() {
    return test;
  }

  /**
   * Returns the significance level.
   *
   * @return alpha
   */
  public double alpha() {
    return alpha;
  }

  /**
   * Returns the sequential tuning N*: the units of both sides together at which the interval is
   * tightest.
   *
   * @return N*
   */
  public double tuning() {
    return tuning;
  }

  /**
   * Returns whether effects are relative to the control's mean (gbstats' default).
   *
   * @return whether relative
   */
  public boolean relative() {
    return relative;
  }

  /**
   * Returns the samples each side needs before the metric or a guardrail decides.
   *
   * @return at least 2
   */
  public long minUnits() {
    return minUnits;
  }

  /**
   * Returns the error-rate increase the guardrail tolerates, absolute.
   *
   * @return in [0, 1], or NaN when off
   */
  public double maxErrorRateIncrease() {
    return maxErrorRateIncrease;
  }

  /**
   * Returns the relative p99-latency increase the guardrail tolerates.
   *
   * @return such as 0.25 for +25%, or NaN when off (the default)
   */
  public double maxP99Increase() {
    return maxP99Increase;
  }

  /**
   * Returns the floors: a challenger whose metric is confidently below one is rolled back.
   *
   * @return metric to its smallest acceptable mean
   */
  public Map<String, Double> floors() {
    return floors;
  }

  /**
   * Returns the sample-ratio-mismatch threshold.
   *
   * @return a p-value below it holds the experiment
   */
  public double srmThreshold() {
    return srmThreshold;
  }

  /**
   * Returns the alias a promotion moves.
   *
   * @return such as {@code production}, or null to conclude without moving an alias
   */
  public String promoteAlias() {
    return promoteAlias;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DecisionPolicy p && metric.equals(p.metric) && goal == p.goal && test == p.test
        && Double.compare(alpha, p.alpha) == 0 && Double.compare(tuning, p.tuning) == 0 && relative == p.relative
        && minUnits == p.minUnits && Double.compare(maxErrorRateIncrease, p.maxErrorRateIncrease) == 0
        && Double.compare(maxP99Increase, p.maxP99Increase) == 0 && floors.equals(p.floors)
        && Double.compare(srmThreshold, p.srmThreshold) == 0 && Objects.equals(promoteAlias, p.promoteAlias);
  }

  @Override
  public int hashCode() {
    return Objects.hash(metric, goal, test, alpha, tuning, relative, minUnits, maxErrorRateIncrease,
        maxP99Increase, floors, srmThreshold, promoteAlias);
  }

  @Override
  public String toString() {
    return goal.name().toLowerCase(java.util.Locale.ROOT) + " " + metric + " (" + test.name().toLowerCase(java.util.Locale.ROOT)
        + ", alpha " + alpha + (test == Test.SEQUENTIAL ? ", N* " + tuning : "") + (relative ? ", relative" : ", absolute")
        + ", min " + minUnits + "; guardrails: errors +" + maxErrorRateIncrease
        + (Double.isNaN(maxP99Increase) ? "" : ", p99 +" + maxP99Increase) + (floors.isEmpty() ? "" : ", floors " + floors)
        + "; SRM < " + srmThreshold + (promoteAlias == null ? "" : "; promotes through '" + promoteAlias + "'") + ")";
  }

  /** Builds a {@link DecisionPolicy}; every option is checked when set. Not thread-safe. */
  public static final class Builder {
    private final String metric;
    private final Goal goal;
    private Test test = Test.SEQUENTIAL;
    private double alpha = DEFAULT_ALPHA;
    private double tuning = DEFAULT_TUNING;
    private boolean relative = true;
    private long minUnits = DEFAULT_MIN_UNITS;
    private double maxErrorRateIncrease = DEFAULT_MAX_ERROR_RATE_INCREASE;
    private double maxP99Increase = Double.NaN;
    private final Map<String, Double> floors = new LinkedHashMap<>();
    private double srmThreshold = DEFAULT_SRM_THRESHOLD;
    private String promoteAlias = "production";

    private Builder(String metric, Goal goal) {
      Objects.requireNonNull(metric, "metric");
      if (metric.isBlank()) {
        throw new IllegalArgumentException("metric must not be blank");
      }
      this.metric = metric;
      this.goal = goal;
    }

    /**
     * Sets the test (default sequential).
     *
     * @param t the test
     * @return this builder
     */
    public Builder test(Test t) {
      this.test = Objects.requireNonNull(t, "test");
      return this;
    }

    /**
     * Sets the significance level (default 0.05).
     *
     * @param level in (0, 0.5)
     * @return this builder
     */
    public Builder alpha(double level) {
      if (!(level > 0 && level < 0.5)) {
        throw new IllegalArgumentException("alpha must be in (0, 0.5), was " + level);
      }
      this.alpha = level;
      return this;
    }

    /**
     * Sets the sequential tuning N* (default 5,000): the total sample size around which the
     * experiment is expected to decide.
     *
     * @param n positive
     * @return this builder
     */
    public Builder tuning(double n) {
      if (!(n > 0) || Double.isInfinite(n)) {
        throw new IllegalArgumentException("tuning must be positive, was " + n);
      }
      this.tuning = n;
      return this;
    }

    /**
     * Sets whether effects are relative to the control's mean (default true) or absolute.
     *
     * @param isRelative whether relative
     * @return this builder
     */
    public Builder relative(boolean isRelative) {
      this.relative = isRelative;
      return this;
    }

    /**
     * Sets the samples each side needs before the metric or a guardrail decides (default 100).
     *
     * @param n at least 2
     * @return this builder
     */
    public Builder minUnits(long n) {
      if (n < 2) {
        throw new IllegalArgumentException("minUnits must be at least 2, was " + n);
      }
      this.minUnits = n;
      return this;
    }

    /**
     * Sets the error-rate guardrail (default +0.01 absolute).
     *
     * @param increase in [0, 1], or NaN to turn it off
     * @return this builder
     */
    public Builder maxErrorRateIncrease(double increase) {
      if (!Double.isNaN(increase) && !(increase >= 0 && increase <= 1)) {
        throw new IllegalArgumentException("maxErrorRateIncrease must be in [0, 1] or NaN, was " + increase);
      }
      this.maxErrorRateIncrease = increase;
      return this;
    }

    /**
     * Sets the p99-latency guardrail (default off): the challenger's p99 may be at most
     * {@code 1 + increase} times the control's.
     *
     * @param increase positive, such as 0.25; NaN turns it off
     * @return this builder
     */
    public Builder maxP99Increase(double increase) {
      if (!Double.isNaN(increase) && !(increase > 0) || Double.isInfinite(increase)) {
        throw new IllegalArgumentException("maxP99Increase must be positive or NaN, was " + increase);
      }
      this.maxP99Increase = increase;
      return this;
    }

    /**
     * Adds a floor: a challenger whose metric mean is confidently below {@code min} (its upper
     * confidence bound under it) is rolled back.
     *
     * @param outcome the metric
     * @param min its smallest acceptable mean
     * @return this builder
     */
    public Builder floor(String outcome, double min) {
      Objects.requireNonNull(outcome, "outcome");
      if (!Double.isFinite(min)) {
        throw new IllegalArgumentException("a floor must be finite, was " + min);
      }
      floors.put(outcome, min);
      return this;
    }

    /**
     * Sets the sample-ratio-mismatch threshold (default 0.001).
     *
     * @param p in (0, 0.5)
     * @return this builder
     */
    public Builder srmThreshold(double p) {
      if (!(p > 0 && p < 0.5)) {
        throw new IllegalArgumentException("srmThreshold must be in (0, 0.5), was " + p);
      }
      this.srmThreshold = p;
      return this;
    }

    /**
     * Sets the alias a promotion moves (default {@code production}).
     *
     * @param alias the alias, or null to conclude without moving one
     * @return this builder
     */
    public Builder promoteAlias(String alias) {
      this.promoteAlias = alias;
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     */
    public DecisionPolicy build() {
      return new DecisionPolicy(this);
    }
  }
}

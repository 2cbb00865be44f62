package dev.swell.abtest;

import java.time.Duration;
import java.util.Objects;

/**
 * Makes an experiment a Thompson-sampling bandit: every {@link #every()} the deciding replica
 * computes each variant's probability of being the best on the policy's metric (see
 * {@link dev.swell.abtest.stats.Thompson}), clamps it to [{@link #floor()}, {@link #ceiling()}] and
 * moves the shares there, through the control's space, so no unit moves between challengers. The
 * random stream is seeded by the experiment's seed and the period's number, so the weights are
 * a pure function of the data and the period; the others follow the stored result. Until every
 * variant has {@link #burnIn()} samples of the metric the weights stay as configured. Guardrails
 * still roll a challenger back; the metric never promotes.
 *
 * <pre>{@code
 * BanditPolicy.every(Duration.ofMinutes(15)).floor(0.05).build()
 * }</pre>
 */
public final class BanditPolicy {

  /** GrowthBook's draws per update. */
  public static final int DEFAULT_DRAWS = 10_000;
  /** GrowthBook's smallest weight. */
  public static final double DEFAULT_FLOOR = 0.01;
  /** GrowthBook's samples per variant before the weights move. */
  public static final long DEFAULT_BURN_IN = 100;

  private final Duration every;
  private final double floor;
  private final double ceiling;
  private final long burnIn;
  private final int draws;

  private BanditPolicy(Builder b) {
    this.every = b.every;
    this.floor = b.floor;
    this.ceiling = b.ceiling;
    this.burnIn = b.burnIn;
    this.draws = b.draws;
  }

  /**
   * Starts a bandit policy.
   *
   * @param period how often the weights move (at least 1 ms)
   * @return a builder
   */
  public static Builder every(Duration period) {
    return new Builder(period);
  }

  /**
   * Returns how often the weights move.
   *
   * @return the period
   */
  public Duration every() {
    return every;
  }

  /**
   * Returns the smallest weight of a variant.
   *
   * @return the floor
   */
  public double floor() {
    return floor;
  }

  /**
   * Returns the largest weight of a variant.
   *
   * @return the ceiling
   */
  public double ceiling() {
    return ceiling;
  }

  /**
   * Returns the samples every variant needs before the weights move.
   *
   * @return the burn-in
   */
  public long burnIn() {
    return burnIn;
  }

  /**
   * Returns the joint posterior draws per update.
   *
   * @return the draws
   */
  public int draws() {
    return draws;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BanditPolicy b && every.equals(b.every) && Double.compare(floor, b.floor) == 0
        && Double.compare(ceiling, b.ceiling) == 0 && burnIn == b.burnIn && draws == b.draws;
  }

  @Override
  public int hashCode() {
    return Objects.hash(every, floor, ceiling, burnIn, draws);
  }

  @Override
  public String toString() {
    return "bandit every " + every + ", weights in [" + floor + ", " + ceiling + "], burn-in " + burnIn
        + ", " + draws + " draws";
  }

  /** Builds a {@link BanditPolicy}. Not thread-safe. */
  public static final class Builder {
    private final Duration every;
    private double floor = DEFAULT_FLOOR;
    private double ceiling = 1;
    private long burnIn = DEFAULT_BURN_IN;
    private int draws = DEFAULT_DRAWS;

    private Builder(Duration every) {
      Objects.requireNonNull(every, "every");
      if (every.toMillis() < 1) {
        throw new IllegalArgumentException("every must be at least 1 ms, was " + every);
      }
      this.every = every;
    }

    /**
     * Sets the smallest weight (default 0.01).
     *
     * @param min in [0, 0.5]
     * @return this builder
     */
    public Builder floor(double min) {
      if (!(min >= 0 && min <= 0.5)) {
        throw new IllegalArgumentException("floor must be in [0, 0.5], was " + min);
      }
      this.floor = min;
      return this;
    }

    /**
     * Sets the largest weight (default 1).
     *
     * @param max in (0, 1]
     * @return this builder
     */
    public Builder ceiling(double max) {
      if (!(max > 0 && max <= 1)) {
        throw new IllegalArgumentException("ceiling must be in (0, 1], was " + max);
      }
      this.ceiling = max;
      return this;
    }

    /**
     * Sets the samples every variant needs before the weights move (default 100).
     *
     * @param samples at least 2
     * @return this builder
     */
    public Builder burnIn(long samples) {
      if (samples < 2) {
        throw new IllegalArgumentException("burnIn must be at least 2, was " + samples);
      }
      this.burnIn = samples;
      return this;
    }

    /**
     * Sets the draws per update (default 10,000).
     *
     * @param n at least 100
     * @return this builder
     */
    public Builder draws(int n) {
      if (n < 100) {
        throw new IllegalArgumentException("draws must be at least 100, was " + n);
      }
      this.draws = n;
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     */
    public BanditPolicy build() {
      return new BanditPolicy(this);
    }
  }
}

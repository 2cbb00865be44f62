package dev.swell.abtest.stats;

import java.util.Objects;

/**
 * Always-valid inference for a difference of means: the asymptotic confidence sequences of
 * Waudby-Smith et al. (2023, arXiv 2103.06476, eq. 9 and 161) exactly as GrowthBook's gbstats
 * computes them ({@code SequentialTwoSidedTTest}), so that a dashboard or a decision loop may look
 * after every request without raising the false-positive rate above alpha.
 *
 * <p>With n the units of both arms together, tuning N* (the sample size at which the interval is
 * tightest; gbstats' default 5,000) and {@code rho = sqrt((-2 ln a + ln(1 - 2 ln a)) / N*)}, the
 * two-sided half-width is {@code SE sqrt((1 + 1/(n rho^2)) ln((n rho^2 + 1) / a^2))} and the
 * p-value {@code min(1, sqrt(n rho^2 + 1) exp(-z^2 n rho^2 / (2 (n rho^2 + 1))))} with
 * {@code z = estimate / SE}. The one-sided bound (a guardrail's "worse by more than a margin")
 * uses {@code rho} at {@code 2a} and half-width
 * {@code sqrt(SE^2 n 2 (n rho^2 + 1) / (n rho)^2 ln(1 + sqrt(n rho^2 + 1) / (2a)))}.
 */
public final class Sequential {

  /** gbstats' default tuning: the combined sample size where the interval is tightest. */
  public static final double DEFAULT_TUNING = 5000;

  private Sequential() {}

  /**
   * The mixing parameter.
   *
   * @param alpha significance, in (0, 0.5)
   * @param tuning N*, positive
   * @return rho
   */
  public static double rho(double alpha, double tuning) {
    checkAlpha(alpha);
    if (!(tuning > 0)) {
      throw new IllegalArgumentException("tuning must be positive, was " + tuning);
    }
    return Math.sqrt((-2 * Math.log(alpha) + Math.log(1 - 2 * Math.log(alpha))) / tuning);
  }

  /**
   * Two-sided always-valid interval and p-value for challenger {@code b} against control
   * {@code a}.
   *
   * @param a the control's summary
   * @param b the challenger's
   * @param alpha significance, in (0, 0.5)
   * @param tuning N*
   * @param relative whether the effect is relative to the control's mean (gbstats' default)
   * @return the effect; {@link Effect#informative()} false when a side has no variance yet
   */
  public static Effect twoSided(Summary.Snapshot a, Summary.Snapshot b, double alpha, double tuning,
      boolean relative) {
    Objects.requireNonNull(a, "a");
    Objects.requireNonNull(b, "b");
    double rho = rho(alpha, tuning);
    Moments m = Moments.of(a, b, relative);
    if (m == null) {
      return Effect.none(relative);
    }
    double n = a.count() + b.count();
    double nr2 = n * rho * rho;
    double se = Math.sqrt(m.variance());
    double half = se * Math.sqrt((1 + 1 / nr2) * Math.log((nr2 + 1) / (alpha * alpha)));
    double z = m.estimate() / se;
    double p = Math.min(1, Math.sqrt(nr2 + 1) * Math.exp(-z * z * nr2 / (2 * (nr2 + 1))));
    return new Effect(m.estimate(), se, m.estimate() - half, m.estimate() + half, p, relative);
  }

  /**
   * One-sided always-valid lower bound of challenger minus control (gbstats'
   * {@code SequentialOneSidedTreatmentGreaterTTest}): with probability at least 1 - alpha at
   * every moment, the true effect is above it. A guardrail that tests "the challenger is worse by
   * more than m" rolls back once this bound passes m.
   *
   * @param a the control's summary
   * @param b the challenger's
   * @param alpha significance, in (0, 0.5)
   * @param tuning N*
   * @param relative whether relative to the control's mean
   * @return the effect with {@code upper = Infinity}; p-value NaN (not computed); not
   *     informative when a side has no variance
   */
  public static Effect lowerBound(Summary.Snapshot a, Summary.Snapshot b, double alpha, double tuning,
      boolean relative) {
    double rho = rho(2 * alpha, tuning);
    Moments m = Moments.of(a, b, relative);
    if (m == null) {
      return Effect.none(relative);
    }
    double n = a.count() + b.count();
    double nr2 = n * rho * rho;
    double s2 = m.variance() * n;
    double half = Math.sqrt(s2 * 2 * (nr2 + 1) / (n * n * rho * rho)
        * Math.log(1 + Math.sqrt(nr2 + 1) / (2 * alpha)));
    return new Effect(m.estimate(), Math.sqrt(m.variance()), m.estimate() - half,
        Double.POSITIVE_INFINITY, Double.NaN, relative);
  }

  /**
   * Two-sided always-valid interval for one mean (the same confidence sequence with n the
   * sample's size): a floor guardrail rolls back once the upper end is below the floor.
   *
   * @param s the sample's summary
   * @param alpha significance, in (0, 0.5)
   * @param tuning N*
   * @return the interval around the mean (p-value NaN); not informative without variance
   */
  public static Effect mean(Summary.Snapshot s, double alpha, double tuning) {
    double rho = rho(alpha, tuning);
    if (s.count() < 2 || !(s.variance() > 0)) {
      return Effect.none(false);
    }
    double nr2 = s.count() * rho * rho;
    double se = Math.sqrt(s.variance() / s.count());
    double half = se * Math.sqrt((1 + 1 / nr2) * Math.log((nr2 + 1) / (alpha * alpha)));
    return new Effect(s.mean(), se, s.mean() - half, s.mean() + half, Double.NaN, false);
  }

  static void checkAlpha(double alpha) {
    if (!(alpha > 0 && alpha < 0.5)) {
      throw new IllegalArgumentException("alpha must be in (0, 0.5), was " + alpha);
    }
  }
}

package dev.swell.abtest.stats;

import java.util.Arrays;
import java.util.Objects;
import org.apache.commons.statistics.distribution.ChiSquaredDistribution;
import org.apache.commons.statistics.distribution.NormalDistribution;
import org.apache.commons.statistics.distribution.TDistribution;

/**
 * Fixed-horizon tests, with distributions from Apache Commons Statistics: Welch's t test as
 * GrowthBook's gbstats runs it ({@code TwoSidedTTest}: relative or absolute effect, Welch–
 * Satterthwaite degrees of freedom from the raw variances), the pooled two-proportion z test,
 * and Pearson's chi-square goodness of fit (the sample-ratio-mismatch check).
 *
 * <p>A fixed-horizon p-value is valid once, at a sample size chosen in advance: looking again and
 * again while data arrive raises the false-positive rate far above alpha (see {@link Sequential}
 * for the tests a decision loop may run at every look).
 */
public final class Tests {

  private static final NormalDistribution NORMAL = NormalDistribution.of(0, 1);

  private Tests() {}

  /**
   * A z test's outcome.
   *
   * @param z the statistic (positive when the second sample's rate is larger)
   * @param pValue two-sided
   * @param difference second rate minus first
   */
  public record ZTest(double z, double pValue, double difference) {}

  /**
   * Welch's two-sided t test of challenger {@code b} against control {@code a}.
   *
   * @param a the control's summary (n - 1 variance)
   * @param b the challenger's
   * @param alpha for the confidence interval, in (0, 0.5)
   * @param relative whether the effect is relative to the control's mean
   * @return estimate, standard error, {@code 1 - alpha} interval, two-sided p-value; not
   *     informative when a side has no variance (or fewer than 2 samples)
   */
  public static Effect welch(Summary.Snapshot a, Summary.Snapshot b, double alpha, boolean relative) {
    Objects.requireNonNull(a, "a");
    Objects.requireNonNull(b, "b");
    Sequential.checkAlpha(alpha);
    Moments m = Moments.of(a, b, relative);
    if (m == null || a.count() < 2 || b.count() < 2) {
      return Effect.none(relative);
    }
    double va = a.variance() / a.count();
    double vb = b.variance() / b.count();
    double dof = (va + vb) * (va + vb) / (va * va / (a.count() - 1) + vb * vb / (b.count() - 1));
    TDistribution t = TDistribution.of(dof);
    double se = Math.sqrt(m.variance());
    double stat = m.estimate() / se;
    double p = 2 * t.survivalProbability(Math.abs(stat));
    double half = t.inverseSurvivalProbability(alpha / 2) * se;
    return new Effect(m.estimate(), se, m.estimate() - half, m.estimate() + half, p, relative);
  }

  /**
   * The pooled two-proportion z test of {@code rateB - rateA}.
   *
   * @param successesA events in sample a
   * @param trialsA its size (at least 1)
   * @param successesB events in sample b
   * @param trialsB its size (at least 1)
   * @return the statistic, two-sided p-value and difference of rates
   * @throws IllegalArgumentException if a count is negative or successes exceed trials
   */
  public static ZTest twoProportions(long successesA, long trialsA, long successesB, long trialsB) {
    if (trialsA < 1 || trialsB < 1 || successesA < 0 || successesB < 0 || successesA > trialsA
        || successesB > trialsB) {
      throw new IllegalArgumentException("expected 0 <= successes <= trials and trials >= 1, got "
          + successesA + "/" + trialsA + " and " + successesB + "/" + trialsB);
    }
    double pa = (double) successesA / trialsA;
    double pb = (double) successesB / trialsB;
    double pooled = (double) (successesA + successesB) / (trialsA + trialsB);
    double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / trialsA + 1.0 / trialsB));
    if (se == 0) {
      return new ZTest(0, 1, pb - pa);
    }
    double z = (pb - pa) / se;
    return new ZTest(z, 2 * NORMAL.survivalProbability(Math.abs(z)), pb - pa);
  }

  /**
   * Pearson's chi-square goodness of fit of observed counts to expected proportions: the
   * sample-ratio-mismatch check, as gbstats' {@code check_srm} runs it. Categories of weight 0
   * are left out (a count in one is a mismatch: p = 0); degrees of freedom are the remaining
   * categories minus one.
   *
   * @param observed counts per category
   * @param weights expected proportions (any positive scale), as many as counts
   * @return the p-value, 1 without observations
   * @throws IllegalArgumentException if the lengths differ, a count or weight is negative, or
   *     no weight is positive
   */
  public static double chiSquareGoodnessOfFit(long[] observed, double[] weights) {
    if (observed.length != weights.length) {
      throw new IllegalArgumentException(observed.length + " counts for " + weights.length + " weights");
    }
    long total = 0;
    double weightSum = 0;
    int categories = 0;
    for (int i = 0; i < observed.length; i++) {
      if (observed[i] < 0 || !(weights[i] >= 0)) {
        throw new IllegalArgumentException("counts and weights must be >= 0, got "
            + Arrays.toString(observed) + " and " + Arrays.toString(weights));
      }
      if (weights[i] > 0) {
        weightSum += weights[i];
        categories++;
      } else if (observed[i] > 0) {
        return 0;
      }
      total += observed[i];
    }
    if (categories == 0) {
      throw new IllegalArgumentException("no positive weight in " + Arrays.toString(weights));
    }
    if (total == 0 || categories < 2) {
      return 1;
    }
    double chi2 = 0;
    for (int i = 0; i < observed.length; i++) {
      if (weights[i] > 0) {
        double e = weights[i] / weightSum * total;
        double d = observed[i] - e;
        chi2 += d * d / e;
      }
    }
    return ChiSquaredDistribution.of(categories - 1).survivalProbability(chi2);
  }
}

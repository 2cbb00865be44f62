package dev.swell.abtest.stats;

import java.util.List;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;
import org.apache.commons.rng.simple.RandomSource;

/**
 * Thompson sampling over arms' means, as GrowthBook's bandits do it: a Normal(0, 10^4) prior per
 * arm, the posterior of its mean given its summary, {@code draws} joint draws, and each arm's
 * weight the share of draws in which it is the best; weights below the floor are raised to it,
 * above the ceiling lowered to it, and the rest renormalized. The random stream is seeded, so the
 * same data and seed give the same weights in every process (GrowthBook's own stream differs:
 * its weights agree with these only within Monte Carlo error).
 */
public final class Thompson {

  /** GrowthBook's prior variance of an arm's mean. */
  public static final double PRIOR_VARIANCE = 1e4;

  private Thompson() {}

  /**
   * Computes weights.
   *
   * @param arms each arm's summary (n - 1 variance); an arm with fewer than 2 samples or no
   *     variance gets the prior alone
   * @param maximize whether larger is better
   * @param seed the random stream's seed (derive it from the experiment and the period)
   * @param draws joint draws, at least 100 (GrowthBook: 10,000)
   * @param floor the smallest weight, in [0, 1/arms]
   * @param ceiling the largest, in [1/arms, 1]
   * @return one weight per arm, adding up to 1
   */
  public static double[] weights(List<Summary.Snapshot> arms, boolean maximize, long seed, int draws,
      double floor, double ceiling) {
    int k = arms.size();
    if (k < 2) {
      throw new IllegalArgumentException("a bandit needs at least 2 arms, got " + k);
    }
    if (draws < 100) {
      throw new IllegalArgumentException("draws must be at least 100, was " + draws);
    }
    if (!(floor >= 0 && floor * k <= 1 + 1e-12 && ceiling * k >= 1 - 1e-12 && ceiling <= 1)) {
      throw new IllegalArgumentException("need 0 <= floor <= 1/arms <= ceiling <= 1, got floor " + floor
          + ", ceiling " + ceiling + " for " + k + " arms");
    }
    double[] mean = new double[k];
    double[] sd = new double[k];
    for (int i = 0; i < k; i++) {
      Summary.Snapshot s = arms.get(i);
      double precision = 1 / PRIOR_VARIANCE;
      double weighted = 0;
      if (s.count() >= 2 && s.variance() > 0) {
        double dataPrecision = s.count() / s.variance();
        precision += dataPrecision;
        weighted = dataPrecision * s.mean();
      }
      double variance = 1 / precision;
      mean[i] = variance * weighted;
      sd[i] = Math.sqrt(variance);
    }
    UniformRandomProvider rng = RandomSource.XO_RO_SHI_RO_128_PP.create(seed);
    ZigguratSampler.NormalizedGaussian gauss = ZigguratSampler.NormalizedGaussian.of(rng);
    long[] best = new long[k];
    for (int d = 0; d < draws; d++) {
      int arg = 0;
      double top = 0;
      for (int i = 0; i < k; i++) {
        double x = mean[i] + sd[i] * gauss.sample();
        if (i == 0 || (maximize ? x > top : x < top)) {
          top = x;
          arg = i;
        }
      }
      best[arg]++;
    }
    double[] w = new double[k];
    for (int i = 0; i < k; i++) {
      w[i] = (double) best[i] / draws;
    }
    return clamp(w, floor, ceiling);
  }

  /** Raises weights to the floor, lowers them to the ceiling, spreading the difference over the others. */
  static double[] clamp(double[] w, double floor, double ceiling) {
    double[] out = w.clone();
    boolean[] fixed = new boolean[out.length];
    for (int round = 0; round < out.length; round++) {
      double fixedSum = 0;
      double freeSum = 0;
      boolean changed = false;
      for (int i = 0; i < out.length; i++) {
        if (!fixed[i] && out[i] < floor) {
          out[i] = floor;
          fixed[i] = true;
          changed = true;
        } else if (!fixed[i] && out[i] > ceiling) {
          out[i] = ceiling;
          fixed[i] = true;
          changed = true;
        }
      }
      for (int i = 0; i < out.length; i++) {
        if (fixed[i]) {
          fixedSum += out[i];
        } else {
          freeSum += out[i];
        }
      }
      double left = 1 - fixedSum;
      for (int i = 0; i < out.length; i++) {
        if (!fixed[i]) {
          out[i] = freeSum > 0 ? out[i] / freeSum * left : left / count(fixed, false);
        }
      }
      if (!changed) {
        break;
      }
    }
    return out;
  }

  private static int count(boolean[] flags, boolean value) {
    int n = 0;
    for (boolean f : flags) {
      if (f == value) {
        n++;
      }
    }
    return n;
  }
}

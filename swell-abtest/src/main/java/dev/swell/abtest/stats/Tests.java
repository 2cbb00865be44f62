package dev.swell.abtest.stats;

/**
 * Two-sample tests: Welch's t test for a difference of means and the pooled two-proportion z
 * test for a difference of rates, with two-sided p-values. Fixed-horizon tests: checking them
 * again and again while data arrive raises the false-positive rate above {@code alpha}; decide at
 * a planned sample size, or with a stricter alpha.
 */
public final class Tests {

  private Tests() {}

  /**
   * The outcome of a test.
   *
   * @param statistic the t or z statistic (positive when {@code b} is larger)
   * @param pValue the two-sided p-value
   * @param difference {@code b} minus {@code a}
   */
  public record Result(double statistic, double pValue, double difference) {}

  /**
   * Welch's t test of {@code b.mean - a.mean}, with the Welch–Satterthwaite degrees of freedom.
   *
   * @param a one sample's summary (at least 2 samples)
   * @param b the other's (at least 2 samples)
   * @return the statistic, two-sided p-value and difference of means
   * @throws IllegalArgumentException with fewer than 2 samples on a side
   */
  public static Result welch(Summary.Snapshot a, Summary.Snapshot b) {
    if (a.count() < 2 || b.count() < 2) {
      throw new IllegalArgumentException("Welch's test needs at least 2 samples a side, got "
          + a.count() + " and " + b.count());
    }
    double va = a.variance() / a.count();
    double vb = b.variance() / b.count();
    double diff = b.mean() - a.mean();
    if (va + vb == 0) {
      return new Result(diff == 0 ? 0 : Math.copySign(Double.POSITIVE_INFINITY, diff), diff == 0 ? 1 : 0, diff);
    }
    double t = diff / Math.sqrt(va + vb);
    double df = (va + vb) * (va + vb)
        / (va * va / (a.count() - 1) + vb * vb / (b.count() - 1));
    return new Result(t, 2 * studentTUpperTail(Math.abs(t), df), diff);
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
  public static Result twoProportions(long successesA, long trialsA, long successesB, long trialsB) {
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
      return new Result(0, 1, pb - pa);
    }
    double z = (pb - pa) / se;
    return new Result(z, 2 * normalUpperTail(Math.abs(z)), pb - pa);
  }

  /**
   * P(Z &gt; z) for a standard normal Z.
   *
   * @param z any value
   * @return the upper tail probability
   */
  public static double normalUpperTail(double z) {
    return 0.5 * erfc(z / Math.sqrt(2));
  }

  /**
   * P(T &gt; t) for Student's t with {@code df} degrees of freedom, t &ge; 0.
   *
   * @param t a non-negative value
   * @param df degrees of freedom, positive (not necessarily whole)
   * @return the upper tail probability
   */
  public static double studentTUpperTail(double t, double df) {
    if (t < 0 || !(df > 0)) {
      throw new IllegalArgumentException("expected t >= 0 and df > 0, got t=" + t + " df=" + df);
    }
    double x = df / (df + t * t);
    return 0.5 * regularizedIncompleteBeta(df / 2, 0.5, x);
  }

  /** The complementary error function, to about 1e-15 (Chebyshev fit, Numerical Recipes 3rd ed. 6.2). */
  static double erfc(double x) {
    double z = Math.abs(x);
    double t = 2 / (2 + z);
    double ty = 4 * t - 2;
    double d = 0;
    double dd = 0;
    for (int j = ERFC_COF.length - 1; j > 0; j--) {
      double tmp = d;
      d = ty * d - dd + ERFC_COF[j];
      dd = tmp;
    }
    double r = t * Math.exp(-z * z + 0.5 * (ERFC_COF[0] + ty * d) - dd);
    return x >= 0 ? r : 2 - r;
  }

  private static final double[] ERFC_COF = {-1.3026537197817094, 6.4196979235649026e-1,
      1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4, 3.66839497852761e-4,
      4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6, 1.303655835580e-6,
      1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9, 5.059343495e-9, -9.91364156e-10,
      -2.27365122e-10, 9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13,
      -1.12708e-13, 3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17};

  /** I_x(a, b) by its continued fraction (Lentz's method). */
  static double regularizedIncompleteBeta(double a, double b, double x) {
    if (x <= 0) {
      return 0;
    }
    if (x >= 1) {
      return 1;
    }
    double lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
    if (x > (a + 1) / (a + b + 2)) {
      return 1 - Math.exp(lnFront) * betaContinuedFraction(b, a, 1 - x) / b;
    }
    return Math.exp(lnFront) * betaContinuedFraction(a, b, x) / a;
  }

  private static double betaContinuedFraction(double a, double b, double x) {
    final double tiny = 1e-300;
    double c = 1;
    double d = 1 - (a + b) * x / (a + 1);
    d = Math.abs(d) < tiny ? tiny : d;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 10_000; m++) {
      int m2 = 2 * m;
      double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
      d = 1 + aa * d;
      d = Math.abs(d) < tiny ? tiny : d;
      c = 1 + aa / c;
      c = Math.abs(c) < tiny ? tiny : c;
      d = 1 / d;
      h *= d * c;
      aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
      d = 1 + aa * d;
      d = Math.abs(d) < tiny ? tiny : d;
      c = 1 + aa / c;
      c = Math.abs(c) < tiny ? tiny : c;
      d = 1 / d;
      double delta = d * c;
      h *= delta;
      if (Math.abs(delta - 1) < 1e-15) {
        break;
      }
    }
    return h;
  }

  /** ln Γ(x) for x &gt; 0 (Lanczos, g = 7, n = 9). */
  static double logGamma(double x) {
    if (x < 0.5) {
      return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
    }
    x -= 1;
    double a = LANCZOS[0];
    double t = x + 7.5;
    for (int i = 1; i < LANCZOS.length; i++) {
      a += LANCZOS[i] / (x + i);
    }
    return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
  }

  private static final double[] LANCZOS = {0.99999999999980993, 676.5203681218851, -1259.1392167224028,
      771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
      9.9843695780195716e-6, 1.5056327351493116e-7};
}

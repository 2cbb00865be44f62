package dev.swell.core.drift;

import java.util.Arrays;

/**
 * The two drift statistics, on plain arrays.
 *
 * <p><b>PSI</b> with {@code bins} bins whose edges are the reference's quantiles
 * ({@code edge_i = sortedRef[floor(i * n / bins)]}, a value goes to the first bin whose upper edge
 * is above it): {@code Σ (live_i - ref_i) · ln(live_i / ref_i)} over the bins' fractions, an empty
 * bin counted as {@value #EMPTY_BIN_FRACTION} so the sum stays finite. Common reading: below 0.1
 * stable, 0.1 to 0.25 moderate shift, above 0.25 significant shift.
 *
 * <p><b>KS</b>: the largest distance between the two empirical distribution functions,
 * {@code sup_x |F_ref(x) - F_live(x)|}, from 0 (same) to 1 (disjoint).
 */
final class DriftStatistics {

  /** The fraction an empty bin is counted as. */
  public static final double EMPTY_BIN_FRACTION = 1e-4;

  private DriftStatistics() {}

  /**
   * Computes the Population Stability Index.
   *
   * @param reference reference values, any order, at least {@code bins}
   * @param live live values, at least one
   * @param bins number of bins, at least 2
   * @return the PSI, at least 0
   * @throws IllegalArgumentException if an array is too small or bins is below 2
   */
  public static double psi(double[] reference, double[] live, int bins) {
    if (bins < 2 || reference.length < bins || live.length == 0) {
      throw new IllegalArgumentException("psi needs bins >= 2, at least bins reference values and one live "
          + "value; got bins " + bins + ", " + reference.length + " and " + live.length);
    }
    double[] ref = reference.clone();
    Arrays.sort(ref);
    double[] edges = new double[bins - 1];
    for (int i = 1; i < bins; i++) {
      edges[i - 1] = ref[(int) ((long) i * ref.length / bins)];
    }
    double[] e = fractions(ref, edges, bins);
    double[] a = fractions(live, edges, bins);
    double psi = 0;
    for (int i = 0; i < bins; i++) {
      double ei = Math.max(e[i], EMPTY_BIN_FRACTION);
      double ai = Math.max(a[i], EMPTY_BIN_FRACTION);
      psi += (ai - ei) * Math.log(ai / ei);
    }
    return psi;
  }

  private static double[] fractions(double[] values, double[] edges, int bins) {
    double[] counts = new double[bins];
    for (double v : values) {
      int b = 0;
      while (b < edges.length && v >= edges[b]) {
        b++;
      }
      counts[b]++;
    }
    for (int i = 0; i < bins; i++) {
      counts[i] /= values.length;
    }
    return counts;
  }

  /**
   * Computes the two-sample Kolmogorov–Smirnov statistic.
   *
   * @param reference reference values, at least one
   * @param live live values, at least one
   * @return the largest distance between the two empirical distribution functions
   */
  public static double ks(double[] reference, double[] live) {
    if (reference.length == 0 || live.length == 0) {
      throw new IllegalArgumentException("ks needs values on both sides");
    }
    double[] a = reference.clone();
    double[] b = live.clone();
    Arrays.sort(a);
    Arrays.sort(b);
    int i = 0;
    int j = 0;
    double d = 0;
    while (i < a.length && j < b.length) {
      double x = Math.min(a[i], b[j]);
      while (i < a.length && a[i] <= x) {
        i++;
      }
      while (j < b.length && b[j] <= x) {
        j++;
      }
      d = Math.max(d, Math.abs((double) i / a.length - (double) j / b.length));
    }
    return d;
  }
}

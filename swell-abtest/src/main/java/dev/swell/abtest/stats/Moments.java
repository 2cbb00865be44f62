package dev.swell.abtest.stats;

/** The estimate and its variance for challenger (b) against control (a), as gbstats computes them. */
record Moments(double estimate, double variance) {

  /**
   * Absolute: {@code mB - mA}, variance {@code vB/nB + vA/nA}; null when both variances are 0 (a
   * side without variance is fine: a control with no errors against a failing challenger).
   * Relative: {@code (mB - mA)/mA}, first-order delta-method variance
   * {@code (vB/nB)/mA^2 + (vA/nA) mB^2/mA^4}, no covariance; null, as in gbstats, when a side has
   * no variance or the control's mean is 0.
   */
  static Moments of(Summary.Snapshot a, Summary.Snapshot b, boolean relative) {
    if (a.count() < 1 || b.count() < 1 || a.variance() < 0 || b.variance() < 0) {
      return null;
    }
    double va = a.variance() / a.count();
    double vb = b.variance() / b.count();
    if (!relative) {
      return va + vb > 0 ? new Moments(b.mean() - a.mean(), va + vb) : null;
    }
    if (!(va > 0) || !(vb > 0)) {
      return null;
    }
    double ma = a.mean();
    if (ma == 0) {
      return null;
    }
    double mb = b.mean();
    return new Moments((mb - ma) / ma, vb / (ma * ma) + va * mb * mb / (ma * ma * ma * ma));
  }
}

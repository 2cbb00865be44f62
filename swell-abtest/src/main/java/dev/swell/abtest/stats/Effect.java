package dev.swell.abtest.stats;

/**
 * A challenger's estimated effect against the control, as GrowthBook's gbstats reports it: the
 * difference of means (relative: as a fraction of the control's mean, so 0.05 is +5%), its
 * standard error, a confidence interval and a p-value for "no difference".
 *
 * @param estimate challenger minus control (relative: divided by the control's mean)
 * @param standardError the estimate's standard error (delta method when relative)
 * @param lower the interval's lower end ({@code -Infinity} for a one-sided upper bound)
 * @param upper its upper end ({@code Infinity} for a one-sided lower bound)
 * @param pValue the p-value (for a sequential test, always valid: 1 / e-value)
 * @param relative whether the estimate is relative
 */
public record Effect(double estimate, double standardError, double lower, double upper, double pValue,
    boolean relative) {

  /** What gbstats returns when a side has no variance (or the control's mean is 0): no evidence. */
  static Effect none(boolean relative) {
    return new Effect(0, 0, 0, 0, 1, relative);
  }

  /**
   * Returns whether the test had something to go on (both sides with variance, a non-zero control
   * mean when relative).
   *
   * @return false for the "no evidence" result
   */
  public boolean informative() {
    return standardError > 0;
  }
}

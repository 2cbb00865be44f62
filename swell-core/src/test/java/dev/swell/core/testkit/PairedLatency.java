package dev.swell.core.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.apache.commons.statistics.distribution.BinomialDistribution;

/**
 * Latencies of calls measured in pairs with a control that waits the same way in the same run
 * (call i of each side next to each other), compared at a bound such as "deadline + 5 ms".
 *
 * <p>On a 2-core VM a thread waiting on a core is taken off it now and then for a few ms, by
 * whatever else runs; a p99 of 200 calls is their third slowest, so two p99s of the same
 * distribution differ by a few ms from one run to the next. A claim "p99 ≤ bound" is therefore
 * judged against the control: failing it is Swell's when Swell exceeds the bound significantly more
 * often than the control does in the same run (an exact one-sided binomial test on the calls that
 * exceed it, equal odds for either side when both wait alike). What Swell adds to every call shows
 * in the median of the paired differences, which such interruptions do not move.
 *
 * @param measured the measured calls' nanoseconds
 * @param control the control's, as many, paired by index
 * @param boundNanos the bound of the claim
 */
public record PairedLatency(long[] measured, long[] control, long boundNanos) {

  /** The significance below which exceeding the bound more often than the control is Swell's. */
  public static final double ALPHA = 0.001;

  /** Checks the pairing. */
  public PairedLatency {
    if (measured.length != control.length || measured.length == 0) {
      throw new IllegalArgumentException("paired samples of one size needed, were " + measured.length + " and "
          + control.length);
    }
    measured = measured.clone();
    control = control.clone();
  }

  /** @return the measured calls' p99 in ms */
  public double p99Millis() {
    return Measure.percentile(measured.clone(), 99) / 1e6;
  }

  /** @return the control's p99 in ms */
  public double controlP99Millis() {
    return Measure.percentile(control.clone(), 99) / 1e6;
  }

  /** @return the median of measured minus control, pair by pair, in ms */
  public double medianDifferenceMillis() {
    long[] d = new long[measured.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = measured[i] - control[i];
    }
    return Measure.percentile(d, 50) / 1e6;
  }

  /** @return how many measured calls exceeded the bound */
  public int exceeded() {
    return count(measured);
  }

  /** @return how many control calls exceeded the bound */
  public int controlExceeded() {
    return count(control);
  }

  /**
   * The chance of the measured side taking at least its share of the calls over the bound if both
   * sides were equally likely to exceed it.
   *
   * @return P(X ≥ exceeded) for X ~ Binomial(exceeded + controlExceeded, 1/2); 1 when none did
   */
  public double excessPValue() {
    int n = exceeded() + controlExceeded();
    if (n == 0) {
      return 1;
    }
    return BinomialDistribution.of(n, 0.5).survivalProbability(exceeded() - 1);
  }

  /**
   * Asserts the claim "p99 ≤ bound" as far as it is the measured side's to keep: passes when the
   * p99 keeps the bound, or when missing it is not significantly more the measured side's than the
   * control's; and, always, that the median paired difference is at most {@code maxMedianMillis}.
   *
   * @param what names the measurement in the failure message
   * @param maxMedianMillis what the measured side may add to a typical call
   */
  public void assertKeepsBound(String what, double maxMedianMillis) {
    assertThat(medianDifferenceMillis()).as("%s: median ms over the control, pair by pair: %s", what, this)
        .isLessThanOrEqualTo(maxMedianMillis);
    if (p99Millis() > boundNanos / 1e6) {
      assertThat(excessPValue()).as("%s: p99 over %.1f ms, and over it significantly more often than the control: %s",
          what, boundNanos / 1e6, this).isGreaterThanOrEqualTo(ALPHA);
    }
  }

  private int count(long[] values) {
    return (int) Arrays.stream(values).filter(v -> v > boundNanos).count();
  }

  @Override
  public String toString() {
    return String.format("p99 %.1f ms (%s), %d of %d over %.1f ms; control p99 %.1f ms (%s), %d over;"
            + " median difference %.2f ms; p = %.3g", p99Millis(), Measure.slowestMillis(measured, 5), exceeded(),
        measured.length, boundNanos / 1e6, controlP99Millis(), Measure.slowestMillis(control, 5), controlExceeded(),
        medianDifferenceMillis(), excessPValue());
  }
}

package dev.swell.core.drift;

import java.time.Duration;
import java.util.Objects;

/**
 * Turns on input-drift monitoring in a runtime ({@code Swell.builder().driftPolicy(...)}): every
 * float32 or float64 input of a hosted model whose last dimension is fixed and at most
 * {@code maxFeatures} gets a {@link DriftMonitor}, one per model and input, kept across versions.
 * Its reference is the serving version's {@code drift/<input>.csv}, published beside the model file
 * (see {@link DriftReference}), or else the first {@code windowSize} sampled rows.
 *
 * <p>Immutable. A class rather than a record, so that options can be added without changing a
 * public constructor.
 */
public final class DriftPolicy {

  private final int windowSize;
  private final int sampleEvery;
  private final int bins;
  private final double psiThreshold;
  private final Duration checkEvery;
  private final int maxFeatures;

  /**
   * Validates the components.
   *
   * @param windowSize at least 20
   * @param sampleEvery at least 1
   * @param bins at least 2
   * @param psiThreshold positive
   * @param checkEvery at least 1 ms
   * @param maxFeatures at least 1
   */
  private DriftPolicy(int windowSize, int sampleEvery, int bins, double psiThreshold, Duration checkEvery, int maxFeatures) {
    Objects.requireNonNull(checkEvery, "checkEvery");
    if (windowSize < 20) {
      throw new IllegalArgumentException("windowSize must be >= 20, was " + windowSize);
    }
    if (sampleEvery < 1) {
      throw new IllegalArgumentException("sampleEvery must be >= 1, was " + sampleEvery);
    }
    if (bins < 2 || bins * 10 > windowSize) {
      throw new IllegalArgumentException("bins must be >= 2 and at most windowSize / 10, was " + bins);
    }
    if (!(psiThreshold > 0)) {
      throw new IllegalArgumentException("psiThreshold must be > 0, was " + psiThreshold);
    }
    if (checkEvery.toMillis() < 1) {
      throw new IllegalArgumentException("checkEvery must be at least 1 ms, was " + checkEvery);
    }
    if (maxFeatures < 1) {
      throw new IllegalArgumentException("maxFeatures must be >= 1, was " + maxFeatures);
    }
    this.windowSize = windowSize;
    this.sampleEvery = sampleEvery;
    this.bins = bins;
    this.psiThreshold = psiThreshold;
    this.checkEvery = checkEvery;
    this.maxFeatures = maxFeatures;
  }

  /**
   * The defaults: a window of 1,000 rows, one call in 16 sampled, 10 bins, drifting above PSI
   * 0.25, checked every 10 s, inputs of up to 64 features.
   *
   * @return the default policy
   */
  public static DriftPolicy defaults() {
    return new DriftPolicy(1000, 16, 10, 0.25, Duration.ofSeconds(10), 64);
  }

  /**
   * Returns a copy with another window and sampling rate.
   *
   * @param windowSize sampled rows per window
   * @param sampleEvery one call in this many is sampled
   * @return the policy
   */
  public DriftPolicy withWindow(int windowSize, int sampleEvery) {
    return new DriftPolicy(windowSize, sampleEvery, bins, psiThreshold, checkEvery, maxFeatures);
  }

  /**
   * Returns a copy checked at another interval.
   *
   * @param every the interval
   * @return the policy
   */
  public DriftPolicy withCheckEvery(Duration every) {
    return new DriftPolicy(windowSize, sampleEvery, bins, psiThreshold, every, maxFeatures);
  }

  /**
   * Returns a copy with another PSI threshold.
   *
   * @param threshold positive
   * @return the policy
   */
  public DriftPolicy withPsiThreshold(double threshold) {
    return new DriftPolicy(windowSize, sampleEvery, bins, threshold, checkEvery, maxFeatures);
  }

  /**
   * Creates the monitor of one input under this policy.
   *
   * @param model the model
   * @param input the input
   * @param features the input's last dimension
   * @return a monitor without a reference yet
   */
  public DriftMonitor newMonitor(String model, String input, int features) {
    return DriftMonitor.builder(model, input, features).windowSize(windowSize).sampleEvery(sampleEvery)
        .bins(bins).psiThreshold(psiThreshold).build();
  }

  /**
   * Returns the {@code windowSize}: sampled rows in the live window (and in a reference taken from traffic).
   *
   * @return sampled rows in the live window (and in a reference taken from traffic)
   */
  public int windowSize() {
    return windowSize;
  }

  /**
   * Returns the {@code sampleEvery}: one call in this many is sampled.
   *
   * @return one call in this many is sampled
   */
  public int sampleEvery() {
    return sampleEvery;
  }

  /**
   * Returns the {@code bins}: PSI bins (quantiles of the reference).
   *
   * @return PSI bins (quantiles of the reference)
   */
  public int bins() {
    return bins;
  }

  /**
   * Returns the {@code psiThreshold}: PSI above which a feature counts as drifting.
   *
   * @return PSI above which a feature counts as drifting
   */
  public double psiThreshold() {
    return psiThreshold;
  }

  /**
   * Returns the {@code checkEvery}: how often the runtime computes the statistics (off the request path).
   *
   * @return how often the runtime computes the statistics (off the request path)
   */
  public Duration checkEvery() {
    return checkEvery;
  }

  /**
   * Returns the {@code maxFeatures}: wider inputs are not monitored (a gauge pair per feature).
   *
   * @return wider inputs are not monitored (a gauge pair per feature)
   */
  public int maxFeatures() {
    return maxFeatures;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof DriftPolicy o && o.windowSize == windowSize
        && o.sampleEvery == sampleEvery
        && o.bins == bins
        && Double.compare(o.psiThreshold, psiThreshold) == 0
        && java.util.Objects.equals(o.checkEvery, checkEvery)
        && o.maxFeatures == maxFeatures;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(windowSize, sampleEvery, bins, psiThreshold, checkEvery, maxFeatures);
  }

  @Override
  public String toString() {
    return "DriftPolicy[windowSize=" + windowSize
        + ", sampleEvery=" + sampleEvery
        + ", bins=" + bins
        + ", psiThreshold=" + psiThreshold
        + ", checkEvery=" + checkEvery
        + ", maxFeatures=" + maxFeatures + "]";
  }
}

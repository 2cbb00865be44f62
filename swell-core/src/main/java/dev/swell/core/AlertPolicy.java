package dev.swell.core;

import java.time.Duration;
import java.util.Objects;

/**
 * When a model alerts: its p99 latency or its error rate over a sliding window crosses a
 * threshold. Evaluated every {@code evaluateEvery}; nothing is decided on fewer than
 * {@code minSamples} calls in the window. Errors are backend failures, not invalid inputs (those
 * are the caller's).
 *
 * <pre>{@code
 * Swell swell = Swell.builder()
 *     .alertPolicy(AlertPolicy.p99Above(Duration.ofMillis(20)).withErrorRateAbove(0.01))
 *     .build();
 * swell.onAlert(e -> log.warn("{}", e));
 * }</pre>
 *
 * <p>Immutable. A class rather than a record, so that options can be added without changing a
 * public constructor.
 */
public final class AlertPolicy {

  private final Duration p99Threshold;
  private final double errorRateThreshold;
  private final Duration window;
  private final int minSamples;
  private final Duration evaluateEvery;

  /** The default window. */
  public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(30);
  /** The default minimum of calls in the window. */
  public static final int DEFAULT_MIN_SAMPLES = 100;
  /** The default evaluation interval. */
  public static final Duration DEFAULT_EVALUATE_EVERY = Duration.ofSeconds(1);

  /**
   * Validates the components.
   *
   * @param p99Threshold latency threshold or null
   * @param errorRateThreshold error-rate threshold or NaN
   * @param window window
   * @param minSamples minimum calls
   * @param evaluateEvery evaluation interval
   */
  private AlertPolicy(Duration p99Threshold, double errorRateThreshold, Duration window, int minSamples, Duration evaluateEvery) {
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(evaluateEvery, "evaluateEvery");
    if (p99Threshold != null && (p99Threshold.isNegative() || p99Threshold.isZero())) {
      throw new IllegalArgumentException("p99Threshold must be positive, was " + p99Threshold);
    }
    if (!Double.isNaN(errorRateThreshold) && (errorRateThreshold < 0 || errorRateThreshold >= 1)) {
      throw new IllegalArgumentException("errorRateThreshold must be in [0, 1), was " + errorRateThreshold);
    }
    if (window.isNegative() || window.isZero() || evaluateEvery.toMillis() < 1) {
      throw new IllegalArgumentException("window and evaluateEvery must be positive");
    }
    if (minSamples < 1) {
      throw new IllegalArgumentException("minSamples must be >= 1, was " + minSamples);
    }
    this.p99Threshold = p99Threshold;
    this.errorRateThreshold = errorRateThreshold;
    this.window = window;
    this.minSamples = minSamples;
    this.evaluateEvery = evaluateEvery;
  }

  /**
   * Alerts on p99 latency above a threshold, with the default window and sample minimum.
   *
   * @param threshold the p99 latency threshold
   * @return the policy
   */
  public static AlertPolicy p99Above(Duration threshold) {
    return new AlertPolicy(threshold, Double.NaN, DEFAULT_WINDOW, DEFAULT_MIN_SAMPLES, DEFAULT_EVALUATE_EVERY);
  }

  /**
   * Alerts on an error rate above a threshold, with the default window and sample minimum.
   *
   * @param threshold the error rate, 0 to 1
   * @return the policy
   */
  public static AlertPolicy errorRateAbove(double threshold) {
    return new AlertPolicy(null, threshold, DEFAULT_WINDOW, DEFAULT_MIN_SAMPLES, DEFAULT_EVALUATE_EVERY);
  }

  /**
   * Returns a copy that also alerts on an error rate.
   *
   * @param threshold the error rate, 0 to 1
   * @return the policy
   */
  public AlertPolicy withErrorRateAbove(double threshold) {
    return new AlertPolicy(p99Threshold, threshold, window, minSamples, evaluateEvery);
  }

  /**
   * Returns a copy with another window, sample minimum and evaluation interval.
   *
   * @param window the window
   * @param minSamples calls needed
   * @param evaluateEvery the evaluation interval
   * @return the policy
   */
  public AlertPolicy withWindow(Duration window, int minSamples, Duration evaluateEvery) {
    return new AlertPolicy(p99Threshold, errorRateThreshold, window, minSamples, evaluateEvery);
  }

  /**
   * Returns the {@code p99Threshold}: alert when the window's p99 latency is above this; null for no latency alert.
   *
   * @return alert when the window's p99 latency is above this; null for no latency alert
   */
  public Duration p99Threshold() {
    return p99Threshold;
  }

  /**
   * Returns the {@code errorRateThreshold}: alert when the window's error rate (0 to 1) is above this; NaN for none.
   *
   * @return alert when the window's error rate (0 to 1) is above this; NaN for none
   */
  public double errorRateThreshold() {
    return errorRateThreshold;
  }

  /**
   * Returns the {@code window}: how far back the window reaches.
   *
   * @return how far back the window reaches
   */
  public Duration window() {
    return window;
  }

  /**
   * Returns the {@code minSamples}: calls needed in the window to decide.
   *
   * @return calls needed in the window to decide
   */
  public int minSamples() {
    return minSamples;
  }

  /**
   * Returns the {@code evaluateEvery}: how often to evaluate.
   *
   * @return how often to evaluate
   */
  public Duration evaluateEvery() {
    return evaluateEvery;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof AlertPolicy o && java.util.Objects.equals(o.p99Threshold, p99Threshold)
        && Double.compare(o.errorRateThreshold, errorRateThreshold) == 0
        && java.util.Objects.equals(o.window, window)
        && o.minSamples == minSamples
        && java.util.Objects.equals(o.evaluateEvery, evaluateEvery);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(p99Threshold, errorRateThreshold, window, minSamples, evaluateEvery);
  }

  @Override
  public String toString() {
    return "AlertPolicy[p99Threshold=" + p99Threshold
        + ", errorRateThreshold=" + errorRateThreshold
        + ", window=" + window
        + ", minSamples=" + minSamples
        + ", evaluateEvery=" + evaluateEvery + "]";
  }
}

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
 * @param p99Threshold alert when the window's p99 latency is above this; null for no latency alert
 * @param errorRateThreshold alert when the window's error rate (0 to 1) is above this; NaN for none
 * @param window how far back the window reaches
 * @param minSamples calls needed in the window to decide
 * @param evaluateEvery how often to evaluate
 */
public record AlertPolicy(Duration p99Threshold, double errorRateThreshold, Duration window, int minSamples,
    Duration evaluateEvery) {

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
  public AlertPolicy {
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
}

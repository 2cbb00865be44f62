package dev.swell.abtest;

import dev.swell.abtest.stats.Summary;
import java.util.Map;

/**
 * What an experiment recorded about one variant.
 *
 * @param name the variant
 * @param role control, challenger or shadow
 * @param version the version it serves now
 * @param share its share of units now (the control: what the challengers leave); for a shadow,
 *     the fraction of requests copied
 * @param requests requests served (for a shadow: copies run)
 * @param errors of those, how many failed in the model
 * @param latencyMicros latency of the successful ones, microseconds
 * @param metrics outcome metrics recorded for its units
 * @param shadowDropped copies dropped because the shadow executor was busy (shadows only)
 * @param shadowIdentical copies whose outputs equalled the served answer bit for bit (shadows only)
 */
public record VariantReport(String name, Variant.Role role, String version, double share, long requests,
    long errors, Summary.Snapshot latencyMicros, Map<String, Summary.Snapshot> metrics, long shadowDropped,
    long shadowIdentical) {

  /**
   * Copies the metrics.
   *
   * @param name name
   * @param role role
   * @param version version
   * @param share share
   * @param requests requests
   * @param errors errors
   * @param latencyMicros latency
   * @param metrics metrics
   * @param shadowDropped dropped copies
   * @param shadowIdentical identical copies
   */
  public VariantReport {
    metrics = Map.copyOf(metrics);
  }

  /**
   * Returns the error rate.
   *
   * @return errors / requests, or 0 without requests
   */
  public double errorRate() {
    return requests == 0 ? 0 : (double) errors / requests;
  }
}

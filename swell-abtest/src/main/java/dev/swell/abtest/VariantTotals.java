package dev.swell.abtest;

import dev.swell.abtest.stats.LatencyHistogram;
import dev.swell.abtest.stats.Summary;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What was recorded about one variant, by one replica or summed over all of them: what a decision
 * is made on. Counts add and summaries merge exactly, so totals over replicas equal what one
 * process serving every request would have recorded.
 *
 * @param requests requests it served in the experiment (a shadow: copies run)
 * @param errors of those, failures in the model
 * @param cached of those, answers from the result cache (not in the latency)
 * @param latencyMicros latency of the model calls that succeeded, microseconds
 * @param latencyHistogram the same latencies in log buckets (bucket index to count), for p99
 * @param metrics outcome metrics recorded for it
 * @param shadowDropped shadow copies dropped because the shadow executor was busy
 * @param shadowIdentical shadow copies whose outputs equalled the served answer bit for bit
 */
public record VariantTotals(long requests, long errors, long cached, Summary.Snapshot latencyMicros,
    Map<Integer, Long> latencyHistogram, Map<String, Summary.Snapshot> metrics, long shadowDropped,
    long shadowIdentical) {

  /** Nothing recorded. */
  public static final VariantTotals EMPTY = new VariantTotals(0, 0, 0, new Summary.Snapshot(0, 0, 0), Map.of(),
      Map.of(), 0, 0);

  /**
   * Validates and copies.
   *
   * @param requests requests
   * @param errors errors
   * @param cached cached
   * @param latencyMicros latency
   * @param latencyHistogram histogram
   * @param metrics metrics
   * @param shadowDropped dropped
   * @param shadowIdentical identical
   */
  public VariantTotals {
    Objects.requireNonNull(latencyMicros, "latencyMicros");
    latencyHistogram = Map.copyOf(latencyHistogram);
    metrics = Map.copyOf(metrics);
    if (requests < 0 || errors < 0 || errors > requests || cached < 0 || shadowDropped < 0 || shadowIdentical < 0) {
      throw new IllegalArgumentException("inconsistent counts: requests " + requests + ", errors " + errors
          + ", cached " + cached);
    }
  }

  /**
   * Adds another replica's totals.
   *
   * @param o the other totals
   * @return the sum
   */
  public VariantTotals plus(VariantTotals o) {
    Summary lat = Summary.of(latencyMicros);
    lat.merge(o.latencyMicros);
    Map<Integer, Long> hist = new HashMap<>(latencyHistogram);
    o.latencyHistogram.forEach((b, c) -> hist.merge(b, c, Long::sum));
    Map<String, Summary.Snapshot> m = new HashMap<>(metrics);
    o.metrics.forEach((k, v) -> m.merge(k, v, (x, y) -> {
      Summary s = Summary.of(x);
      s.merge(y);
      return s.snapshot();
    }));
    return new VariantTotals(requests + o.requests, errors + o.errors, cached + o.cached, lat.snapshot(), hist, m,
        shadowDropped + o.shadowDropped, shadowIdentical + o.shadowIdentical);
  }

  /**
   * Returns the error rate.
   *
   * @return errors / requests, 0 without requests
   */
  public double errorRate() {
    return requests == 0 ? 0 : (double) errors / requests;
  }

  /**
   * Returns a latency quantile of the model calls.
   *
   * @param q such as 0.99
   * @return microseconds (upper edge of a 2% bucket), NaN without calls
   */
  public double latencyQuantile(double q) {
    LatencyHistogram h = new LatencyHistogram();
    h.merge(latencyHistogram);
    return h.quantile(q);
  }

  /**
   * Returns the summary of a metric, {@link DecisionPolicy#LATENCY} included.
   *
   * @param metric the metric
   * @return its summary, empty if nothing was recorded
   */
  public Summary.Snapshot metric(String metric) {
    if (metric.equals(DecisionPolicy.LATENCY)) {
      return latencyMicros;
    }
    return metrics.getOrDefault(metric, new Summary.Snapshot(0, 0, 0));
  }
}

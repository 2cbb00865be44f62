package dev.swell.registry;

import java.util.function.Predicate;

/**
 * Ready-made manifest filters for {@link FileModelRegistry#find}: by tag and by metric threshold.
 * Combine them with {@link Predicate#and}.
 *
 * <pre>{@code
 * registry.find("fraud", Filters.tag("team", "risk").and(Filters.metricAtLeast("auc", 0.9)));
 * }</pre>
 */
public final class Filters {

  private Filters() {}

  /**
   * Keeps manifests with a tag of this value.
   *
   * @param key the tag's key
   * @param value its value
   * @return the filter
   */
  public static Predicate<Manifest> tag(String key, String value) {
    return m -> value.equals(m.tags().get(key));
  }

  /**
   * Keeps manifests that have a metric at or above a threshold.
   *
   * @param metric the metric
   * @param min the threshold
   * @return the filter
   */
  public static Predicate<Manifest> metricAtLeast(String metric, double min) {
    return m -> m.metric(metric).map(v -> v >= min).orElse(false);
  }

  /**
   * Keeps manifests that have a metric at or below a threshold.
   *
   * @param metric the metric
   * @param max the threshold
   * @return the filter
   */
  public static Predicate<Manifest> metricAtMost(String metric, double max) {
    return m -> m.metric(metric).map(v -> v <= max).orElse(false);
  }
}

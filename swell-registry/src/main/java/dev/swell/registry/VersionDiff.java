package dev.swell.registry;

import java.util.List;
import java.util.Map;

/**
 * How two versions of a model differ: metric deltas, tag changes and changed files.
 *
 * @param model the model
 * @param from the first version
 * @param to the second version
 * @param metricDeltas for each metric present in both, {@code to - from}
 * @param metricsOnlyInFrom metrics only the first version has
 * @param metricsOnlyInTo metrics only the second version has
 * @param tagChanges tags whose value differs, as {@code [fromValue, toValue]} (null when absent)
 * @param addedFiles files only the second version has
 * @param removedFiles files only the first version has
 * @param changedFiles files both have with different content
 */
public record VersionDiff(
    String model,
    SemVer from,
    SemVer to,
    Map<String, Double> metricDeltas,
    List<String> metricsOnlyInFrom,
    List<String> metricsOnlyInTo,
    Map<String, List<String>> tagChanges,
    List<String> addedFiles,
    List<String> removedFiles,
    List<String> changedFiles) {}

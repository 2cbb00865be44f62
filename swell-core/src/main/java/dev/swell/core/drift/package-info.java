/**
 * Input-drift monitoring: compares a sliding window of live numeric inputs, per feature, with a
 * reference distribution by the Population Stability Index and the two-sample Kolmogorov–Smirnov
 * statistic, and tells listeners when a feature drifts or recovers.
 */
package dev.swell.core.drift;

/**
 * The statistics an experiment decides with, as GrowthBook's gbstats computes them, on Apache
 * Commons Statistics' distributions: running summaries ({@link dev.swell.abtest.stats.Summary}),
 * fixed-horizon tests (Welch, two proportions, chi-square goodness of fit), always-valid sequential
 * intervals, Thompson sampling and a mergeable latency histogram.
 */
package dev.swell.abtest.stats;

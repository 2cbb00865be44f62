/**
 * The statistics an experiment decides with: running summaries of samples, Welch's two-sample t
 * test for means and the two-proportion z test for rates, with the distribution functions they
 * need. Plain Java, no dependency.
 */
package dev.swell.abtest.stats;

/**
 * Experiments over model versions: an {@link dev.swell.abtest.Experiment} splits one model's
 * traffic between a control and challengers by a deterministic, sticky hash of a unit key, copies
 * traffic to shadow variants, records per-variant outcomes, tests whether a challenger is better,
 * and promotes it through the registry or rolls it back.
 */
package dev.swell.abtest;

/**
 * Experiments over model versions: an {@link dev.swell.abtest.Experiment} is stored in the
 * registry and served alike by every replica; it assigns units as GrowthBook does, serves each
 * with its variant, copies traffic to shadows, credits outcomes to the variant that served, and a
 * decision loop in one replica at a time promotes the winner through the registry's alias or rolls
 * a challenger back.
 */
package dev.swell.abtest;

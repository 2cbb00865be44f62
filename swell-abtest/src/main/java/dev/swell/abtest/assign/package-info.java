/**
 * Which variation a unit of an experiment gets: GrowthBook's hashing and bucket functions, bit for
 * bit ({@link dev.swell.abtest.assign.GrowthBook}), and the immutable {@link
 * dev.swell.abtest.assign.Allocation} that experiments use, laid out as GrowthBook lays them out
 * and ramped so that units only move between the control and the ramped challenger.
 */
package dev.swell.abtest.assign;

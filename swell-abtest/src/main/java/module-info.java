/**
 * Experiments over Swell predictors: definitions stored in the registry, sticky assignment
 * consistent with GrowthBook ({@code dev.swell.abtest.assign}), sequential statistics and bandits
 * ({@code dev.swell.abtest.stats}), decisions that promote or roll back.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.swell.abtest {
  requires transitive dev.swell.core;
  requires transitive dev.swell.registry;
  requires com.fasterxml.jackson.databind;
  requires org.apache.commons.statistics.distribution;
  requires org.apache.commons.rng.api;
  requires org.apache.commons.rng.simple;
  requires org.apache.commons.rng.sampling;
  requires org.slf4j;

  exports dev.swell.abtest;
  exports dev.swell.abtest.assign;
  exports dev.swell.abtest.stats;
}

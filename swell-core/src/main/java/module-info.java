/**
 * Swell's serving runtime: {@code dev.swell.core.Swell} finds backends with
 * {@link java.util.ServiceLoader} ({@code uses dev.swell.api.spi.BackendProvider}), loads, warms,
 * swaps and serves versions. Exported: the runtime and its policies, batching and caching
 * policies, drift monitoring, lifecycle events. The batcher, the result cache and the rest of the
 * machinery are package-private.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.swell.core {
  requires transitive dev.swell.api;
  requires transitive micrometer.core; // MeterRegistry and MeterBinder are in the runtime's API
  requires com.github.benmanes.caffeine;
  requires org.slf4j;
  requires java.management; // native heap trim and resident memory readings

  exports dev.swell.core;
  exports dev.swell.core.batch;
  exports dev.swell.core.cache;
  exports dev.swell.core.drift;
  exports dev.swell.core.event;

  uses dev.swell.api.spi.BackendProvider;
}

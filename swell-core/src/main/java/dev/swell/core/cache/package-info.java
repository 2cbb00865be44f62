/**
 * Result caching: {@link dev.swell.core.cache.CachePolicy} turns it on in a runtime
 * ({@code Swell.builder().resultCache(...)}), which then answers bit-identical repeated requests from a
 * bounded Caffeine cache, comparing inputs in full.
 */
package dev.swell.core.cache;

/**
 * Result caching: {@link dev.swell.core.cache.CachePolicy} turns it on in a runtime, and
 * {@link dev.swell.core.cache.ResultCache} answers bit-identical repeated requests from a bounded
 * Caffeine cache, comparing inputs in full.
 */
package dev.swell.core.cache;

/**
 * Dynamic batching: {@link dev.swell.core.batch.BatchPolicy} turns it on in a runtime
 * ({@code Swell.builder().batching(...)}), which then joins concurrent requests to a loaded
 * version into model calls behind a bounded queue.
 */
package dev.swell.core.batch;

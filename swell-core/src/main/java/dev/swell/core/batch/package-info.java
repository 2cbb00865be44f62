/**
 * Dynamic batching: {@link dev.swell.core.batch.BatchPolicy} turns it on in a runtime,
 * {@link dev.swell.core.batch.DynamicBatcher} joins concurrent requests into model calls behind a
 * bounded queue, and {@link dev.swell.core.batch.TensorBatching} joins and splits tensors.
 */
package dev.swell.core.batch;

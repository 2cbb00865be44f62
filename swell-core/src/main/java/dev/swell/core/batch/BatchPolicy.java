package dev.swell.core.batch;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Turns on dynamic batching ({@code Swell.builder().batching(...)}): concurrent requests to one
 * loaded version wait in a bounded queue, and {@code workers} batching threads per version each
 * join those whose inputs agree in every dimension but the first into one model call of up to
 * {@code maxRows} rows, then hand each caller its slice of the outputs. (One worker would leave
 * all but one core idle when each model call runs on one thread.) Under load this trades a little latency
 * for much more throughput; with nothing else queued a request runs at once (unless
 * {@code maxDelay} asks to wait for company). A full queue rejects at once with
 * {@link dev.swell.api.OverloadException}: memory stays bounded.
 *
 * <pre>{@code
 * Swell.builder().batching(BatchPolicy.maxRows(32).maxDelay(Duration.ofMillis(2)).queueCapacity(512))
 * }</pre>
 *
 * <p>Immutable. A class rather than a record, so that options can be added without changing a
 * public constructor.
 */
public final class BatchPolicy {

  private final int maxRows;
  private final Duration maxDelay;
  private final int queueCapacity;
  private final int workers;
  private final Set<String> models;
  private final long maxBytes;

  /**
   * Validates and copies.
   *
   * @param maxRows at least 2
   * @param maxDelay zero or positive
   * @param queueCapacity at least 1
   * @param workers at least 1
   * @param models model names, empty for all
   * @param maxBytes the most input bytes in one joined call (strings count two bytes a character), at least 1
   */
  private BatchPolicy(int maxRows, Duration maxDelay, int queueCapacity, int workers, Set<String> models, long maxBytes) {
    if (maxRows < 2) {
      throw new IllegalArgumentException("maxRows must be at least 2, was " + maxRows);
    }
    Objects.requireNonNull(maxDelay, "maxDelay");
    if (maxDelay.isNegative()) {
      throw new IllegalArgumentException("maxDelay must not be negative, was " + maxDelay);
    }
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be at least 1, was " + queueCapacity);
    }
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be at least 1, was " + workers);
    }
    models = Set.copyOf(Objects.requireNonNull(models, "models"));
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be at least 1, was " + maxBytes);
    }
    this.maxRows = maxRows;
    this.maxDelay = maxDelay;
    this.queueCapacity = queueCapacity;
    this.workers = workers;
    this.models = models;
    this.maxBytes = maxBytes;
  }

  /**
   * Returns a copy whose joined calls hold at most this many input bytes (default: no limit
   * beyond {@code maxRows}); a request that alone is larger runs by itself.
   *
   * @param bytes at least 1
   * @return the policy
   */
  public BatchPolicy maxBytes(long bytes) {
    return new BatchPolicy(maxRows, maxDelay, queueCapacity, workers, models, bytes);
  }

  /**
   * Batches up to {@code rows} rows a call, without waiting, with a queue of 1,024 requests and
   * one batching thread per available processor.
   *
   * @param rows at least 2
   * @return the policy
   */
  public static BatchPolicy maxRows(int rows) {
    return new BatchPolicy(rows, Duration.ZERO, 1024, Runtime.getRuntime().availableProcessors(), Set.of(), Long.MAX_VALUE);
  }

  /**
   * Returns a copy with another number of batching threads per loaded version.
   *
   * @param threads at least 1
   * @return the policy
   */
  public BatchPolicy workers(int threads) {
    return new BatchPolicy(maxRows, maxDelay, queueCapacity, threads, models, maxBytes);
  }

  /**
   * Returns a copy whose batches wait this long for more requests after the first.
   *
   * @param delay zero or positive
   * @return the policy
   */
  public BatchPolicy maxDelay(Duration delay) {
    return new BatchPolicy(maxRows, delay, queueCapacity, workers, models, maxBytes);
  }

  /**
   * Returns a copy with another queue bound.
   *
   * @param requests at least 1
   * @return the policy
   */
  public BatchPolicy queueCapacity(int requests) {
    return new BatchPolicy(maxRows, maxDelay, requests, workers, models, maxBytes);
  }

  /**
   * Returns a copy that batches only these models.
   *
   * @param names model names
   * @return the policy
   */
  public BatchPolicy onlyModels(String... names) {
    return new BatchPolicy(maxRows, maxDelay, queueCapacity, workers, Set.of(names), maxBytes);
  }

  /**
   * Returns whether a model is batched.
   *
   * @param model the model's name
   * @return whether it is batched
   */
  public boolean batches(String model) {
    return models.isEmpty() || models.contains(model);
  }

  /**
   * Returns the {@code maxRows}: the most rows (first dimension) in one model call.
   *
   * @return the most rows (first dimension) in one model call
   */
  public int maxRows() {
    return maxRows;
  }

  /**
   * Returns the {@code maxDelay}: how long the first request of a batch waits for more, zero for not at all.
   *
   * @return how long the first request of a batch waits for more, zero for not at all
   */
  public Duration maxDelay() {
    return maxDelay;
  }

  /**
   * Returns the {@code queueCapacity}: the most requests waiting per loaded version.
   *
   * @return the most requests waiting per loaded version
   */
  public int queueCapacity() {
    return queueCapacity;
  }

  /**
   * Returns the {@code workers}: batching threads per loaded version, each making one model call at a time.
   *
   * @return batching threads per loaded version, each making one model call at a time
   */
  public int workers() {
    return workers;
  }

  /**
   * Returns the {@code models}: the models batched, or empty for all.
   *
   * @return the models batched, or empty for all
   */
  public Set<String> models() {
    return models;
  }

  /**
   * Returns the most input bytes in one joined call (strings count two bytes a character).
   *
   * @return bytes, at least 1
   */
  public long maxBytes() {
    return maxBytes;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof BatchPolicy o && o.maxRows == maxRows
        && java.util.Objects.equals(o.maxDelay, maxDelay)
        && o.queueCapacity == queueCapacity
        && o.workers == workers
        && java.util.Objects.equals(o.models, models)
        && o.maxBytes == maxBytes;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(maxRows, maxDelay, queueCapacity, workers, models, maxBytes);
  }

  @Override
  public String toString() {
    return "BatchPolicy[maxRows=" + maxRows
        + ", maxDelay=" + maxDelay
        + ", queueCapacity=" + queueCapacity
        + ", workers=" + workers
        + ", models=" + models
        + ", maxBytes=" + maxBytes + "]";
  }
}

package dev.swell.core.batch;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Turns on dynamic batching ({@code Swell.builder().batching(...)}), by flat combining: there are
 * no batching threads. A request that finds its version idle (fewer than {@code workers} calls
 * running, nothing queued) runs at once on the caller's thread, as it would unbatched; one that
 * finds it busy waits in a bounded queue, and the next caller to get a call slot joins the queued
 * requests whose inputs agree in every dimension but the first (or but the sequence axis, with
 * {@link #padding}) into one model call of up to {@code maxRows} rows, then hands each caller its
 * slice of the outputs. An idle model pays nothing; a busy one forms batches as large as its
 * backlog. {@code maxDelay} makes the first request of a batch wait for company (useful when a
 * call costs much more than waiting). A full queue rejects at once with
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
  private final SequencePadding padding; // null: none
  private final boolean adaptive;

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
  private BatchPolicy(int maxRows, Duration maxDelay, int queueCapacity, int workers, Set<String> models, long maxBytes,
      SequencePadding padding, boolean adaptive) {
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
    this.padding = padding;
    this.adaptive = adaptive;
  }

  /**
   * Returns a copy whose joined calls hold at most this many input bytes (default: no limit
   * beyond {@code maxRows}); a request that alone is larger runs by itself.
   *
   * @param bytes at least 1
   * @return the policy
   */
  public BatchPolicy maxBytes(long bytes) {
    return new BatchPolicy(maxRows, maxDelay, queueCapacity, workers, models, bytes, padding, adaptive);
  }

  /**
   * Batches up to {@code rows} rows a call, without waiting, with a queue of 1,024 requests and
   * as many calls at once per version as there are available processors.
   *
   * @param rows at least 2
   * @return the policy
   */
  public static BatchPolicy maxRows(int rows) {
    return new BatchPolicy(rows, Duration.ZERO, 1024, Runtime.getRuntime().availableProcessors(), Set.of(), Long.MAX_VALUE, null, true);
  }

  /**
   * Returns a copy with another number of model calls at once per loaded version (each run by a
   * caller's thread; with one intra-op thread a call, the number of cores keeps them all busy).
   *
   * @param threads at least 1
   * @return the policy
   */
  public BatchPolicy workers(int threads) {
    return new BatchPolicy(maxRows, maxDelay, queueCapacity, threads, models, maxBytes, padding, adaptive);
  }

  /**
   * Returns a copy whose batches wait this long for more requests after the first.
   *
   * @param delay zero or positive
   * @return the policy
   */
  public BatchPolicy maxDelay(Duration delay) {
    return new BatchPolicy(maxRows, delay, queueCapacity, workers, models, maxBytes, padding, adaptive);
  }

  /**
   * Returns a copy with another queue bound.
   *
   * @param requests at least 1
   * @return the policy
   */
  public BatchPolicy queueCapacity(int requests) {
    return new BatchPolicy(maxRows, maxDelay, requests, workers, models, maxBytes, padding, adaptive);
  }

  /**
   * Returns a copy that batches only these models.
   *
   * @param names model names
   * @return the policy
   */
  public BatchPolicy onlyModels(String... names) {
    return new BatchPolicy(maxRows, maxDelay, queueCapacity, workers, Set.of(names), maxBytes, padding, adaptive);
  }

  /**
   * Returns a copy that pads sequence inputs so that requests of different lengths join (see
   * {@link SequencePadding}; default: requests join only when every dimension but the first agrees).
   *
   * @param sequences the padding
   * @return the policy
   */
  public BatchPolicy padding(SequencePadding sequences) {
    return new BatchPolicy(maxRows, maxDelay, queueCapacity, workers, models, maxBytes,
        java.util.Objects.requireNonNull(sequences, "sequences"), adaptive);
  }

  /**
   * Returns a copy that adapts (the default) or always batches. Adapting, each version measures
   * the rows a second it serves batching and running every request directly on the same traffic
   * (a 100 ms probe of the other way after each 1 to 16 s) and serves the faster way, so batching
   * never costs throughput where it cannot help (a model whose call costs little more than handing
   * a request between threads). {@code false} always batches (a GPU, say, where one large call is
   * what the device needs).
   *
   * @param adapt whether to adapt
   * @return the policy
   */
  public BatchPolicy adaptive(boolean adapt) {
    return new BatchPolicy(maxRows, maxDelay, queueCapacity, workers, models, maxBytes, padding, adapt);
  }

  /**
   * Returns whether batching adapts to the traffic (see {@link #adaptive(boolean)}).
   *
   * @return whether it adapts
   */
  public boolean adaptive() {
    return adaptive;
  }

  /**
   * Returns the sequence padding, if any.
   *
   * @return the padding, or empty
   */
  public java.util.Optional<SequencePadding> padding() {
    return java.util.Optional.ofNullable(padding);
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
   * Returns the {@code workers}: model calls at once per loaded version.
   *
   * @return model calls at once per loaded version
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
        && o.maxBytes == maxBytes
        && java.util.Objects.equals(o.padding, padding)
        && o.adaptive == adaptive;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(maxRows, maxDelay, queueCapacity, workers, models, maxBytes, padding, adaptive);
  }

  @Override
  public String toString() {
    return "BatchPolicy[maxRows=" + maxRows
        + ", maxDelay=" + maxDelay
        + ", queueCapacity=" + queueCapacity
        + ", workers=" + workers
        + ", models=" + models
        + ", maxBytes=" + maxBytes
        + (padding == null ? "" : ", padding=" + padding)
        + ", adaptive=" + adaptive + "]";
  }
}

package dev.swell.core;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * The runtime's meters. They live in a {@link CompositeMeterRegistry} of the runtime's own, into
 * which the host binds any registries (at build time, or later through {@code Swell.bindTo}, as a
 * {@code MeterBinder}); until one is bound the request path records nothing (one volatile read).
 *
 * <ul>
 *   <li>{@code swell.predictions} (timer): model, version, outcome ({@code success},
 *       {@code invalid_input}, {@code error}), exception (simple class name, {@code none});
 *   <li>{@code swell.model.loads} (timer): model, outcome — time to load and warm a version;
 *   <li>{@code swell.model.swaps} (counter): model;
 *   <li>{@code swell.cache.requests} (counter): model, result ({@code hit}, {@code miss});
 *       {@code swell.cache.size} (gauge, bytes) and {@code swell.cache.entries} (gauge) — with a
 *       result cache;
 *   <li>{@code swell.batch.rows} (distribution summary): model — rows per batched model call;
 *   <li>{@code swell.model.evictions} (counter): model — versions unloaded to respect the limit of
 *       resident versions, or on request;
 *   <li>{@code swell.models.resident} (gauge): versions loaded now;
 *   <li>{@code swell.model.serving} (gauge): model, version — how many predictors it serves now
 *       (0 once swapped out).
 * </ul>
 *
 * <p>A version's meters stay registered for the runtime's life: a version swapped out and back
 * continues its counts instead of restarting from zero.
 */
final class ModelMetrics {

  private final CompositeMeterRegistry registry;
  private volatile boolean active;
  private final java.util.concurrent.atomic.AtomicInteger resident = new java.util.concurrent.atomic.AtomicInteger();
  /** Per "model@version", how many predictors it serves. */
  private final java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> serving =
      new java.util.concurrent.ConcurrentHashMap<>();

  ModelMetrics(MeterRegistry initial) {
    this.registry = new CompositeMeterRegistry(initial == null ? Clock.SYSTEM : initial.config().clock());
    if (initial != null) {
      bindTo(initial); // before any meter: Micrometer warns when a registry joins a composite late
    }
    Gauge.builder("swell.models.resident", resident, java.util.concurrent.atomic.AtomicInteger::get)
        .description("model versions loaded").register(registry);
  }

  /** Adds a registry: every meter, present and future, is published to it too. */
  void bindTo(MeterRegistry target) {
    registry.add(target);
    active = true;
  }

  /** Whether any registry is bound (so that the request path records). */
  boolean active() {
    return active;
  }

  MeterRegistry registry() {
    return registry;
  }

  int resident() {
    return resident.get();
  }

  /** A version's copy was loaded. */
  void loaded(String model, String version) {
    resident.incrementAndGet();
  }

  /** A version's copy was closed. */
  void closed(String model, String version) {
    resident.decrementAndGet();
  }

  long now() {
    return registry.config().clock().monotonicTime();
  }

  /** The timer of successful predictions of one version, looked up once. */
  Timer successTimer(String model, String version) {
    return predictions(model, version, "success", "none");
  }

  private Timer predictions(String model, String version, String outcome, String exception) {
    return Timer.builder("swell.predictions").description("predictions served")
        .tags(Tags.of("model", model, "version", version, "outcome", outcome, "exception", exception))
        .register(registry);
  }

  void recordFailure(String model, String version, long startNanos, RuntimeException e) {
    String outcome = e instanceof dev.swell.api.InvalidInputException ? "invalid_input" : "error";
    predictions(model, version, outcome, e.getClass().getSimpleName())
        .record(now() - startNanos, TimeUnit.NANOSECONDS);
  }

  void recordLoad(String model, boolean success, long nanos) {
    Timer.builder("swell.model.loads").description("versions loaded and warmed up")
        .tags("model", model, "outcome", success ? "success" : "failure")
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  void recordSwap(String model) {
    Counter.builder("swell.model.swaps").description("versions swapped in").tag("model", model)
        .register(registry).increment();
  }

  /** The counter of result-cache lookups of a model with one result, {@code hit} or {@code miss}. */
  Counter cacheRequests(String model, String result) {
    return Counter.builder("swell.cache.requests").description("result-cache lookups")
        .tags("model", model, "result", result).register(registry);
  }

  /** Records the rows of each model call the batcher makes. */
  java.util.function.LongConsumer batchRows(String model) {
    io.micrometer.core.instrument.DistributionSummary rows = io.micrometer.core.instrument.DistributionSummary
        .builder("swell.batch.rows").description("rows per model call made by dynamic batching")
        .tag("model", model).register(registry);
    return n -> {
      if (active) {
        rows.record(n);
      }
    };
  }

  /** Publishes the result cache's size. */
  void cacheGauges(ResultCache cache) {
    Gauge.builder("swell.cache.size", cache, ResultCache::weightedBytes).baseUnit("bytes")
        .description("bytes of inputs and outputs in the result cache").register(registry);
    Gauge.builder("swell.cache.entries", cache, ResultCache::entries)
        .description("entries in the result cache").register(registry);
  }

  void recordEviction(String model) {
    Counter.builder("swell.model.evictions").description("versions unloaded to respect the limit of resident versions, or on request")
        .tag("model", model).register(registry).increment();
  }

  /** A predictor starts (true) or stops (false) serving a version. */
  void serving(String model, String version, boolean starts) {
    java.util.concurrent.atomic.AtomicInteger n = serving.computeIfAbsent(model + "@" + version, k -> {
      java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
      Gauge.builder("swell.model.serving", count, java.util.concurrent.atomic.AtomicInteger::get)
          .description("predictors the version serves").tags("model", model, "version", version).register(registry);
      return count;
    });
    if (starts) {
      n.incrementAndGet();
    } else {
      n.decrementAndGet();
    }
  }
}

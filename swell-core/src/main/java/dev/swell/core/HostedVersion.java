package dev.swell.core;

import dev.swell.api.BackendException;
import dev.swell.api.DType;
import dev.swell.api.Tensor;
import dev.swell.api.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import java.util.ArrayList;
import java.util.List;
import dev.swell.api.Signature;
import dev.swell.api.SwellException;
import dev.swell.api.spi.LoadedModel;
import dev.swell.api.OverloadException;
import dev.swell.core.batch.BatchPolicy;
import dev.swell.core.batch.DynamicBatcher;
import dev.swell.core.batch.TensorBatching;
import dev.swell.core.cache.ResultCache;
import java.util.concurrent.ThreadFactory;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.core.drift.DriftMonitor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded version with its validator and an in-flight count, so that closing it waits for the
 * calls already running (drain) and refuses new ones. A version can also be unloaded by the
 * runtime ({@link #evict}) while predictors still hold it: they see {@link Retired}, find
 * {@link #isEvicted()} true and load the version again.
 */
final class HostedVersion {

  private static final Logger log = LoggerFactory.getLogger(HostedVersion.class);

  /** Loads a version and warms it up: a first load, or one the runtime unloaded, loaded again. */
  interface WarmLoader {
    /**
     * @param artifact the version
     * @param recent a recent request to warm up with, or null
     */
    HostedVersion load(ModelArtifact artifact, NamedTensors recent);
  }

  private final ModelArtifact artifact;
  private final String model;
  private final String version;
  private final LoadedModel loaded;
  private final InputValidator validator;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closing;
  private volatile boolean evicted;
  /** True from loading until {@link #warmUp} ends: a residency limit does not unload it meanwhile. */
  private volatile boolean warming = true;
  private boolean closed; // guarded by this
  private final Residency residency; // null for a version outside a runtime (tests)
  private final boolean tracksUse;
  /** When a call last ran, for least-recently-used unloading; written racily, read roughly. */
  private long lastUsedNanos = System.nanoTime();

  private final ModelMetrics metrics;
  /** In the runtime's composite registry: records into whatever registries are bound to it. */
  private final io.micrometer.core.instrument.Timer successTimer;
  private final long loadedAtMillis = System.currentTimeMillis();
  private volatile long loadNanos; // loading, then warm-up, added as they finish

  private final AlertMonitor alerts; // null without an alert policy
  private final DriftMonitor[] drift; // null without a drift policy or monitored inputs
  private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();
  /** Identifies this loaded copy in the result cache: a reload starts with an empty cache. */
  private final long id = IDS.incrementAndGet();
  private final ResultCache cache; // null when this model's results are not cached
  private final DynamicBatcher batcher; // null when this model is not batched
  private final int maxInFlight; // 0: no limit
  private final io.micrometer.core.instrument.Counter cacheHits;
  private final io.micrometer.core.instrument.Counter cacheMisses;

  HostedVersion(ModelArtifact artifact, LoadedModel loaded, long maxInputElements,
      ModelMetrics metrics, AlertMonitor alerts, Residency residency, DriftMonitor[] drift, ResultCache cache,
      BatchPolicy batching, ThreadFactory batchThreads, int maxInFlight) {
    this.maxInFlight = maxInFlight;
    this.drift = drift == null || drift.length == 0 ? null : drift;
    this.cache = cache;
    this.cacheHits = cache == null ? null : metrics.cacheRequests(artifact.name(), "hit");
    this.cacheMisses = cache == null ? null : metrics.cacheRequests(artifact.name(), "miss");
    this.alerts = alerts;
    this.artifact = artifact;
    this.model = artifact.name();
    this.version = artifact.version();
    this.residency = residency;
    this.tracksUse = residency != null && residency.limited();
    this.loaded = loaded;
    this.validator = new InputValidator(model, version, loaded.signature(), maxInputElements);
    this.metrics = metrics;
    this.successTimer = metrics.successTimer(model, version);
    this.batcher = batching == null || !batchable(loaded.signature()) ? null
        : new DynamicBatcher(model, version, this::runLoaded, batching, batchThreads, metrics.batchRows(model));
  }

  ModelArtifact artifact() {
    return artifact;
  }

  long lastUsedNanos() {
    return lastUsedNanos;
  }

  /** Whether the runtime unloaded this version to respect its residency limit, or on request. */
  boolean isEvicted() {
    return evicted;
  }

  /** Whether the version refuses new calls (closing, closed or evicted). */
  boolean isClosing() {
    return closing;
  }

  /**
   * Refuses new calls at once, marking the version evicted so that its predictors load it again;
   * the caller then closes it (which waits for running calls) off the request path.
   */
  void evict() {
    evicted = true;
    closing = true;
  }

  String device() {
    return loaded.device();
  }

  long loadedAtMillis() {
    return loadedAtMillis;
  }

  /** Time spent loading and warming up this version. */
  java.time.Duration loadTime() {
    return java.time.Duration.ofNanos(loadNanos);
  }

  void addLoadTime(long nanos) {
    loadNanos += nanos; // written by the one thread that loads and warms it
  }

  /**
   * Validates and runs one request, recording it in the metrics. A {@link Retired} version records
   * nothing (the caller retries elsewhere).
   */
  Prediction predict(NamedTensors inputs) {
    boolean timed = metrics.active();
    if (!timed && alerts == null && cache == null) {
      validator.validate(inputs);
      if (drift != null) {
        observeDrift(inputs);
      }
      return Prediction.of(run(inputs), model, version);
    }
    return predictObserved(inputs, timed);
  }

  /** {@link #predict} with metrics, alerts or the cache: kept apart so the plain path stays small. */
  private Prediction predictObserved(NamedTensors inputs, boolean timed) {
    long start = timed ? metrics.now() : 0;
    long alertStart = alerts == null ? 0 : alerts.now();
    try {
      validator.validate(inputs);
      observeDrift(inputs);
      if (cache != null) {
        NamedTensors hit = cache.get(id, inputs);
        if (hit != null && !closing) {
          if (timed) {
            cacheHits.increment();
          }
          return Prediction.fromCache(hit, model, version); // not a model call: neither timed nor in the alert window
        }
        if (timed) {
          cacheMisses.increment();
        }
      }
      NamedTensors out = run(inputs);
      if (cache != null) {
        cache.put(id, inputs, out);
      }
      record(1, timed, start, alertStart, null);
      return Prediction.of(out, model, version);
    } catch (Retired retired) {
      throw retired;
    } catch (RuntimeException e) {
      record(1, timed, start, alertStart, e);
      throw e;
    }
  }

  /**
   * Records {@code calls} calls that started together and ended now, in the prediction timers
   * and the alert window; a failure, if any, is recorded for each (invalid input is not an alert
   * error: it is the caller's).
   */
  private void record(int calls, boolean timed, long start, long alertStart, RuntimeException failure) {
    long elapsed = timed && failure == null ? metrics.now() - start : 0;
    for (int i = 0; i < calls; i++) {
      if (timed) {
        if (failure == null) {
          successTimer.record(elapsed, TimeUnit.NANOSECONDS);
        } else {
          metrics.recordFailure(model, version, start, failure);
        }
      }
      if (alerts != null && !(failure instanceof dev.swell.api.InvalidInputException)) {
        alerts.record(alertStart, failure != null);
      }
    }
  }

  /**
   * Validates every request (none runs if one is invalid), joins them along the first dimension
   * into one call when their other dimensions agree, and splits the outputs back; otherwise, or
   * when the outputs do not follow the batch dimension, runs them one by one.
   */
  List<Prediction> predictBatch(List<NamedTensors> requests) {
    boolean timed = metrics.active();
    if (!timed && alerts == null) {
      return runBatch(requests);
    }
    long start = timed ? metrics.now() : 0;
    long alertStart = alerts == null ? 0 : alerts.now();
    int n = requests == null ? 0 : requests.size();
    try {
      List<Prediction> out = runBatch(requests);
      record(n, timed, start, alertStart, null); // each request waited for the whole batch
      return out;
    } catch (Retired retired) {
      throw retired;
    } catch (RuntimeException e) {
      record(Math.max(n, 1), timed, start, alertStart, e);
      throw e;
    }
  }

  private List<Prediction> runBatch(List<NamedTensors> requests) {
    if (requests == null || requests.isEmpty()) {
      throw new dev.swell.api.InvalidInputException(model, version, null,
          "at least one request", requests == null ? "null" : "an empty list of requests");
    }
    for (NamedTensors r : requests) {
      validator.validate(r);
    }
    for (NamedTensors r : requests) {
      observeDrift(r);
    }
    List<Prediction> out = new ArrayList<>(requests.size());
    if (requests.size() > 1 && TensorBatching.joinable(requests)) {
      long[] rows = new long[requests.size()];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = requests.get(i).tensors().get(0).dim(0);
      }
      List<NamedTensors> parts = TensorBatching.split(run(TensorBatching.join(requests)), rows);
      if (parts != null) {
        for (NamedTensors p : parts) {
          out.add(Prediction.of(p, model, version));
        }
        return out;
      }
    }
    for (NamedTensors r : requests) {
      out.add(Prediction.of(run(r), model, version));
    }
    return out;
  }


  /** Samples a valid request into the drift monitors (a counter check, now and then a copy). */
  private void observeDrift(NamedTensors inputs) {
    if (drift != null) {
      for (DriftMonitor d : drift) {
        d.observe(inputs);
      }
    }
  }

  String model() {
    return model;
  }

  String version() {
    return version;
  }

  Signature signature() {
    return loaded.signature();
  }

  InputValidator validator() {
    return validator;
  }

  /**
   * Runs validated inputs. The caller validates first, so that a batch is checked as a whole before
   * any of it runs.
   */
  NamedTensors run(NamedTensors validInputs) {
    int running = inFlight.incrementAndGet();
    try {
      if (closing) {
        throw new Retired(model, version);
      }
      if (maxInFlight > 0 && running > maxInFlight) {
        throw new OverloadException(maxInFlight + " calls are running, the limit; retry later or raise "
            + "Swell.builder().maxInFlight", model, version);
      }
      if (tracksUse) {
        lastUsedNanos = System.nanoTime();
      }
      return batcher != null ? batcher.submit(validInputs) : loaded.run(validInputs);
    } catch (SwellException | IllegalStateException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new BackendException("the backend failed: " + e, model, version, e);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  /**
   * Runs the model a few times: on a recent real request when there is one (so the shapes callers
   * use are planned and allocated before the first of them arrives), else on generated inputs
   * (dynamic dimensions 1, zeros).
   *
   * @param warmupRuns how many runs
   * @param recent a recent request of the caller's, or null
   */
  void warmUp(int warmupRuns, NamedTensors recent) {
    long start = System.nanoTime();
    try {
      warmUpRuns(warmupRuns, recent);
    } finally {
      addLoadTime(System.nanoTime() - start);
      warming = false;
      if (tracksUse) {
        lastUsedNanos = System.nanoTime();
        residency.enforce();
      }
    }
  }

  /** Whether {@link #warmUp} is running. */
  boolean isWarming() {
    return warming;
  }

  private void warmUpRuns(int warmupRuns, NamedTensors recent) {
    if (warmupRuns == 0) {
      return;
    }
    if (recent != null) {
      boolean fits;
      try {
        validator.validate(recent);
        fits = true;
      } catch (dev.swell.api.InvalidInputException shapeChanged) {
        fits = false; // the new version takes other shapes: fall back to generated inputs
      }
      if (fits) {
        try {
          for (int i = 0; i < warmupRuns; i++) {
            run(recent);
          }
        } catch (Retired retired) {
          throw retired;
        } catch (RuntimeException e) {
          // a request callers really send fails: this version must not serve
          throw new BackendException("warm-up on a recent request failed: " + e.getMessage(), model, version, e);
        }
        return;
      }
    }
    NamedTensors.Builder b = NamedTensors.builder();
    for (TensorSpec s : signature().inputs()) {
      long[] shape = s.shape();
      for (int i = 0; i < shape.length; i++) {
        if (shape[i] < 0) {
          shape[i] = 1;
        }
      }
      b.put(s.name(), zeros(s.dtype(), shape));
    }
    NamedTensors inputs = b.build();
    try {
      for (int i = 0; i < warmupRuns; i++) {
        run(inputs);
      }
    } catch (Retired retired) {
      throw retired;
    } catch (RuntimeException e) {
      // Generated inputs are a guess (a model may need rows in multiples of 5, or real token
      // ids): their failure says nothing about the version. It serves unwarmed.
      log.warn("model '{}' {}: warm-up on generated inputs failed ({}); serving without warm-up",
          model, version, e.getMessage());
    }
  }

  private static Tensor zeros(DType dtype, long[] shape) {
    int n = Tensor.elementCount(shape);
    if (dtype == DType.STRING) {
      String[] s = new String[n];
      java.util.Arrays.fill(s, "");
      return Tensor.of(s, shape);
    }
    return Tensor.fromBuffer(dtype,
        ByteBuffer.allocateDirect(n * dtype.byteSize()).order(ByteOrder.nativeOrder()), shape);
  }

  /** The batching thread's call: no closing check (its requests were admitted before), same wrapping. */
  private NamedTensors runLoaded(NamedTensors inputs) {
    try {
      return loaded.run(inputs);
    } catch (SwellException | IllegalStateException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new BackendException("the backend failed: " + e, model, version, e);
    }
  }

  /** Whether requests can be joined along the first dimension: every input's is dynamic. */
  private static boolean batchable(Signature signature) {
    for (dev.swell.api.TensorSpec s : signature.inputs()) {
      if (s.rank() == 0 || !s.isDynamic(0)) {
        return false;
      }
    }
    return !signature.inputs().isEmpty();
  }

  /**
   * Thrown by {@link #run} once the version is closing: for a pinned predictor it means "closed";
   * a predictor that follows an alias retries on the version that replaced this one. Cheap: no
   * stack trace.
   */
  static final class Retired extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    Retired(String model, String version) {
      super("model '" + model + "' " + version + " is closed");
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  /** Refuses new calls, waits up to {@code timeout} for running ones, then frees the model. */
  synchronized void close(long timeout, TimeUnit unit) {
    if (closed) {
      return;
    }
    closing = true;
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(100_000);
    }
    if (inFlight.get() > 0) {
      log.warn("closing model '{}' {} with {} calls still running after the drain timeout",
          model, version, inFlight.get());
    }
    closed = true;
    if (batcher != null) {
      batcher.close(); // its queue is empty: every queued call was counted in flight
    }
    try {
      loaded.close();
    } catch (RuntimeException e) {
      log.warn("closing model '{}' {} failed", model, version, e);
    } finally {
      metrics.closed(model, version);
      if (residency != null) {
        residency.remove(this);
      }
      if (cache != null) {
        cache.invalidate(id);
      }
    }
  }
}

package dev.swell.core;

import dev.swell.api.BackendException;
import dev.swell.api.DType;
import dev.swell.api.DeadlineExceededException;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Priority;
import dev.swell.api.Signature;
import dev.swell.api.SwellException;
import dev.swell.api.Tensor;
import dev.swell.api.TensorSpec;
import dev.swell.api.spi.LoadedModel;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.core.drift.DriftMonitor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded copy of a (model, version), shared by every predictor that selects it (the runtime's
 * {@link Hosts} counts them), with its request pipeline built once at load:
 *
 * <pre>
 *   validate ─► observe (drift sample) ─► cache ─hit─► answer
 *                                          │miss
 *                                          ▼
 *                         admit (priority, deadline) ─► batch | run (cancelled at the deadline)
 *                                          ▼
 *                          record (timers, alert window) ─► cache the answer
 * </pre>
 *
 * Each stage is its own small class ({@link InputValidator}, {@link ResultCache}, {@link Admission},
 * {@link DynamicBatcher}, {@link Deadlines}, {@link ModelMetrics}, {@link AlertMonitor},
 * {@link DriftMonitor}), absent when not configured. Lifecycle — warm-up, eviction, drain and
 * close — is kept apart from the request path: a version that closes refuses new calls with
 * {@link Retired} (a following predictor retries on its successor) and waits for running ones.
 */
final class HostedVersion {

  private static final Logger log = LoggerFactory.getLogger(HostedVersion.class);
  private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();

  /** Everything a version's pipeline is built from: the runtime's stages and settings. */
  record Stages(InputLimits limits, ModelMetrics metrics, AlertMonitor alerts, DriftMonitor[] drift,
      ResultCache cache, dev.swell.core.batch.BatchPolicy batching, java.util.concurrent.ThreadFactory threads,
      AdmissionPolicy admission, Deadlines deadlines, long defaultTimeoutNanos, Ticker ticker) {}

  private final ModelArtifact artifact;
  private final String model;
  private final String version;
  private final LoadedModel loaded;
  private final long id = IDS.incrementAndGet(); // this copy in the result cache
  private final Ticker ticker;

  // ---- the pipeline
  private final InputValidator validator;
  private final ModelMetrics metrics;
  private final io.micrometer.core.instrument.Timer successTimer;
  private final AlertMonitor alerts; // null without an alert policy
  private final DriftMonitor[] drift; // null without monitored inputs
  private final ResultCache cache; // null when this model is not cached
  private final io.micrometer.core.instrument.Counter cacheHits;
  private final io.micrometer.core.instrument.Counter cacheMisses;
  // A cache that does not hit is consulted for 1 request in 64 only (racy counters: a heuristic).
  private static final int CACHE_WINDOW = 1024;
  private static final int CACHE_BYPASS_WINDOW = 64;
  private int cacheLookups;
  private int cacheWindowHits;
  private int cacheSample;
  private volatile boolean cacheBypassed;
  private final Admission admission; // null without a limit
  private final DynamicBatcher batcher; // null when not batched
  private final Deadlines deadlines;
  private final long defaultTimeoutNanos; // 0: none
  /**
   * Calls with a deadline whose version ran this long on average run on a runner thread, so the
   * caller fails at the deadline however late the backend stops; faster ones run inline (no thread
   * hop), cancelled by the timer.
   */
  static final long HANDOFF_NANOS = 1_000_000;
  private volatile long recentRunNanos = Long.MAX_VALUE; // recent mean of calls with a deadline; MAX: none yet

  // ---- lifecycle
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closing;
  private volatile boolean evicted;
  private volatile boolean warming = true;
  private boolean closed; // guarded by this
  int refs; // guarded by the Hosts that owns it
  private volatile long lastUsedNanos;
  private final long loadedAtMillis;
  private volatile long loadNanos;
  private volatile long footprintBytes = -1;

  HostedVersion(ModelArtifact artifact, LoadedModel loaded, Stages s, long loadedAtMillis) {
    this.artifact = artifact;
    this.model = artifact.name();
    this.version = artifact.version();
    this.loaded = loaded;
    this.ticker = s.ticker();
    this.lastUsedNanos = ticker.read();
    this.loadedAtMillis = loadedAtMillis;
    this.validator = new InputValidator(model, version, loaded.signature(), s.limits());
    this.metrics = s.metrics();
    this.successTimer = metrics.successTimer(model, version);
    this.alerts = s.alerts();
    this.drift = s.drift() == null || s.drift().length == 0 ? null : s.drift();
    this.cache = s.cache();
    this.cacheHits = cache == null ? null : metrics.cacheRequests(model, "hit");
    this.cacheMisses = cache == null ? null : metrics.cacheRequests(model, "miss");
    this.admission = s.admission() == null ? null : new Admission(model, version, s.admission(), ticker);
    this.deadlines = s.deadlines();
    this.defaultTimeoutNanos = s.defaultTimeoutNanos();
    this.batcher = s.batching() == null || !batchable(loaded.signature()) ? null
        : new DynamicBatcher(model, version, this::invoke, s.batching(), metrics.batchRows(model),
            ticker::read);
  }

  /** The batcher, null when this version is not batched. */
  DynamicBatcher batcher() {
    return batcher;
  }

  // =================================================================== the request path

  /** The absolute deadline of a call made now with these options, {@code Long.MAX_VALUE} for none. */
  long deadline(dev.swell.api.RequestOptions options) {
    long timeout = options.timeout().map(java.time.Duration::toNanos).orElse(defaultTimeoutNanos);
    return timeout <= 0 ? Long.MAX_VALUE : ticker.read() + timeout;
  }

  /**
   * Validates and serves one request; {@code cacheable} false skips the result cache (as if there
   * were none). A {@link Retired} version records nothing (the caller retries elsewhere).
   */
  Prediction predict(NamedTensors inputs, Priority priority, long deadline, boolean cacheable) {
    boolean timed = metrics.active();
    // a bypassed cache (no recent hit) is looked up for 1 request in 64; the others take the
    // path of a runtime without one
    boolean look = cacheable && cache != null
        && (!cacheBypassed || (++cacheSample & (CACHE_BYPASS_WINDOW - 1)) == 0);
    if (!timed && alerts == null && !look) {
      validator.validate(inputs);
      if (drift != null) {
        observeDrift(inputs);
      }
      return Prediction.of(admitAndRun(inputs, priority, deadline), model, version);
    }
    long start = timed ? metrics.now() : 0;
    long alertStart = alerts == null ? 0 : alerts.now();
    try {
      validator.validate(inputs);
      if (drift != null) {
        observeDrift(inputs);
      }
      if (look) {
        NamedTensors hit = cache.get(id, inputs);
        noteLookup(hit != null);
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
      NamedTensors out = admitAndRun(inputs, priority, deadline);
      if (look) {
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
   * Counts a cache lookup. A cache without a hit in 1,024 lookups is bypassed: then only 1 request
   * in 64 is looked up (and its answer kept), and the first hit among those ends the bypass. So a
   * cache that never hits costs about 1/64 of its lookups and insertions, and traffic that starts
   * repeating is cached again after a few dozen requests.
   */
  private void noteLookup(boolean hit) {
    if (hit) {
      cacheWindowHits++;
    }
    if (++cacheLookups >= (cacheBypassed ? CACHE_BYPASS_WINDOW : CACHE_WINDOW) || hit && cacheBypassed) {
      boolean bypass = cacheWindowHits == 0;
      if (bypass != cacheBypassed) {
        cacheBypassed = bypass;
        log.debug("model '{}' {}: result cache {}", model, version, bypass
            ? "bypassed (no hit in " + CACHE_WINDOW + " lookups; 1 request in 64 still looked up)" : "in use again");
      }
      cacheLookups = 0;
      cacheWindowHits = 0;
    }
  }

  /** Whether the result cache is bypassed now because it did not hit. */
  boolean cacheBypassed() {
    return cacheBypassed;
  }

  /** The admission stage, then the batcher or the model. */
  private NamedTensors admitAndRun(NamedTensors validInputs, Priority priority, long deadline) {
    inFlight.incrementAndGet();
    CallContext call = null;
    boolean admitted = false;
    boolean handedOff = false; // a runner thread gives the slot back when the backend returns
    try {
      if (closing) {
        throw new Retired(model, version);
      }
      lastUsedNanos = ticker.read();
      if (deadline != Long.MAX_VALUE && ticker.read() - deadline >= 0) {
        throw new DeadlineExceededException("the deadline passed before the call reached the model", model, version);
      }
      boolean batched = batcher != null && TensorBatching.rows(validInputs) > 0;
      if (!batched && (deadline != Long.MAX_VALUE || admission != null && admission.preemptible(priority))) {
        call = new CallContext();
      }
      if (admission != null) {
        admission.enter(priority, deadline, call);
        admitted = true;
      }
      if (batched) {
        return batcher.submit(validInputs, deadline);
      }
      if (call == null) {
        return runBackend(validInputs, dev.swell.api.spi.RunContext.NONE);
      }
      if (deadline != Long.MAX_VALUE && recentRunNanos >= HANDOFF_NANOS) {
        handedOff = true;
        CallContext c = call;
        boolean a = admitted;
        return runBehind(validInputs, c, deadline, () -> release(a, c));
      }
      return runInline(validInputs, call, deadline);
    } finally {
      if (!handedOff) {
        release(admitted, call);
      }
    }
  }

  private void release(boolean admitted, CallContext call) {
    if (admitted) {
      admission.exit(call);
    }
    inFlight.decrementAndGet();
  }

  /** Runs the model (the batcher's joined calls), cancelling it in the backend when the deadline passes. */
  NamedTensors invoke(NamedTensors validInputs, long deadline) {
    if (deadline == Long.MAX_VALUE) {
      return runBackend(validInputs, dev.swell.api.spi.RunContext.NONE);
    }
    return runInline(validInputs, new CallContext(), deadline);
  }

  /**
   * Runs the model on the calling thread; the timer cancels it in the backend at the deadline, and
   * the caller fails when the backend has stopped (within about one operator in ONNX Runtime).
   */
  private NamedTensors runInline(NamedTensors validInputs, CallContext call, long deadline) {
    ScheduledFuture<?> timer = deadlines.schedule(call, deadline);
    long t0 = ticker.read();
    try {
      NamedTensors out = runBackend(validInputs, call);
      if (call.cancelled()) {
        throw stopped(call);
      }
      return out;
    } catch (BackendException | DeadlineExceededException e) {
      if (call.cancelled()) {
        throw stopped(call);
      }
      throw e;
    } finally {
      if (timer != null) {
        timer.cancel(false);
      }
      if (deadline != Long.MAX_VALUE) {
        noteRunTime(ticker.read() - t0);
      }
    }
  }

  /**
   * Runs the model on a runner thread and waits for it until the deadline: the caller fails at the
   * deadline, however long the backend takes to stop; the slot is given back ({@code release}) when
   * the backend returns.
   */
  private NamedTensors runBehind(NamedTensors validInputs, CallContext call, long deadline, Runnable release) {
    java.util.concurrent.FutureTask<NamedTensors> task = new java.util.concurrent.FutureTask<>(() -> {
      long t0 = ticker.read();
      try {
        return runBackend(validInputs, call);
      } finally {
        noteRunTime(ticker.read() - t0);
        release.run();
      }
    });
    try {
      deadlines.runners().execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      release.run();
      throw new IllegalStateException("the runtime is closed", e);
    }
    try {
      NamedTensors out = deadlines.await(task, deadline);
      if (call.cancelled()) {
        throw stopped(call);
      }
      return out;
    } catch (java.util.concurrent.TimeoutException e) {
      call.cancel();
      throw stopped(call);
    } catch (java.util.concurrent.ExecutionException e) {
      if (call.cancelled()) {
        throw stopped(call);
      }
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new BackendException("the backend failed: " + cause, model, version, cause);
    } catch (InterruptedException e) {
      call.cancel();
      Thread.currentThread().interrupt();
      throw new BackendException("interrupted while waiting for the model; the call was cancelled", model, version, e);
    }
  }

  /** Folds one run time into the recent mean that picks inline or runner calls. */
  private void noteRunTime(long nanos) {
    long recent = recentRunNanos;
    recentRunNanos = recent == Long.MAX_VALUE ? nanos : recent - (recent >> 3) + (nanos >> 3);
  }

  private SwellException stopped(CallContext call) {
    if (call.preempted()) {
      return new dev.swell.api.OverloadException("a high priority call took this low priority call's slot; "
          + "it was cancelled while the model ran", model, version);
    }
    return new DeadlineExceededException("the deadline passed while the model ran; the call was cancelled",
        model, version);
  }

  private NamedTensors runBackend(NamedTensors inputs, dev.swell.api.spi.RunContext context) {
    try {
      return loaded.run(inputs, context);
    } catch (SwellException | IllegalStateException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new BackendException("the backend failed: " + e, model, version, e);
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
      if (alerts != null && !(failure instanceof InvalidInputException)) {
        alerts.record(alertStart, failure != null);
      }
    }
  }

  /**
   * Validates every request (none runs if one is invalid), joins them along the first dimension
   * into one call when their other dimensions agree (and none is empty), and splits the outputs
   * back; otherwise, or when the outputs do not follow the batch dimension, runs them one by one.
   */
  List<Prediction> predictBatch(List<NamedTensors> requests, Priority priority, long deadline) {
    boolean timed = metrics.active();
    if (!timed && alerts == null) {
      return runBatch(requests, priority, deadline);
    }
    long start = timed ? metrics.now() : 0;
    long alertStart = alerts == null ? 0 : alerts.now();
    int n = requests == null ? 0 : requests.size();
    try {
      List<Prediction> out = runBatch(requests, priority, deadline);
      record(n, timed, start, alertStart, null); // each request waited for the whole batch
      return out;
    } catch (Retired retired) {
      throw retired;
    } catch (RuntimeException e) {
      record(Math.max(n, 1), timed, start, alertStart, e);
      throw e;
    }
  }

  private List<Prediction> runBatch(List<NamedTensors> requests, Priority priority, long deadline) {
    if (requests == null || requests.isEmpty()) {
      throw new InvalidInputException(model, version, null, "at least one request",
          requests == null ? "null" : "an empty list of requests");
    }
    for (NamedTensors r : requests) {
      validator.validate(r);
    }
    for (NamedTensors r : requests) {
      observeDrift(r);
    }
    List<Prediction> out = new ArrayList<>(requests.size());
    boolean noneEmpty = requests.stream().allMatch(r -> TensorBatching.rows(r) > 0);
    if (requests.size() > 1 && noneEmpty && TensorBatching.joinable(requests)) {
      long[] rows = new long[requests.size()];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = requests.get(i).tensors().get(0).dim(0);
      }
      List<NamedTensors> parts = TensorBatching.split(admitAndRun(TensorBatching.join(requests), priority, deadline),
          rows);
      if (parts != null) {
        for (NamedTensors p : parts) {
          out.add(Prediction.of(p, model, version));
        }
        return out;
      }
    }
    for (NamedTensors r : requests) {
      out.add(Prediction.of(admitAndRun(r, priority, deadline), model, version));
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

  /** Whether requests can be joined along the first dimension: every input's is dynamic. */
  private static boolean batchable(Signature signature) {
    for (TensorSpec s : signature.inputs()) {
      if (s.rank() < 1 || !s.isDynamic(0)) {
        return false;
      }
    }
    return !signature.inputs().isEmpty();
  }

  // =================================================================== lifecycle

  ModelArtifact artifact() {
    return artifact;
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

  String device() {
    return loaded.device();
  }

  long lastUsedNanos() {
    return lastUsedNanos;
  }

  long loadedAtMillis() {
    return loadedAtMillis;
  }

  java.time.Duration loadTime() {
    return java.time.Duration.ofNanos(loadNanos);
  }

  void addLoadTime(long nanos) {
    loadNanos += nanos; // written by the one thread that loads and warms it
  }

  /** Native memory measured at load (the resident-memory growth of loading and warming), -1 if unknown. */
  long footprintBytes() {
    return footprintBytes;
  }

  void footprintBytes(long bytes) {
    this.footprintBytes = bytes;
  }

  /** Whether the runtime unloaded this version to respect its residency limits, or on request. */
  boolean isEvicted() {
    return evicted;
  }

  /** Whether the version refuses new calls (closing, closed or evicted). */
  boolean isClosing() {
    return closing;
  }

  /** Whether {@link #warmUp} has not finished. */
  boolean isWarming() {
    return warming;
  }

  /** Refuses new calls at once; the caller then closes it (which waits for running calls). */
  void evict() {
    evicted = true;
    closing = true;
  }

  /**
   * Runs the model a few times: on a recent real request when there is one (so the shapes callers
   * use are planned and allocated before the first of them arrives), else on generated inputs
   * (dynamic dimensions 1, zeros; an input without a declared shape as a scalar). A failure on a
   * real request means this version must not serve; on generated inputs it only warns (they are a
   * guess: a model may need rows in multiples of 5).
   */
  void warmUp(int warmupRuns, NamedTensors recent) {
    long start = ticker.read();
    try {
      warmUpRuns(warmupRuns, recent);
    } finally {
      addLoadTime(ticker.read() - start);
      warming = false;
      lastUsedNanos = ticker.read();
    }
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
      } catch (InvalidInputException shapeChanged) {
        fits = false; // the new version takes other shapes: fall back to generated inputs
      }
      if (fits) {
        try {
          for (int i = 0; i < warmupRuns; i++) {
            runBackend(recent, dev.swell.api.spi.RunContext.NONE);
          }
        } catch (RuntimeException e) {
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
        runBackend(inputs, dev.swell.api.spi.RunContext.NONE);
      }
    } catch (RuntimeException e) {
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

  /**
   * Thrown once the version is closing: for a pinned predictor it means "closed" (or, when
   * evicted, "load me again"); a predictor that follows an alias retries on the version that
   * replaced this one. Cheap: no stack trace.
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

  /**
   * Refuses new calls, waits up to {@code timeout} for running ones, then frees the model.
   *
   * @return whether it closed now (false if it was closed already)
   */
  synchronized boolean close(long timeout, TimeUnit unit) {
    if (closed) {
      return false;
    }
    closing = true;
    // a real wait for real calls, so the system clock rather than the (maybe simulated) ticker
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (inFlight.get() > 0 && System.nanoTime() - deadline < 0) {
      LockSupport.parkNanos(100_000);
    }
    if (inFlight.get() > 0) {
      log.warn("closing model '{}' {} with {} calls still running after the drain timeout",
          model, version, inFlight.get());
    }
    closed = true;
    if (batcher != null) {
      batcher.close();
    }
    try {
      loaded.close();
    } catch (RuntimeException e) {
      log.warn("closing model '{}' {} failed", model, version, e);
    } finally {
      if (cache != null) {
        cache.invalidate(id);
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return model + " " + version + "#" + id;
  }
}

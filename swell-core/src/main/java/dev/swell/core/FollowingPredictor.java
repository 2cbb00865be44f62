package dev.swell.core;

import dev.swell.api.BackendException;
import dev.swell.api.DType;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.RequestOptions;
import dev.swell.api.SwellException;
import dev.swell.core.event.LoadFailed;
import dev.swell.core.event.SwapRefused;
import dev.swell.core.event.VersionSwapped;
import dev.swell.api.Signature;
import dev.swell.api.Tensor;
import dev.swell.api.TensorSpec;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.ModelArtifact;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A predictor bound to a moving selector (an alias, latest, a range). {@link #refresh()} resolves
 * the selector again and, when it names another version, loads it, checks that its signature is
 * compatible, warms it up, swaps it in atomically and retires the old version, whose in-flight
 * calls finish before it is closed. A call that catches the old version as it retires is retried
 * on the new one, so a swap never fails a request. A version that fails to load or warm up is
 * never swapped in: the old one keeps serving, and the failure is remembered and retried with
 * backoff.
 */
final class FollowingPredictor implements Predictor {

  private static final Logger log = LoggerFactory.getLogger(FollowingPredictor.class);

  private final String model;
  private final VersionSelector selector;
  private final Swell.Resolver resolver;
  private final Leases leases;
  private final Executor asyncExecutor;
  private final boolean allowIncompatible;
  private final Consumer<FollowingPredictor> onClose;
  private final ModelMetrics metrics;
  private final Events events;
  private final AtomicReference<HostedVersion> current = new AtomicReference<>();
  private final Object control = new Object(); // serializes refresh and close
  private volatile boolean closed;
  private volatile long swaps;
  private volatile String lastError;
  /** The version the selector named at the last refresh, when it is not the one serving. */
  private volatile String wanted;
  /** A recent real request, replayed to warm up a new version at the shapes callers use. */
  private volatile NamedTensors recentInputs;
  private int sampleCounter; // racy on purpose: only spreads the samples
  private final Backoff backoff; // guarded by control

  FollowingPredictor(String model, VersionSelector selector, Swell.Resolver resolver, Leases leases,
      Executor asyncExecutor, boolean allowIncompatible, Consumer<FollowingPredictor> onClose, ModelMetrics metrics,
      Events events, Ticker ticker) {
    this.metrics = metrics;
    this.model = model;
    this.selector = selector;
    this.resolver = resolver;
    this.leases = leases;
    this.asyncExecutor = asyncExecutor;
    this.allowIncompatible = allowIncompatible;
    this.onClose = onClose;
    this.events = events;
    this.backoff = new Backoff(ticker);
    current.set(leases.acquire(resolver.resolve(model, selector), null).host());
    metrics.serving(model, current.get().version(), true);
  }

  String modelName() {
    return model;
  }

  VersionSelector selector() {
    return selector;
  }

  HostedVersion currentVersion() {
    return current.get();
  }

  boolean isClosed() {
    return closed;
  }

  /** How many times a new version was swapped in. */
  long swaps() {
    return swaps;
  }

  /** The last resolve, load, warm-up or compatibility failure, or null. */
  String lastError() {
    return lastError;
  }

  /** The version the selector names but that does not serve (it failed), or null. */
  String wantedVersion() {
    return wanted;
  }

  /** The backoff before the failing version is tried again, in nanoseconds (for tests). */
  long backoffNanos() {
    synchronized (control) {
      return backoff.delayNanos();
    }
  }

  /**
   * Resolves the selector again and swaps in the version it names, if that is another one and it
   * is not backing off after a failure.
   *
   * @return whether a new version now serves
   */
  boolean refresh() {
    synchronized (control) {
      if (closed) {
        return false;
      }
      HostedVersion old = current.get();
      ModelArtifact next;
      try {
        next = resolver.resolve(model, selector);
      } catch (RuntimeException e) {
        // a damaged or unsigned version (IntegrityException) fails here: it never reaches a backend;
        // health names it as wanted when the failure says which version the selector named
        String named = e instanceof SwellException se && se.version() != null && !se.version().equals(old.version())
            ? se.version() : null;
        String failing = named != null ? named : "(unresolved)";
        if (!backoff.mayTry(failing)) {
          return false;
        }
        metrics.recordLoad(model, false, 0);
        fail(failing, named, "resolving " + selector + " failed: " + e.getMessage(), e);
        return false;
      }
      if (next.version().equals(old.version())) {
        if (backoff.failing() != null) {
          backoff.succeeded(); // the selector came back: nothing to retry
          wanted = null;
          lastError = null;
        }
        return false;
      }
      if (!backoff.mayTry(next.version())) {
        return false; // backing off a version that failed
      }
      long start = System.nanoTime();
      Hosts.Lease lease;
      try {
        lease = leases.acquire(next, recentInputs);
      } catch (RuntimeException e) {
        fail(next.version(), next.version(), "loading " + next.version() + " failed: " + e.getMessage(), e);
        return false;
      }
      HostedVersion fresh = lease.host();
      String incompatibility = incompatibility(old.signature(), fresh.signature());
      if (incompatibility != null && !allowIncompatible) {
        leases.releaseLater(fresh);
        String why = "version " + next.version() + " is not compatible with " + old.version() + ": " + incompatibility
            + "; not swapped (allow it with Swell.builder().allowIncompatibleSwaps(true))";
        events.publish(new SwapRefused(model, selector.toString(), old.version(), next.version(), why));
        fail(next.version(), next.version(), why, null);
        return false;
      }
      // health is consistent for whoever sees the new version: no stale error, swaps counted
      backoff.succeeded();
      wanted = null;
      lastError = null;
      swaps++;
      current.set(fresh);
      metrics.serving(model, fresh.version(), true);
      metrics.serving(model, old.version(), false);
      metrics.recordSwap(model);
      log.info("model '{}' {} now serves {} (was {}; {} in {} ms)", model, selector, fresh.version(), old.version(),
          lease.fresh() ? "loaded and warmed" : "already loaded", (System.nanoTime() - start) / 1_000_000);
      events.publish(new VersionSwapped(model, selector.toString(), old.version(), fresh.version()));
      leases.releaseLater(old);
      return true;
    }
  }

  /** Remembers a failure: backs off, warns once per streak (then debug), tells listeners. */
  private void fail(String failing, String version, String message, RuntimeException e) {
    lastError = message;
    wanted = version;
    boolean first = backoff.failed(failing);
    java.time.Duration retry = java.time.Duration.ofNanos(backoff.delayNanos());
    if (first) {
      log.warn("model '{}' {}: {}; the current version keeps serving; retrying in {}, then backing off up to 60 s",
          model, selector, message, retry, e);
    } else {
      log.debug("model '{}' {}: {}; retrying in {}", model, selector, message, retry, e);
    }
    events.publish(new LoadFailed(model, version, message, retry));
  }

  /** Returns why a new signature cannot replace the old one, or null if it can. */
  static String incompatibility(Signature old, Signature fresh) {
    for (TensorSpec o : old.inputs()) {
      var n = fresh.input(o.name());
      if (n.isEmpty()) {
        return "input '" + o.name() + "' is gone";
      }
      String why = specIncompatibility(o, n.get());
      if (why != null) {
        return "input " + why;
      }
    }
    for (TensorSpec n : fresh.inputs()) {
      if (old.input(n.name()).isEmpty()) {
        return "new input '" + n.name() + "' that callers do not send";
      }
    }
    for (TensorSpec o : old.outputs()) {
      var n = fresh.output(o.name());
      if (n.isEmpty()) {
        return "output '" + o.name() + "' is gone";
      }
      String why = specIncompatibility(o, n.get());
      if (why != null) {
        return "output " + why;
      }
    }
    return null;
  }

  private static String specIncompatibility(TensorSpec o, TensorSpec n) {
    if (o.dtype() != n.dtype()) {
      return "'" + o.name() + "' changes dtype from " + o.dtype() + " to " + n.dtype();
    }
    if (o.rank() != n.rank()) {
      return "'" + o.name() + "' changes rank from " + o.rank() + " to " + n.rank();
    }
    for (int i = 0; i < o.rank(); i++) {
      if (!n.isDynamic(i) && n.dim(i) != o.dim(i)) {
        return "'" + o.name() + "' changes dimension " + i + " from " + (o.isDynamic(i) ? "?" : o.dim(i))
            + " to " + n.dim(i);
      }
    }
    return null;
  }

  @Override
  public String model() {
    return model;
  }

  @Override
  public String version() {
    return current.get().version();
  }

  @Override
  public Signature signature() {
    return current.get().signature();
  }

  @Override
  public Prediction predict(NamedTensors inputs) {
    return predict(inputs, RequestOptions.DEFAULT);
  }

  @Override
  public Prediction predict(NamedTensors inputs, RequestOptions options) {
    java.util.Objects.requireNonNull(options, "options");
    long deadline = current.get().deadline(options);
    while (true) {
      ensureOpen();
      Prediction p = predictOn(current.get(), inputs, options, deadline);
      if (p != null) {
        return options.requestId().isPresent() ? p.withRequestId(options.requestId().get()) : p;
      }
      // the version was swapped out between reading current and running: the new one is current
    }
  }

  /** Runs on one hosted version; null if that version has been retired meanwhile. */
  Prediction predictOn(HostedVersion h, NamedTensors inputs, RequestOptions options, long deadline) {
    try {
      Prediction p = h.predict(inputs, options.priority(), deadline, options.cacheable());
      if ((++sampleCounter & 63) == 0 || recentInputs == null) { // an occasional sample; races are harmless
        recentInputs = inputs;
      }
      return p;
    } catch (HostedVersion.Retired retired) {
      reloadIfEvicted(h, inputs);
      return null;
    }
  }

  /**
   * After a call found its version retired: if that version still serves here and the runtime
   * evicted it, load it again (on this thread; other callers wait). Otherwise it was swapped out,
   * and the caller retries on the new version.
   */
  private void reloadIfEvicted(HostedVersion h, NamedTensors recent) {
    if (!h.isEvicted() || current.get() != h) {
      return;
    }
    synchronized (control) {
      if (current.get() == h && !closed) {
        current.set(leases.acquire(h.artifact(), recent).host());
        leases.releaseLater(h);
      }
    }
  }

  /** The version serving now (for tests). */
  HostedVersion serving() {
    return current.get();
  }

  @Override
  public List<Prediction> predictBatch(List<NamedTensors> requests) {
    long deadline = current.get().deadline(RequestOptions.DEFAULT);
    while (true) {
      ensureOpen();
      HostedVersion h = current.get();
      try {
        return h.predictBatch(requests, RequestOptions.DEFAULT.priority(), deadline);
      } catch (HostedVersion.Retired retired) {
        // swapped out (or unloaded) meanwhile: run the whole batch on the new version
        reloadIfEvicted(h, null);
      }
    }
  }

  @Override
  public CompletableFuture<Prediction> predictAsync(NamedTensors inputs) {
    return LocalPredictor.async(() -> predict(inputs), asyncExecutor);
  }

  @Override
  public void close() {
    synchronized (control) {
      if (closed) {
        return;
      }
      closed = true;
    }
    HostedVersion h = current.get();
    metrics.serving(model, h.version(), false);
    leases.release(h);
    onClose.accept(this);
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("predictor of model '" + model + "' " + selector + " is closed");
    }
  }

  @Override
  public String toString() {
    return "Predictor[" + model + " " + selector + " -> " + current.get().version() + "]";
  }
}

package dev.swell.core;

import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.Signature;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A predictor pinned to one version, which it owns and closes. If the runtime unloads the version
 * (a residency limit, or {@link Swell#unload}), the next call loads it again.
 */
final class LocalPredictor implements Predictor {

  private volatile HostedVersion hosted;
  private final HostedVersion.WarmLoader loader;
  private final Executor asyncExecutor;
  private final Consumer<LocalPredictor> onClose;
  private final long drainTimeoutNanos;
  private volatile boolean closed;

  LocalPredictor(HostedVersion hosted, HostedVersion.WarmLoader loader, Executor asyncExecutor,
      long drainTimeoutNanos, Consumer<LocalPredictor> onClose) {
    this.hosted = hosted;
    this.loader = loader;
    this.asyncExecutor = asyncExecutor;
    this.drainTimeoutNanos = drainTimeoutNanos;
    this.onClose = onClose;
  }

  @Override
  public String model() {
    return hosted.model();
  }

  @Override
  public String version() {
    return hosted.version();
  }

  @Override
  public Signature signature() {
    return hosted.signature();
  }

  @Override
  public Prediction predict(NamedTensors inputs) {
    while (true) {
      ensureOpen();
      HostedVersion h = hosted;
      try {
        return h.predict(inputs);
      } catch (HostedVersion.Retired retired) {
        reloadIfEvicted(h, inputs, retired);
      }
    }
  }

  @Override
  public List<Prediction> predictBatch(List<NamedTensors> requests) {
    while (true) {
      ensureOpen();
      HostedVersion h = hosted;
      try {
        return h.predictBatch(requests);
      } catch (HostedVersion.Retired retired) {
        reloadIfEvicted(h, null, retired);
      }
    }
  }

  /** After a call found its version retired: load it again if the runtime evicted it. */
  private void reloadIfEvicted(HostedVersion h, NamedTensors recent, HostedVersion.Retired retired) {
    if (!h.isEvicted()) {
      ensureOpen();
      throw retired; // closed otherwise: not ours to hide
    }
    synchronized (this) { // one reload, however many callers found it evicted
      if (hosted == h && !closed) {
        hosted = loader.load(h.artifact(), recent);
      }
    }
  }

  @Override
  public CompletableFuture<Prediction> predictAsync(NamedTensors inputs) {
    return async(() -> predict(inputs), asyncExecutor);
  }

  /** Runs a prediction on an executor; a rejected submission completes the future exceptionally. */
  static CompletableFuture<Prediction> async(java.util.function.Supplier<Prediction> call, Executor executor) {
    try {
      return CompletableFuture.supplyAsync(call, executor);
    } catch (RuntimeException rejected) {
      return CompletableFuture.failedFuture(rejected);
    }
  }

  @Override
  public void close() {
    HostedVersion h;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      h = hosted;
    }
    h.close(drainTimeoutNanos, TimeUnit.NANOSECONDS);
    onClose.accept(this);
  }

  HostedVersion hosted() {
    return hosted;
  }

  boolean isClosed() {
    return closed;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(
          "predictor of model '" + hosted.model() + "' " + hosted.version() + " is closed");
    }
  }

  @Override
  public String toString() {
    return "Predictor[" + hosted.model() + " " + hosted.version() + "]";
  }
}

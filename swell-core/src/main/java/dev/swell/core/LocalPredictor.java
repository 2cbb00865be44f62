package dev.swell.core;

import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.RequestOptions;
import dev.swell.api.Signature;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * A predictor pinned to one version, holding a share of its loaded copy. If the runtime unloads
 * the version (a residency limit, or {@link Swell#unload}), the next call loads it again.
 */
final class LocalPredictor implements Predictor {

  private volatile HostedVersion hosted;
  private final Leases leases;
  private final Executor asyncExecutor;
  private final Consumer<LocalPredictor> onClose;
  private volatile boolean closed;

  LocalPredictor(HostedVersion hosted, Leases leases, Executor asyncExecutor, Consumer<LocalPredictor> onClose) {
    this.hosted = hosted;
    this.leases = leases;
    this.asyncExecutor = asyncExecutor;
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
    return predict(inputs, RequestOptions.DEFAULT);
  }

  @Override
  public Prediction predict(NamedTensors inputs, RequestOptions options) {
    Objects.requireNonNull(options, "options");
    long deadline = hosted.deadline(options);
    while (true) {
      ensureOpen();
      HostedVersion h = hosted;
      try {
        Prediction p = h.predict(inputs, options.priority(), deadline, options.cacheable());
        return options.requestId().isPresent() ? p.withRequestId(options.requestId().get()) : p;
      } catch (HostedVersion.Retired retired) {
        reloadIfEvicted(h, inputs, retired);
      }
    }
  }

  @Override
  public List<Prediction> predictBatch(List<NamedTensors> requests) {
    long deadline = hosted.deadline(RequestOptions.DEFAULT);
    while (true) {
      ensureOpen();
      HostedVersion h = hosted;
      try {
        return h.predictBatch(requests, RequestOptions.DEFAULT.priority(), deadline);
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
        hosted = leases.acquire(h.artifact(), recent).host();
        leases.releaseLater(h);
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
    leases.release(h);
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

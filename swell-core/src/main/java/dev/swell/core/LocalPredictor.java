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

/** A predictor over one hosted version, which it owns and closes. */
final class LocalPredictor implements Predictor {

  private final HostedVersion hosted;
  private final Executor asyncExecutor;
  private final Consumer<LocalPredictor> onClose;
  private final long drainTimeoutNanos;
  private volatile boolean closed;

  LocalPredictor(HostedVersion hosted, Executor asyncExecutor, long drainTimeoutNanos,
      Consumer<LocalPredictor> onClose) {
    this.hosted = hosted;
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
    ensureOpen();
    return Prediction.of(hosted.predict(inputs), hosted.model(), hosted.version());
  }

  @Override
  public List<Prediction> predictBatch(List<NamedTensors> requests) {
    ensureOpen();
    return hosted.predictBatch(requests);
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
    if (closed) {
      return;
    }
    closed = true;
    hosted.close(drainTimeoutNanos, TimeUnit.NANOSECONDS);
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

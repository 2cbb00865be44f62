package dev.swell.core;

import dev.swell.api.BackendException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import java.util.ArrayList;
import java.util.List;
import dev.swell.api.Signature;
import dev.swell.api.SwellException;
import dev.swell.api.spi.LoadedModel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded version with its validator and an in-flight count, so that closing it waits for the
 * calls already running (drain) and refuses new ones.
 */
final class HostedVersion {

  private static final Logger log = LoggerFactory.getLogger(HostedVersion.class);

  private final String model;
  private final String version;
  private final LoadedModel loaded;
  private final InputValidator validator;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closing;
  private boolean closed; // guarded by this

  private final ModelMetrics metrics;
  private final io.micrometer.core.instrument.Timer successTimer; // null without metrics
  private final long loadedAtMillis = System.currentTimeMillis();

  private final AlertMonitor alerts; // null without an alert policy

  HostedVersion(String model, String version, LoadedModel loaded, long maxInputElements,
      ModelMetrics metrics, AlertMonitor alerts) {
    this.alerts = alerts;
    this.model = model;
    this.version = version;
    this.loaded = loaded;
    this.validator = new InputValidator(model, version, loaded.signature(), maxInputElements);
    this.metrics = metrics;
    this.successTimer = metrics.successTimer(model, version);
  }

  String device() {
    return loaded.device();
  }

  long loadedAtMillis() {
    return loadedAtMillis;
  }

  /**
   * Validates and runs one request, recording it in the metrics. A {@link Retired} version records
   * nothing (the caller retries elsewhere).
   */
  NamedTensors predict(NamedTensors inputs) {
    if (successTimer == null && alerts == null) {
      validator.validate(inputs);
      return run(inputs);
    }
    long start = successTimer == null ? 0 : metrics.now();
    long alertStart = alerts == null ? 0 : alerts.now();
    try {
      validator.validate(inputs);
      NamedTensors out = run(inputs);
      if (successTimer != null) {
        successTimer.record(metrics.now() - start, TimeUnit.NANOSECONDS);
      }
      if (alerts != null) {
        alerts.record(alertStart, false);
      }
      return out;
    } catch (Retired retired) {
      throw retired;
    } catch (RuntimeException e) {
      if (successTimer != null) {
        metrics.recordFailure(model, version, start, e);
      }
      if (alerts != null && !(e instanceof dev.swell.api.InvalidInputException)) {
        alerts.record(alertStart, true);
      }
      throw e;
    }
  }

  /**
   * Validates every request (none runs if one is invalid), joins them along the first dimension
   * into one call when their other dimensions agree, and splits the outputs back; otherwise, or
   * when the outputs do not follow the batch dimension, runs them one by one.
   */
  List<Prediction> predictBatch(List<NamedTensors> requests) {
    if (requests == null || requests.isEmpty()) {
      throw new dev.swell.api.InvalidInputException(model, version, null,
          "at least one request", requests == null ? "null" : "an empty list of requests");
    }
    for (NamedTensors r : requests) {
      validator.validate(r);
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
    inFlight.incrementAndGet();
    try {
      if (closing) {
        throw new Retired(model, version);
      }
      return loaded.run(validInputs);
    } catch (SwellException | IllegalStateException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new BackendException("the backend failed: " + e, model, version, e);
    } finally {
      inFlight.decrementAndGet();
    }
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
    try {
      loaded.close();
    } catch (RuntimeException e) {
      log.warn("closing model '{}' {} failed", model, version, e);
    } finally {
      metrics.closed(model, version);
    }
  }
}

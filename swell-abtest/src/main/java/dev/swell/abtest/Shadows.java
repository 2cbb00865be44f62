package dev.swell.abtest;

import dev.swell.abtest.assign.GrowthBook;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleBiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies requests to shadow variants off the request thread: a unit's requests are copied when
 * its shadow hash falls under the shadow's fraction (so the same units are shadowed everywhere);
 * each copy's latency, failure, bit-identity with the served answer and the configured comparison
 * metrics are recorded for the shadow; its answer is never returned. A copy that finds the
 * executor full is dropped and counted, so shadows never slow the requests they copy.
 */
final class Shadows {

  private static final Logger log = LoggerFactory.getLogger(Shadows.class);

  /** One shadow as served now. */
  record Lane(String name, String seed, double fraction, Predictor predictor, Recorder.Arm arm) {}

  private final String experiment;
  private final Executor executor;
  private final LongSupplier ticker;
  private final Map<String, ToDoubleBiFunction<Prediction, Prediction>> comparisons;

  Shadows(String experiment, Executor executor, LongSupplier ticker,
      Map<String, ToDoubleBiFunction<Prediction, Prediction>> comparisons) {
    this.experiment = experiment;
    this.executor = executor;
    this.ticker = ticker;
    this.comparisons = Map.copyOf(comparisons);
  }

  void copy(List<Lane> lanes, String unit, NamedTensors inputs, Prediction served) {
    for (Lane lane : lanes) {
      if (lane.fraction() <= 0 || GrowthBook.hash(lane.seed(), unit, 2) >= lane.fraction()) {
        continue;
      }
      try {
        executor.execute(() -> run(lane, inputs, served));
      } catch (RejectedExecutionException busy) {
        lane.arm().dropped.increment();
      }
    }
  }

  private void run(Lane lane, NamedTensors inputs, Prediction served) {
    long t0 = ticker.getAsLong();
    Prediction shadow;
    try {
      shadow = lane.predictor().predict(inputs);
    } catch (RuntimeException e) {
      lane.arm().failure();
      log.debug("shadow '{}' of experiment '{}' failed", lane.name(), experiment, e);
      return;
    }
    lane.arm().success(ticker.getAsLong() - t0, shadow.cached());
    if (shadow.outputs().equals(served.outputs())) {
      lane.arm().identical.increment();
    }
    comparisons.forEach((metric, f) -> {
      try {
        lane.arm().metric(metric, f.applyAsDouble(served, shadow));
      } catch (RuntimeException e) {
        log.warn("shadow metric '{}' of experiment '{}' failed", metric, experiment, e);
      }
    });
  }
}

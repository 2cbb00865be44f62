package dev.swell.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.InvalidInputException;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.testkit.ReferenceBackendProvider;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Micrometer metrics and health, checked against a SimpleMeterRegistry. */
class MetricsAndHealthTest {

  @TempDir Path dir;

  @Test
  @DisplayName("predictions are timed by model, version, outcome and exception; resident and serving gauges follow loads")
  void predictionMetrics() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry(SimpleConfig.DEFAULT, new MockClock());
    Path file = ReferenceBackendProvider.write(dir.resolve("fraud.ref"),
        "op", "mlp", "in", "4", "hidden", "8", "out", "2", "seed", "1");
    try (Swell swell = Swell.builder().meterRegistry(meters).build()) {
      Predictor p = swell.load(file);
      for (int i = 0; i < 3; i++) {
        p.predict("x", Tensor.of(new float[4], 1, 4));
      }
      assertThatThrownBy(() -> p.predict("x", Tensor.of(new int[4], 1, 4))).isInstanceOf(InvalidInputException.class);
      assertThat(meters.get("swell.predictions").tags("model", "fraud", "version", "file", "outcome", "success")
          .timer().count()).isEqualTo(3);
      assertThat(meters.get("swell.predictions").tags("outcome", "invalid_input", "exception", "InvalidInputException")
          .timer().count()).isEqualTo(1);
      p.predictBatch(java.util.List.of(dev.swell.api.NamedTensors.of("x", Tensor.of(new float[4], 1, 4)),
          dev.swell.api.NamedTensors.of("x", Tensor.of(new float[8], 2, 4))));
      assertThat(meters.get("swell.predictions").tags("model", "fraud", "version", "file", "outcome", "success")
          .timer().count()).as("a batch of two: a sample each").isEqualTo(5);
      assertThatThrownBy(() -> p.predictBatch(java.util.List.of(
          dev.swell.api.NamedTensors.of("x", Tensor.of(new float[4], 1, 4)),
          dev.swell.api.NamedTensors.of("x", Tensor.of(new float[3], 1, 3))))).isInstanceOf(InvalidInputException.class);
      assertThat(meters.get("swell.predictions").tags("outcome", "invalid_input", "exception", "InvalidInputException")
          .timer().count()).as("a refused batch of two").isEqualTo(3);
      assertThat(meters.get("swell.models.resident").gauge().value()).isEqualTo(1);
      assertThat(meters.get("swell.model.serving").tags("model", "fraud", "version", "file").gauge().value()).isEqualTo(1);
      assertThat(swell.health().models()).singleElement()
          .satisfies(s -> assertThat(s.version()).isEqualTo("file"))
          .satisfies(s -> assertThat(s.device()).isEqualTo("java"))
          .satisfies(s -> assertThat(s.loadTime()).isPositive().isLessThan(Duration.ofSeconds(10)))
          .satisfies(s -> assertThat(s.resident()).isTrue());
      p.close();
      assertThat(meters.get("swell.models.resident").gauge().value()).isZero();
      assertThat(meters.get("swell.model.serving").tags("model", "fraud", "version", "file").gauge().value()).isZero();
      assertThat(meters.find("swell.predictions").timers()).as("counts stay after the version closes").isNotEmpty();
    }
  }

  @Test
  @DisplayName("a version hosted twice keeps its meters until the last copy closes")
  void sharedVersionMeters() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    HotReloadTest.MovableRepository repo = new HotReloadTest.MovableRepository();
    for (int v = 1; v <= 2; v++) {
      repo.files.put("1.0." + v, ReferenceBackendProvider.write(dir.resolve("v" + v + ".ref"),
          "op", "mlp", "in", "4", "hidden", "8", "out", "2", "seed", "" + v));
    }
    repo.production = "1.0.1";
    try (Swell swell = Swell.builder().repository(repo).meterRegistry(meters).refreshInterval(Duration.ofSeconds(30))
        .build();
         Predictor pinned = swell.predictor("fraud", VersionSelector.exact("1.0.1"));
         Predictor following = swell.predictor("fraud", VersionSelector.alias("production"))) {
      following.predict("x", Tensor.of(new float[4], 1, 4));
      repo.move("1.0.2");
      waitFor(() -> following.version().equals("1.0.2"));
      waitFor(() -> meters.get("swell.models.resident").gauge().value() == 2);
      pinned.predict("x", Tensor.of(new float[4], 1, 4));
      assertThat(meters.get("swell.predictions").tags("version", "1.0.1", "outcome", "success").timer().count())
          .as("the pinned copy still records after the following one retired").isEqualTo(2);
    }
  }

  @Test
  @DisplayName("swaps, loads and load failures are counted; health reports the serving version and the last failure")
  void followerMetricsAndHealth() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    HotReloadTest.MovableRepository repo = new HotReloadTest.MovableRepository();
    repo.files.put("1.0.1", ReferenceBackendProvider.write(dir.resolve("a.ref"),
        "op", "mlp", "in", "4", "hidden", "8", "out", "2", "seed", "1"));
    repo.files.put("1.0.2", ReferenceBackendProvider.write(dir.resolve("b.ref"),
        "op", "mlp", "in", "4", "hidden", "8", "out", "2", "seed", "2"));
    repo.files.put("2.0.0", ReferenceBackendProvider.write(dir.resolve("broken.ref"), "op", "nope"));
    repo.production = "1.0.1";
    Swell swell = Swell.builder().repository(repo).meterRegistry(meters)
        .refreshInterval(Duration.ofMillis(20)).build();
    Predictor p = swell.predictor("fraud", VersionSelector.alias("production"));
    assertThat(swell.health().ready()).isTrue();
    repo.move("1.0.2");
    waitFor(() -> p.version().equals("1.0.2"));
    waitFor(() -> meters.get("swell.model.serving").tag("version", "1.0.1").gauge().value() == 0);
    assertThat(meters.get("swell.model.swaps").tag("model", "fraud").counter().count()).isEqualTo(1);
    assertThat(meters.get("swell.model.loads").tags("model", "fraud", "outcome", "success").timer().count())
        .as("the first version, then the swap").isEqualTo(2);
    assertThat(meters.get("swell.model.serving").tags("version", "1.0.2").gauge().value()).isEqualTo(1);
    // the retired copy closes on the retire pool once its calls drain
    waitFor(() -> meters.get("swell.models.resident").gauge().value() == 1);

    repo.move("2.0.0");
    waitFor(() -> swell.health().models().get(0).lastError() != null);
    SwellHealth.ModelStatus status = swell.health().models().get(0);
    assertThat(status.version()).isEqualTo("1.0.2");
    assertThat(status.selector()).isEqualTo("alias production");
    assertThat(status.swaps()).isEqualTo(1);
    assertThat(status.healthy()).isFalse();
    assertThat(status.lastError()).contains("2.0.0");
    assertThat(swell.health().ready()).as("the old version still serves").isTrue();
    assertThat(meters.get("swell.model.loads").tags("outcome", "failure").timer().count()).isGreaterThanOrEqualTo(1);
    assertThat(p.predict("x", Tensor.of(new float[4], 1, 4)).version()).isEqualTo("1.0.2");

    swell.close();
    assertThat(swell.health().live()).isFalse();
    assertThat(meters.get("swell.models.resident").gauge().value()).isZero();
  }

  @Test
  @DisplayName("the runtime is a MeterBinder: a registry bound later sees the meters, present and future")
  void boundLater() {
    Path file = ReferenceBackendProvider.write(dir.resolve("late.ref"),
        "op", "mlp", "in", "4", "hidden", "8", "out", "2", "seed", "1");
    try (Swell swell = Swell.builder().build(); Predictor p = swell.load(file)) {
      p.predict("x", Tensor.of(new float[4], 1, 4));
      SimpleMeterRegistry first = new SimpleMeterRegistry();
      io.micrometer.core.instrument.binder.MeterBinder binder = swell;
      binder.bindTo(first);
      p.predict("x", Tensor.of(new float[4], 1, 4));
      assertThat(first.get("swell.predictions").tags("model", "late", "outcome", "success").timer().count())
          .as("only the call after binding").isEqualTo(1);
      assertThat(first.get("swell.models.resident").gauge().value()).isEqualTo(1);
      SimpleMeterRegistry second = new SimpleMeterRegistry();
      swell.bindTo(second);
      try (Predictor q = swell.load("other", file)) {
        q.predict("x", Tensor.of(new float[4], 1, 4));
        for (SimpleMeterRegistry r : java.util.List.of(first, second)) {
          assertThat(r.get("swell.predictions").tags("model", "other", "outcome", "success").timer().count()).isEqualTo(1);
          assertThat(r.get("swell.models.resident").gauge().value()).isEqualTo(2);
        }
      }
      // bug: a version's timers were removed when it closed, so one swapped out and back restarted from zero
      assertThat(second.get("swell.predictions").tags("model", "other", "outcome", "success").timer().count())
          .as("closed: its counts stay").isEqualTo(1);
      assertThat(second.get("swell.model.serving").tags("model", "other").gauge().value()).isZero();
    }
  }

  @Test
  @DisplayName("without a meter registry nothing is recorded and predictions work")
  void noRegistry() {
    Path file = ReferenceBackendProvider.write(dir.resolve("m.ref"), "op", "identity", "dtype", "float32");
    try (Swell swell = Swell.builder().build(); Predictor p = swell.load(file)) {
      assertThat(p.predict("x", Tensor.of(new float[] {1, 2}, 1, 2)).output("y").toFloatArray()).containsExactly(1, 2);
      assertThat(swell.health().live()).isTrue();
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier c) {
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(c::getAsBoolean);
  }
}

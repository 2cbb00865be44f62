package dev.swell.core;

import static dev.swell.core.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.drift.DriftMonitor;
import dev.swell.core.drift.DriftMonitor.DriftEvent;
import dev.swell.core.drift.DriftPolicy;
import dev.swell.core.drift.DriftReference;
import dev.swell.core.testkit.ReferenceBackendProvider;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drift monitoring wired into the runtime: monitors per model input, references from versions. */
class DriftWiringTest {

  @TempDir Path dir;

  private static final int FEATURES = 4;
  private static final DriftPolicy POLICY = DriftPolicy.defaults().withWindow(500, 1)
      .withCheckEvery(Duration.ofMillis(20));

  private final List<DriftEvent> events = new CopyOnWriteArrayList<>();

  /** An MLP over 4 features in its own folder, with an optional reference of the given means. */
  private Path version(String name, double[] referenceMeans) throws IOException {
    Path model = ReferenceBackendProvider.write(dir.resolve(name).resolve("model.ref"),
        "op", "mlp", "in", "" + FEATURES, "hidden", "8", "out", "2", "seed", "1");
    if (referenceMeans != null) {
      Random r = new Random(name.hashCode());
      StringBuilder csv = new StringBuilder("# a sample of the training data\nf0,f1,f2,f3\n");
      for (int row = 0; row < 2000; row++) {
        for (int f = 0; f < FEATURES; f++) {
          csv.append(f == 0 ? "" : ",").append(referenceMeans[f] + r.nextGaussian());
        }
        csv.append('\n');
      }
      Files.createDirectories(model.resolveSibling("drift"));
      Files.writeString(model.resolveSibling("drift").resolve("x.csv"), csv);
    }
    return model;
  }

  /** Sends rows of N(means, 1), 1 to 4 rows a request. */
  private static void traffic(Predictor p, Random r, int rows, double[] means) {
    int sent = 0;
    while (sent < rows) {
      int n = 1 + r.nextInt(4);
      float[] x = new float[n * FEATURES];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) (means[i % FEATURES] + r.nextGaussian());
      }
      p.predict(NamedTensors.of("x", Tensor.of(x, n, FEATURES)));
      sent += n;
    }
  }


  private boolean fired(int feature, boolean drifting) {
    return events.stream().anyMatch(e -> e.feature() == feature && e.drifting() == drifting);
  }

  private Swell.Builder builder() {
    return Swell.builder().discoverBackends(false).backend(new ReferenceBackendProvider()).driftPolicy(POLICY);
  }

  @Test
  @DisplayName("a version's drift/x.csv is the reference: in-distribution traffic stays quiet, a shifted feature fires")
  void referenceFromTheVersion() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Random r = new Random(1);
    double[] zero = new double[FEATURES];
    try (Swell swell = builder().meterRegistry(meters).build();
         Predictor p = swell.load("fraud", version("v1", zero))) {
      swell.onDrift(events::add);
      assertThat(swell.driftMonitors()).hasSize(1);
      DriftMonitor m = swell.driftMonitors().get(0);
      assertThat(m.hasReference()).isTrue();
      traffic(p, r, 600, zero);
      assertThat(m.check()).isTrue();
      for (int f = 0; f < FEATURES; f++) {
        assertThat(m.psi(f)).as("PSI of feature %d on reference traffic", f).isLessThan(0.1);
      }
      traffic(p, r, 600, new double[] {0, 0, 1, 0});
      await(() -> fired(2, true), "feature 2 to drift");
      assertThat(m.psi(2)).isGreaterThan(0.25);
      assertThat(meters.get("swell.drift.psi").tag("model", "fraud").tag("input", "x").tag("feature", "2")
          .gauge().value()).isGreaterThan(0.25);
      assertThat(meters.get("swell.drift.ks").tag("feature", "2").gauge().value()).isGreaterThan(0.2);
      assertThat(events).noneMatch(e -> e.feature() != 2);
      traffic(p, r, 600, zero);
      await(() -> fired(2, false), "feature 2 to recover");
    }
  }

  @Test
  @DisplayName("without a reference file the first window of traffic is the reference")
  void referenceFromTraffic() throws Exception {
    Random r = new Random(2);
    double[] zero = new double[FEATURES];
    try (Swell swell = builder().build(); Predictor p = swell.load("fraud", version("v1", null))) {
      swell.onDrift(events::add);
      DriftMonitor m = swell.driftMonitors().get(0);
      assertThat(m.hasReference()).isFalse();
      traffic(p, r, 520, zero);
      assertThat(m.hasReference()).isTrue();
      traffic(p, r, 600, zero);
      m.check();
      assertThat(m.psi(0)).isLessThan(0.1);
      traffic(p, r, 600, new double[] {-1.5, 0, 0, 0});
      await(() -> fired(0, true), "feature 0 to drift");
    }
  }

  @Test
  @DisplayName("a new version's reference replaces the old one: traffic that drifted from 1.0.0 is at home in 2.0.0")
  void swappedVersionBringsItsReference() throws Exception {
    HotReloadTest.MovableRepository repo = new HotReloadTest.MovableRepository();
    double[] shifted = {1, 1, 1, 1};
    repo.files.put("1.0.0", version("v1", new double[FEATURES]));
    repo.files.put("2.0.0", version("v2", shifted));
    repo.production = "1.0.0";
    Random r = new Random(3);
    try (Swell swell = builder().repository(repo).refreshInterval(Duration.ofSeconds(30)).build();
         Predictor p = swell.predictor("fraud", VersionSelector.alias("production"))) {
      swell.onDrift(events::add);
      traffic(p, r, 600, shifted);
      await(() -> fired(0, true) && fired(3, true), "drift from 1.0.0's reference");
      repo.move("2.0.0");
      await(() -> p.version().equals("2.0.0"), "the swap");
      traffic(p, r, 600, shifted);
      await(() -> fired(0, false) && fired(3, false), "recovery against 2.0.0's reference");
      assertThat(swell.driftMonitors()).hasSize(1);
    }
  }

  @Test
  @DisplayName("inputs that are not float with a fixed last dimension are not monitored")
  void onlyFixedWidthFloatInputs() throws Exception {
    Path identity = ReferenceBackendProvider.write(dir.resolve("id.ref"), "op", "identity", "dtype", "float32");
    Path ints = ReferenceBackendProvider.write(dir.resolve("int.ref"), "op", "identity", "dtype", "int32");
    try (Swell swell = builder().build(); Predictor a = swell.load(identity); Predictor b = swell.load(ints)) {
      assertThat(swell.driftMonitors()).isEmpty();
      a.predict(NamedTensors.of("x", Tensor.of(new float[6], 2, 3)));
    }
    try (Swell swell = Swell.builder().discoverBackends(false).backend(new ReferenceBackendProvider()).build();
         Predictor p = swell.load("fraud", version("v9", null))) {
      assertThat(swell.driftMonitors()).as("no drift policy, no monitors").isEmpty();
    }
  }

  @Test
  @DisplayName("reference CSV: header and comments skipped, a bad row named by its line")
  void referenceCsv() throws Exception {
    Path ok = Files.writeString(dir.resolve("ok.csv"), "# c\na,b\n1,2\n\n3, 4\n");
    double[][] cols = DriftReference.readCsv(ok, 2);
    assertThat(cols[0]).containsExactly(1, 3);
    assertThat(cols[1]).containsExactly(2, 4);
    Path bad = Files.writeString(dir.resolve("bad.csv"), "a,b\n1,2\n3,x\n");
    assertThatThrownBy(() -> DriftReference.readCsv(bad, 2)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 3");
    Path narrow = Files.writeString(dir.resolve("narrow.csv"), "1,2,3\n");
    assertThatThrownBy(() -> DriftReference.readCsv(narrow, 2)).hasMessageContaining("expected 2 columns, got 3");
    assertThatThrownBy(() -> DriftPolicy.defaults().withWindow(10, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("windowSize");
  }
}

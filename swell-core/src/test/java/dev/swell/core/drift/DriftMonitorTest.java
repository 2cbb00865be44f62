package dev.swell.core.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.swell.api.NamedTensors;
import dev.swell.api.Tensor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DriftMonitorTest {

  @Test
  @DisplayName("PSI and KS equal hand-computed values on a small fixed example")
  void handComputed() {
    double[] ref = {1, 2, 3, 4, 5, 6, 7, 8};
    double[] live = {1, 2, 3, 5, 6, 7, 8, 9};
    // 2 bins, edge = ref[4] = 5: reference 4/8 | 4/8, live 3/8 | 5/8
    double expectedPsi = (0.375 - 0.5) * Math.log(0.375 / 0.5) + (0.625 - 0.5) * Math.log(0.625 / 0.5);
    assertThat(expectedPsi).isCloseTo(0.063853, within(1e-6));
    assertThat(DriftStatistics.psi(ref, live, 2)).isCloseTo(expectedPsi, within(1e-12));
    // F_ref(4) = 4/8, F_live(4) = 3/8; F_ref(8) = 1, F_live(8) = 7/8: the largest gap is 1/8
    assertThat(DriftStatistics.ks(ref, live)).isEqualTo(0.125);
    assertThat(DriftStatistics.ks(ref, new double[] {100, 200})).isEqualTo(1.0);
    assertThat(DriftStatistics.ks(ref, ref)).isZero();
    assertThat(DriftStatistics.psi(ref, ref, 4)).isZero();
    // an empty live bin counts as 1e-4, so the PSI stays finite
    double empty = (1e-4 - 0.5) * Math.log(1e-4 / 0.5) + (1 - 0.5) * Math.log(1 / 0.5);
    assertThat(DriftStatistics.psi(ref, new double[] {6, 7}, 2)).isCloseTo(empty, within(1e-12));
  }

  private static NamedTensors rows(Random r, int n, double mean0, double mean1) {
    float[] x = new float[n * 2];
    for (int i = 0; i < n; i++) {
      x[2 * i] = (float) (mean0 + r.nextGaussian());
      x[2 * i + 1] = (float) (mean1 + 2 * r.nextGaussian());
    }
    return NamedTensors.of("x", Tensor.of(x, n, 2));
  }

  @Test
  @DisplayName("inputs from the reference distribution stay under PSI 0.1; a shifted feature goes over 0.25 and the listener fires, then recovers")
  void detectsShift() {
    Random r = new Random(42);
    double[][] reference = new double[2][5000];
    for (int i = 0; i < 5000; i++) {
      reference[0][i] = r.nextGaussian();
      reference[1][i] = 5 + 2 * r.nextGaussian();
    }
    DriftMonitor drift = DriftMonitor.builder("fraud", "x", 2).reference(reference).windowSize(2000).build();
    List<DriftMonitor.DriftEvent> events = new CopyOnWriteArrayList<>();
    drift.onDrift(events::add);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    drift.bindTo(meters);

    for (int i = 0; i < 250; i++) {
      drift.observe(rows(r, 8, 0, 5));
    }
    assertThat(drift.check()).isTrue();
    assertThat(drift.psi(0)).isLessThan(0.1);
    assertThat(drift.psi(1)).isLessThan(0.1);
    assertThat(drift.ks(0)).isLessThan(0.05);
    assertThat(events).isEmpty();
    double stablePsi = drift.psi(0);

    for (int i = 0; i < 250; i++) { // feature 0 shifts by one standard deviation
      drift.observe(rows(r, 8, 1, 5));
    }
    drift.check();
    assertThat(drift.psi(0)).isGreaterThan(0.25);
    assertThat(drift.psi(1)).isLessThan(0.1);
    assertThat(drift.ks(0)).isGreaterThan(0.3);
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.feature()).isZero();
      assertThat(e.drifting()).isTrue();
      assertThat(e.model()).isEqualTo("fraud");
    });
    assertThat(meters.get("swell.drift.psi").tags("model", "fraud", "input", "x", "feature", "0").gauge().value())
        .isEqualTo(drift.psi(0));

    for (int i = 0; i < 250; i++) {
      drift.observe(rows(r, 8, 0, 5));
    }
    drift.check();
    assertThat(events).hasSize(2);
    assertThat(events.get(1).drifting()).isFalse();
    System.out.printf("drift: PSI of feature 0 from the reference distribution %.4f, shifted by 1 sd %.4f"
        + " (KS %.3f)%n", stablePsi, events.get(0).psi(), events.get(0).ks());
  }

  @Test
  @DisplayName("without a given reference, the first window becomes the reference; sampling skips calls")
  void warmUpReferenceAndSampling() {
    Random r = new Random(1);
    DriftMonitor drift = DriftMonitor.builder("m", "x", 2).windowSize(500).sampleEvery(2).build();
    for (int i = 0; i < 250; i++) { // 125 sampled calls × 4 rows = the 500-row reference
      drift.observe(rows(r, 4, 0, 5));
    }
    assertThat(drift.check()).as("no live rows yet").isFalse();
    for (int i = 0; i < 250; i++) {
      drift.observe(rows(r, 4, 3, 5));
    }
    assertThat(drift.check()).isTrue();
    assertThat(drift.psi(0)).isGreaterThan(1);
    assertThat(drift.psi(1)).isLessThan(0.1);
    drift.observe(NamedTensors.of("x", Tensor.of(new int[2], 1, 2))); // ignored, not a failure
  }
}

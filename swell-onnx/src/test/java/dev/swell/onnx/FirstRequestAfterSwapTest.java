package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.MiniLm;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whether a swapped-in version is warm: the first request on it against the first request on a
 * version that has served before, both after the same pause.
 *
 * <p>A fair comparison needs care. A thread that slept is slow on its next call whatever it calls
 * (ONNX Runtime's workers went to sleep, caches went cold: 200+ us here after 20 ms of sleep), and
 * while a version loads and warms up, the other requests of a 2-core machine are slowed by that
 * work too. So the request thread never sleeps: while the alias moves it keeps calling a third,
 * pinned model, until the new version serves and the loader is idle again; then it calls the
 * alias. The control does the same without moving the alias.
 */
class FirstRequestAfterSwapTest {

  /** First request on a swapped-in version over the control's, at p50. */
  private static final double BOUND = 1.35;

  @TempDir Path dir;

  /** Medians and p90s in microseconds. */
  record Figures(String what, double firstP50, double firstP90, double controlP50, double controlP90,
      double control2P50, double steadyP50) {
    double ratio() {
      return firstP50 / controlP50;
    }

    /** The same ratio between two control groups: what noise alone gives. */
    double noiseRatio() {
      return control2P50 / controlP50;
    }

    @Override
    public String toString() {
      return String.format("%s: first request on a swapped-in version p50 %.1f p90 %.1f us; on the version"
              + " that served before, after the same pause, p50 %.1f p90 %.1f us (ratio of p50s %.2f; a second"
              + " control group gives %.2f); steady p50 %.1f us", what, firstP50, firstP90, controlP50, controlP90,
          ratio(), noiseRatio(), steadyP50);
    }
  }

  static Figures measure(String what, Path a, Path b, Path other, NamedTensors in, int warmupRuns, int cycles,
      long pauseNanos) throws Exception {
    SwapCyclesTest.FlipRepository repo = new SwapCyclesTest.FlipRepository(a, b);
    long[] first = new long[cycles];
    long[] control = new long[cycles];
    long[] control2 = new long[cycles];
    long[] steady = new long[cycles];
    try (Swell swell = Swell.builder().repository(repo).refreshInterval(Duration.ofSeconds(30))
        .warmupRuns(warmupRuns).build();
         Predictor p = swell.predictor("m", VersionSelector.alias("production"));
         Predictor busy = swell.load(other)) {
      for (int i = 0; i < 50; i++) {
        p.predict(in);
        busy.predict(in);
      }
      for (int cycle = 0; cycle < 3 * cycles; cycle++) {
        int group = cycle % 3; // 0: swap, 1 and 2: controls
        boolean swap = group == 0;
        for (int k = 0; k < 10; k++) {
          long t0 = System.nanoTime();
          p.predict(in);
          steady[cycle / 3] = System.nanoTime() - t0;
        }
        String target = repo.onB ? "1.0.0" : "2.0.0";
        if (swap) {
          repo.flip();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long quietFrom = swap ? Long.MAX_VALUE : System.nanoTime();
        // keep this thread busy on another model while the loader works, then a fixed pause more
        while (System.nanoTime() - quietFrom < pauseNanos) {
          busy.predict(in);
          if (quietFrom == Long.MAX_VALUE && p.version().equals(target)) {
            quietFrom = System.nanoTime();
          }
          assertThat(System.nanoTime()).as("swap %d", cycle).isLessThan(deadline);
        }
        long t0 = System.nanoTime();
        String served = p.predict(in).version();
        long took = System.nanoTime() - t0;
        if (swap) {
          assertThat(served).isEqualTo(target);
          first[cycle / 3] = took;
        } else {
          (group == 1 ? control : control2)[cycle / 3] = took;
        }
      }
    }
    Arrays.sort(first);
    Arrays.sort(control);
    Arrays.sort(control2);
    Arrays.sort(steady);
    return new Figures(what, first[cycles / 2] / 1e3, first[cycles * 9 / 10] / 1e3, control[cycles / 2] / 1e3,
        control[cycles * 9 / 10] / 1e3, control2[cycles / 2] / 1e3, steady[cycles / 2] / 1e3);
  }

  @Test
  @DisplayName("MLP: a swapped-in version answers its first request as fast as a version that served before")
  void mlp() throws Exception {
    NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, new SplittableRandom(1), 8, 64));
    Path a = OnnxModels.mlp(dir, 64, 256, 16, 1);
    Path b = OnnxModels.mlp(dir, 64, 256, 16, 2);
    Path c = OnnxModels.mlp(dir, 64, 256, 16, 3);
    Figures warm = measure("MLP 64-256-16 batch 8, warm-up 3", a, b, c, in, 3, 450, 2_000_000);
    Figures cold = measure("MLP 64-256-16 batch 8, no warm-up", a, b, c, in, 0, 450, 2_000_000);
    System.out.println(warm);
    System.out.println(cold);
    // Measured with ONNX Runtime 1.28.0, 150 cycles: ratio 0.87-1.16 with warm-up, 1.35-2.12 without
    // (a clean clone gave 1.46 once, under the old bound of 1.5); 450 cycles: 1.05-1.15 with warm-up
    // (control groups 0.94-1.03), 1.63-1.71 without. 1.29.0 gave 7.8-9.1 without (its first run cost
    // more). One bound for both, between them: the claim the warm case must stay under, and the
    // positive control that shows a cold start with it.
    assertThat(warm.ratio()).as("first request on a warmed, swapped-in version / control").isLessThan(BOUND);
    assertThat(cold.ratio()).as("first request on a cold, swapped-in version / control").isGreaterThan(BOUND);
  }

  @Test
  @DisplayName("MiniLM: a swapped-in version answers its first request as fast as a version that served before")
  void miniLm() throws Exception {
    Path a = MiniLm.modelFile();
    Path b = Files.copy(a, dir.resolve("minilm-b.onnx"));
    Path c = Files.copy(a, dir.resolve("minilm-c.onnx"));
    int seq = 32;
    NamedTensors in = NamedTensors.builder()
        .put(MiniLm.INPUT_IDS, Tensor.of(MiniLm.flatten(MiniLm.tokenIds(1, seq, 7)), 1, seq))
        .put(MiniLm.ATTENTION_MASK, Tensor.of(MiniLm.flatten(MiniLm.attentionMask(1, seq)), 1, seq))
        .put(MiniLm.TOKEN_TYPE_IDS, Tensor.of(MiniLm.flatten(MiniLm.tokenTypeIds(1, seq)), 1, seq))
        .build();
    Figures warm = measure("MiniLM seq 32, warm-up 3", a, b, c, in, 3, 30, 20_000_000);
    Figures cold = measure("MiniLM seq 32, no warm-up", a, b, c, in, 0, 30, 20_000_000);
    System.out.println(warm);
    System.out.println(cold);
    // The claim, with the MLP's bound: measured 0.99-1.05 with warm-up (control groups 0.98-1.06).
    // Without warm-up MiniLM's first request is no slower here (0.95), so the positive control of
    // this bound is the MLP's cold case above, not this model.
    assertThat(warm.ratio()).as("first request on a warmed, swapped-in MiniLM / control").isLessThan(BOUND);
  }
}

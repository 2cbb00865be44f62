package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
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
 * While MiniLM is loaded and warmed again and again on the loader thread, another model keeps
 * serving; its p99 latency is measured beside a quiet period and printed.
 */
class ReloadInterferenceTest {

  @TempDir Path dir;

  @Test
  @DisplayName("an MLP's p99 latency while MiniLM reloads repeatedly, against a quiet period")
  void otherModelTailLatency() throws Exception {
    Path minilmA = MiniLm.modelFile();
    Path minilmB = Files.copy(minilmA, dir.resolve("minilm-b.onnx"));
    SwapCyclesTest.FlipRepository repo = new SwapCyclesTest.FlipRepository(minilmA, minilmB);
    Path mlp = OnnxModels.mlp(dir, 16, 32, 4, 3);
    NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, new SplittableRandom(2), 1, 16));
    try (Swell swell = Swell.builder().repository(repo).refreshInterval(Duration.ofSeconds(30)).build();
         Predictor serving = swell.load(mlp);
         Predictor minilm = swell.predictor("m", VersionSelector.alias("production"))) {
      for (int i = 0; i < 20_000; i++) {
        serving.predict(in);
      }
      long[] quiet = measure(serving, in, 2_000_000_000L);
      int reloads = 0;
      long end = System.nanoTime() + 4_000_000_000L;
      long[][] busy = new long[1][];
      Thread measurer = new Thread(() -> busy[0] = measure(serving, in, 4_000_000_000L));
      measurer.start();
      while (System.nanoTime() < end) {
        String target = repo.onB ? "1.0.0" : "2.0.0";
        repo.flip();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!minilm.version().equals(target) && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
        reloads++;
      }
      measurer.join();
      double q99 = pct(quiet, 99);
      double b99 = pct(busy[0], 99);
      System.out.printf("reload interference: %d MiniLM reloads in 4 s; MLP p50 %.1f -> %.1f us, p99 %.1f -> %.1f us"
              + " (%+.0f%%), %d and %d calls%n", reloads, pct(quiet, 50), pct(busy[0], 50), q99, b99,
          (b99 / q99 - 1) * 100, quiet.length, busy[0].length);
      assertThat(reloads).isPositive();
      // measured here: -11%, -3%, +6% (target: at most +20%); asserted loosely, as CI machines are
      // shared, so that only a real interference (loads stalling other models) fails it
      assertThat(b99).as("p99 while reloading, us").isLessThan(q99 * 2);
      assertThat(busy[0].length).isPositive();
    }
  }

  private static long[] measure(Predictor p, NamedTensors in, long nanos) {
    long[] lat = new long[2_000_000];
    int n = 0;
    long end = System.nanoTime() + nanos;
    while (System.nanoTime() < end && n < lat.length) {
      long t0 = System.nanoTime();
      p.predict(in);
      lat[n++] = System.nanoTime() - t0;
    }
    long[] out = Arrays.copyOf(lat, n);
    Arrays.sort(out);
    return out;
  }

  private static double pct(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1000.0;
  }
}

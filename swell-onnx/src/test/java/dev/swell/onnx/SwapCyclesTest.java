package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.DType;
import dev.swell.api.ModelNotFoundException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.api.spi.ModelRepository;
import dev.swell.core.Swell;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 swaps of real ONNX Runtime sessions behind an alias: no native object is left open and
 * resident memory stays flat. The latency of the first request after each swap is measured and
 * printed (an open finding: see the comment at the end).
 */
class SwapCyclesTest {

  @TempDir Path dir;

  /** Two versions and an alias that flips between them. */
  static final class FlipRepository implements ModelRepository {
    final Path a;
    final Path b;
    volatile boolean onB;
    final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

    FlipRepository(Path a, Path b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public ModelArtifact resolve(String model, VersionSelector selector) {
      if (!selector.value().equals("production")) {
        throw new ModelNotFoundException("no " + selector, model, selector.toString());
      }
      return onB ? new ModelArtifact(model, "2.0.0", "onnx", b) : new ModelArtifact(model, "1.0.0", "onnx", a);
    }

    @Override
    public AutoCloseable watch(Consumer<String> listener) {
      listeners.add(listener);
      return () -> listeners.remove(listener);
    }

    void flip() {
      onB = !onB;
      listeners.forEach(l -> l.accept("m"));
    }
  }

  @Test
  @DisplayName("1,000 swap cycles: no native object left open, resident memory flat; first-request latency measured")
  void thousandSwaps() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/status")));
    FlipRepository repo = new FlipRepository(OnnxModels.mlp(dir, 64, 256, 16, 1), OnnxModels.mlp(dir, 64, 256, 16, 2));
    NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, new SplittableRandom(1), 8, 64));
    long sessionsBefore = OnnxNativeStats.openSessions();
    long[] first = new long[1000];
    long[] steady = new long[1000];
    long rssAt200 = 0;
    long rssAt1000 = 0;
    try (Swell swell = Swell.builder().repository(repo).refreshInterval(Duration.ofSeconds(30)).warmupRuns(3).build();
         Predictor p = swell.predictor("m", VersionSelector.alias("production"))) {
      for (int i = 0; i < 20; i++) {
        p.predict(in);
      }
      for (int cycle = 0; cycle < 1000; cycle++) {
        String target = repo.onB ? "1.0.0" : "2.0.0";
        repo.flip();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!p.version().equals(target)) {
          assertThat(System.nanoTime()).as("swap %d", cycle).isLessThan(deadline);
          // Sleep, do not spin: with this thread busy-spinning on one of the 2 cores while ORT
          // builds and tears down each session's thread pool, RSS grew ~440 KiB a swap although
          // every session was closed (an allocator effect, not an unclosed object; with sleep it
          // is flat, like plain load/close cycles).
          Thread.sleep(1);
        }
        long t0 = System.nanoTime();
        p.predict(in);
        first[cycle] = System.nanoTime() - t0;
        for (int k = 0; k < 5; k++) {
          p.predict(in);
        }
        t0 = System.nanoTime();
        p.predict(in);
        steady[cycle] = System.nanoTime() - t0;
        if (cycle == 199) {
          Thread.sleep(50); // let the retired session close
          rssAt200 = OnnxLoadCloseLeakTest.settledResidentKiB();
          System.out.println("heap committed at 200: " + Runtime.getRuntime().totalMemory() / 1024 + " KiB, used "
              + (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1024 + " KiB; threads "
              + Thread.activeCount());
        }
      }
      Thread.sleep(100);
      rssAt1000 = OnnxLoadCloseLeakTest.settledResidentKiB();
      System.out.println("heap committed at 1000: " + Runtime.getRuntime().totalMemory() / 1024 + " KiB, used "
          + (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1024 + " KiB; threads "
          + Thread.activeCount());
      assertThat(OnnxNativeStats.openSessions()).as("one session serving").isEqualTo(sessionsBefore + 1);
      assertThat(OnnxNativeStats.openTensors()).isZero();
    }
    assertThat(OnnxNativeStats.openSessions()).isEqualTo(sessionsBefore);
    Arrays.sort(first);
    Arrays.sort(steady);
    double firstMedian = first[500] / 1000.0;
    double steadyMedian = steady[500] / 1000.0;
    System.out.printf("swap cycles: 1000 swaps; RSS after 200 %d KiB, after 1000 %d KiB (%+d KiB over 800 swaps); "
            + "first request after a swap median %.1f us p90 %.1f us, steady median %.1f us p90 %.1f us%n",
        rssAt200, rssAt1000, rssAt1000 - rssAt200, firstMedian, first[900] / 1000.0, steadyMedian, steady[900] / 1000.0);
    // A session leaked per swap would cost ~290 KiB each (OnnxLoadCloseLeakTest): 230 MiB here.
    assertThat(rssAt1000 - rssAt200).as("RSS growth over 800 swaps, KiB").isLessThan(40 * 1024);
    // Likewise reported, not asserted: the first request on the request thread after a swap takes
    // about 4x a steady one (44 vs 12 us median) even when the new version was warmed on a recent
    // real request on the loader thread; the cost is per calling thread. Open finding.
    assertThat(firstMedian).as("first request after a swap, median us").isPositive();
    assertThat(steadyMedian).as("steady request, median us").isPositive();
  }
}

package dev.swell.samples.hotreload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serving runtime's main promise, on real parts: three ONNX versions in a file registry, a
 * predictor on the {@code production} alias, 8 threads predicting without pause, and 50 alias
 * moves back and forth — half by this process, half by another JVM. Every answer is checked
 * against the version it names; none may fail.
 */
class ServingUnderAliasMovesTest {

  @TempDir Path dir;

  private static final int IN = 16;

  @Test
  @DisplayName("8 threads, 50 alias moves (25 by another process): zero failed requests, every answer from the version it names")
  void zeroFailedRequests() throws Exception {
    Path root = dir.resolve("registry");
    FileModelRegistry registry = FileModelRegistry.open(root);
    for (int v = 1; v <= 3; v++) {
      registry.publish(PublishRequest.builder("scorer").file(OnnxModels.mlp(dir, IN, 64, 4, v))
          .version("1.0." + v).build());
    }
    registry.promote("scorer", SemVer.parse("1.0.1"), "production");

    // 32 inputs of 1 to 4 rows, and each version's answers to them, from pinned predictors
    SplittableRandom r = new SplittableRandom(11);
    List<NamedTensors> inputs = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      inputs.add(NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, 1 + i % 4, IN)));
    }
    Map<String, List<float[]>> oracle = new HashMap<>();

    Process mover = new ProcessBuilder(List.of(
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        AliasMover.class.getName(), root.toString()))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    PrintWriter toMover = new PrintWriter(mover.getOutputStream(), true, StandardCharsets.UTF_8);
    BufferedReader fromMover = new BufferedReader(new InputStreamReader(mover.getInputStream(), StandardCharsets.UTF_8));

    try (Swell swell = Swell.builder().repository(registry).build()) {
      for (int v = 1; v <= 3; v++) {
        try (Predictor pinned = swell.predictor("scorer", VersionSelector.exact("1.0." + v))) {
          List<float[]> answers = new ArrayList<>();
          for (NamedTensors in : inputs) {
            answers.add(pinned.predict(in).output("y").toFloatArray());
          }
          oracle.put("1.0." + v, answers);
        }
      }
      Predictor p = swell.predictor("scorer", VersionSelector.alias("production"));
      AtomicBoolean stop = new AtomicBoolean();
      AtomicBoolean moving = new AtomicBoolean();
      AtomicLong requests = new AtomicLong();
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      Set<String> served = ConcurrentHashMap.newKeySet();
      List<long[]> steady = new CopyOnWriteArrayList<>();
      List<long[]> duringMoves = new CopyOnWriteArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int seed = t;
        workers.add(pool.submit(() -> {
          SplittableRandom pick = new SplittableRandom(seed);
          long[] lat = new long[1 << 20];
          int n = 0;
          boolean phase = false;
          while (!stop.get()) {
            int i = pick.nextInt(inputs.size());
            long t0 = System.nanoTime();
            try {
              Prediction out = p.predict(inputs.get(i));
              long dt = System.nanoTime() - t0;
              served.add(out.version());
              if (!Arrays.equals(out.output("y").toFloatArray(), oracle.get(out.version()).get(i))) {
                failures.add(new AssertionError("answer differs from version " + out.version()));
              }
              if (moving.get() != phase) {
                (phase ? duringMoves : steady).add(Arrays.copyOf(lat, n));
                n = 0;
                phase = !phase;
              }
              if (n < lat.length) {
                lat[n++] = dt;
              }
              requests.incrementAndGet();
            } catch (Throwable e) {
              failures.add(e);
            }
          }
          (phase ? duringMoves : steady).add(Arrays.copyOf(lat, n));
          return null;
        }));
      }
      Thread.sleep(1000);
      moving.set(true);
      String[] targets = {"1.0.2", "1.0.1", "1.0.3", "1.0.1"};
      int byOtherProcess = 0;
      long movesStart = System.nanoTime();
      for (int move = 0; move < 50; move++) {
        String target = targets[move % targets.length];
        if (move % 2 == 1) {
          toMover.println("scorer " + target + " production");
          assertThat(fromMover.readLine()).isEqualTo("moved " + target);
          byOtherProcess++;
        } else {
          registry.promote("scorer", SemVer.parse(target), "production");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!p.version().equals(target)) {
          assertThat(System.nanoTime()).as("move %d to %s followed", move, target).isLessThan(deadline);
          Thread.sleep(1);
        }
        Thread.sleep(20);
      }
      double movesSeconds = (System.nanoTime() - movesStart) / 1e9;
      moving.set(false);
      Thread.sleep(1000);
      stop.set(true);
      for (Future<?> f : workers) {
        f.get(30, TimeUnit.SECONDS);
      }
      pool.shutdown();
      toMover.println();
      assertThat(mover.waitFor(30, TimeUnit.SECONDS)).isTrue();
      long swaps = swell.health().models().stream().filter(m -> m.selector().equals("alias production"))
          .findFirst().orElseThrow().swaps();
      long[] s = concat(steady);
      long[] m = concat(duringMoves);
      System.out.printf("serving under alias moves: %d requests, %d failed, %d swaps (%d moves by another process) in"
              + " %.1f s; latency steady p50 %.1f us p99 %.1f us (%d requests), during moves p50 %.1f us p99 %.1f us"
              + " (%d requests); versions served %s%n", requests.get(), failures.size(), swaps, byOtherProcess,
          movesSeconds, pct(s, 50), pct(s, 99), s.length, pct(m, 50), pct(m, 99), m.length, served);
      assertThat(failures).isEmpty();
      assertThat(swaps).isEqualTo(50);
      assertThat(byOtherProcess).isEqualTo(25);
      assertThat(served).containsExactlyInAnyOrder("1.0.1", "1.0.2", "1.0.3");
      assertThat(requests.get()).isGreaterThan(10_000);
      p.close();
    } finally {
      mover.destroy();
    }
  }

  private static long[] concat(List<long[]> parts) {
    return parts.stream().flatMapToLong(Arrays::stream).sorted().toArray();
  }

  private static double pct(long[] sorted, int p) {
    return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1000.0;
  }
}

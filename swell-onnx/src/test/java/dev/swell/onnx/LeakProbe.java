package dev.swell.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import dev.swell.api.DType;
import dev.swell.api.DeadlineExceededException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.RequestOptions;
import dev.swell.core.Swell;
import dev.swell.core.testkit.ChildJvm;
import dev.swell.core.testkit.Measure;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A child JVM that repeats one operation and prints its resident memory every {@code every}
 * cycles ({@code reading CYCLE KIB}), then {@code open SESSIONS TENSORS RESULTS}: modes
 * {@code load-close} (load, 4 predictions, close), {@code load-close-leak} (the same, plus one
 * 64 KiB native tensor never closed per cycle: the smallest leak worth catching) and
 * {@code cancel} (a call on a slow model cancelled 2 ms into its run, from 2 threads).
 *
 * <p>Arguments: mode, model folder, cycles, every.
 */
public final class LeakProbe {

  private LeakProbe() {}

  /**
   * Runs.
   *
   * @param args mode, folder, cycles, every
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    ChildJvm.exitWithParent();
    String mode = args[0];
    Path dir = Path.of(args[1]);
    int cycles = Integer.parseInt(args[2]);
    int every = Integer.parseInt(args[3]);
    List<OnnxTensor> leaked = new ArrayList<>();
    try (Swell swell = Swell.builder().warmupRuns(1).build()) {
      if (mode.equals("cancel")) {
        cancel(swell, dir, cycles, every);
      } else {
        Path model = OnnxModels.mlp(dir, 64, 256, 16, 8);
        NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, new SplittableRandom(1), 32, 64));
        for (int cycle = 1; cycle <= cycles; cycle++) {
          try (Predictor p = swell.load(model)) {
            for (int k = 0; k < 4; k++) {
              p.predict(in);
            }
          }
          if (mode.equals("load-close-leak")) {
            leaked.add(OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), FloatBuffer.allocate(16_384),
                new long[] {32, 512}));
          }
          if (cycle % every == 0) {
            System.out.println("reading " + cycle + " " + Measure.settledResidentKiB());
          }
        }
      }
    }
    System.out.println("open " + OnnxNativeStats.openSessions() + " " + OnnxNativeStats.openTensors() + " "
        + OnnxNativeStats.openResults() + " leaked " + leaked.size());
  }

  private static void cancel(Swell swell, Path dir, int cycles, int every) throws Exception {
    Path model = OnnxModels.slowChain(dir, 512, 50);
    NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, new SplittableRandom(2), 32, 512));
    RequestOptions twoMs = RequestOptions.builder().timeout(Duration.ofMillis(2)).build();
    try (Predictor p = swell.load(model)) {
      java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicInteger completed = new java.util.concurrent.atomic.AtomicInteger();
      Thread[] workers = new Thread[2];
      for (int w = 0; w < workers.length; w++) {
        workers[w] = new Thread(() -> {
          int c;
          while ((c = done.incrementAndGet()) <= cycles) {
            try {
              p.predict(in, twoMs);
              completed.incrementAndGet();
            } catch (DeadlineExceededException expected) {
              // cancelled in ONNX Runtime
            }
            if (c % every == 0) {
              System.out.println("reading " + c + " " + Measure.settledResidentKiB());
            }
          }
        });
        workers[w].start();
      }
      for (Thread w : workers) {
        w.join();
      }
      System.out.println("completed " + completed.get());
    }
  }
}

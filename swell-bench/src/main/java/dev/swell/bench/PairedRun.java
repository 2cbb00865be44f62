package dev.swell.bench;

import dev.swell.core.PredictBenchmark;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * Measures the variants of {@link PredictBenchmark} for one workload in one JVM, interleaved: in
 * each round every variant runs one block of about 150 ms, in a shuffled order, and the round
 * yields one ratio per variant against the reference's block of the same round. The median of
 * those paired ratios does not move when the machine's speed drifts between minutes, which
 * separate JMH forks cannot promise on a shared 2-core machine (there, the ratio of two unchanged
 * variants moved by up to 20% between runs).
 */
final class PairedRun {

  private static final long BLOCK_NANOS = 150_000_000L;

  private PairedRun() {}

  /** Per variant: per-round ratios against the reference, and bytes allocated per call. */
  record Result(Map<String, List<Double>> ratios, Map<String, Double> allocBytes, Map<String, Double> micros) {}

  static Result run(String workload, int rounds, long seed) throws Exception {
    PredictBenchmark b = new PredictBenchmark();
    b.workload = workload;
    b.setUp();
    try {
      Map<String, Callable<float[]>> variants = new LinkedHashMap<>();
      variants.put(Gate.REFERENCE, b::rawOrt);
      variants.put("swell", b::swell);
      variants.put("swellReusedTensor", b::swellReusedTensor);
      variants.put("swellObserved", b::swellObserved);
      variants.put("swellCached", b::swellCached);
      variants.put("djl", b::djl);
      Map<String, Integer> opsPerBlock = new LinkedHashMap<>();
      double sink = 0;
      for (var v : variants.entrySet()) { // warm-up, about 2 s each, and block sizing
        long start = System.nanoTime();
        int ops = 0;
        while (System.nanoTime() - start < 2_000_000_000L) {
          sink += v.getValue().call()[0];
          ops++;
        }
        opsPerBlock.put(v.getKey(), Math.max(3, (int) (ops * BLOCK_NANOS / 2_000_000_000L)));
      }
      com.sun.management.ThreadMXBean threads =
          (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long me = Thread.currentThread().getId();
      Map<String, List<Double>> ratios = new LinkedHashMap<>();
      Map<String, List<Double>> times = new LinkedHashMap<>();
      Map<String, List<Double>> allocs = new LinkedHashMap<>();
      Random order = new Random(seed);
      List<String> names = new ArrayList<>(variants.keySet());
      for (int round = 0; round < rounds; round++) {
        Collections.shuffle(names, order);
        Map<String, Double> nanosPerOp = new LinkedHashMap<>();
        for (String name : names) {
          Callable<float[]> call = variants.get(name);
          int ops = opsPerBlock.get(name);
          long bytes0 = threads.getThreadAllocatedBytes(me);
          long t0 = System.nanoTime();
          for (int i = 0; i < ops; i++) {
            sink += call.call()[0];
          }
          long t1 = System.nanoTime();
          long bytes1 = threads.getThreadAllocatedBytes(me);
          nanosPerOp.put(name, (t1 - t0) / (double) ops);
          allocs.computeIfAbsent(name, k -> new ArrayList<>()).add((bytes1 - bytes0) / (double) ops);
        }
        double ref = nanosPerOp.get(Gate.REFERENCE);
        for (var e : nanosPerOp.entrySet()) {
          times.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue() / 1000);
          if (!e.getKey().equals(Gate.REFERENCE)) {
            ratios.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue() / ref);
          }
        }
      }
      if (sink == 42.4242) {
        System.out.println(sink); // keeps the results alive
      }
      Map<String, Double> alloc = new LinkedHashMap<>();
      allocs.forEach((k, v) -> alloc.put(k, Gate.median(v)));
      Map<String, Double> micros = new LinkedHashMap<>();
      times.forEach((k, v) -> micros.put(k, Gate.median(v)));
      return new Result(ratios, alloc, micros);
    } finally {
      b.tearDown();
    }
  }
}

package dev.swell.bench;

import dev.swell.core.PredictBenchmark;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Measures the variants of {@link PredictBenchmark} for one workload in one JVM, interleaved: in
 * each round every variant runs one block of about 150 ms, in a shuffled order, and the round
 * yields one ratio per variant against the reference's block of the same round. The median of
 * those paired ratios does not move when the machine's speed drifts between minutes, which
 * separate JMH forks cannot promise on a shared 2-core machine (there, the ratio of two unchanged
 * variants moved by up to 20% between runs). A cache hit is also measured against
 * {@code keyWork}, the copying and hashing of the inputs that any hit must do, in the same round:
 * against a millisecond model a microsecond hit's ratio moves with everything but the hit. A cache
 * that never hits is also measured against the same requests skipping the cache on the same
 * loaded copy ({@code swellCacheMiss/skipped}).
 */
final class PairedRun {

  private static final long BLOCK_NANOS = 150_000_000L;
  private static final long QUICK_BLOCK_NANOS = 100_000_000L;

  /** The name of the calibration block that cache hits are measured against. */
  static final String KEY_WORK = "keyWork";

  private PairedRun() {}

  /** One call of a variant, returning a number read from its answer (primitive: no boxing). */
  @FunctionalInterface
  interface Op {
    double call() throws Exception;
  }

  /** Per variant: per-round ratios against the reference, and bytes allocated per call. */
  record Result(Map<String, List<Double>> ratios, Map<String, Double> allocBytes, Map<String, Double> micros) {}

  static Result run(String workload, int rounds, long seed, boolean withDjl, boolean quick) throws Exception {
    PredictBenchmark b = new PredictBenchmark();
    b.workload = workload;
    b.setUp();
    try {
      Map<String, Op> variants = new LinkedHashMap<>();
      variants.put(Gate.REFERENCE, () -> b.rawOrt()[0]);
      variants.put("swell", () -> b.swell()[0]);
      variants.put("swellReusedTensor", () -> b.swellReusedTensor()[0]);
      variants.put("swellObserved", () -> b.swellObserved()[0]);
      variants.put("swellCached", b::swellCached);
      variants.put("swellCacheMiss", () -> b.swellCacheMiss()[0]);
      variants.put("swellCacheSkipped", () -> b.swellCacheSkipped()[0]);
      if (withDjl) {
        variants.put("djl", () -> b.djl()[0]);
      }
      variants.put(KEY_WORK, b::keyWork);
      long block = quick ? QUICK_BLOCK_NANOS : BLOCK_NANOS;
      long warmup = quick ? 1_000_000_000L : 2_000_000_000L;
      Map<String, Integer> opsPerBlock = new LinkedHashMap<>();
      double sink = 0;
      for (var v : variants.entrySet()) { // warm-up, about 2 s each, and block sizing
        long start = System.nanoTime();
        int ops = 0;
        while (System.nanoTime() - start < warmup) {
          sink += v.getValue().call();
          ops++;
        }
        opsPerBlock.put(v.getKey(), Math.max(3, (int) (ops * block / warmup)));
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
          Op call = variants.get(name);
          int ops = opsPerBlock.get(name);
          long bytes0 = threads.getThreadAllocatedBytes(me);
          long t0 = System.nanoTime();
          for (int i = 0; i < ops; i++) {
            sink += call.call();
          }
          long t1 = System.nanoTime();
          long bytes1 = threads.getThreadAllocatedBytes(me);
          nanosPerOp.put(name, (t1 - t0) / (double) ops);
          allocs.computeIfAbsent(name, k -> new ArrayList<>()).add((bytes1 - bytes0) / (double) ops);
        }
        double ref = nanosPerOp.get(Gate.REFERENCE);
        double keyWork = nanosPerOp.get(KEY_WORK);
        for (var e : nanosPerOp.entrySet()) {
          times.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue() / 1000);
          if (!e.getKey().equals(Gate.REFERENCE) && !e.getKey().equals(KEY_WORK)) {
            ratios.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue() / ref);
          }
          if (e.getKey().equals("swellCacheMiss")) {
            // the never-hitting cache against the same requests skipping it, on the same loaded
            // copy: its own cost, without the difference between two sessions of the model
            ratios.computeIfAbsent("swellCacheMiss/skipped", k -> new ArrayList<>())
                .add(e.getValue() / nanosPerOp.get("swellCacheSkipped"));
          }
          if (e.getKey().equals("swellCached")) {
            // a hit is microseconds against a millisecond model: also judged against the work
            // every hit must do, measured in the same round (see PredictBenchmark.keyWork)
            ratios.computeIfAbsent("swellCached/keyWork", k -> new ArrayList<>()).add(e.getValue() / keyWork);
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

package dev.swell.bench;

import dev.swell.core.PredictBenchmark;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Throughput under concurrency, with and without dynamic batching: {@code --threads} client
 * threads (default 8) send batch-1 requests without pause to one model, in interleaved rounds of
 * 400 ms per variant, and each round yields the variants' throughput ratios against raw ONNX
 * Runtime (one shared session, called by every thread) in the same round. All sessions use one
 * intra-op thread. Prints the median ratios and the latency percentiles.
 *
 * <p>Run: {@code ./mvnw -B -q -pl swell-bench -am package exec:exec@throughput -DskipTests}
 * ({@code -Dthroughput.args="--threads 16 --rounds 20"}).
 */
public final class BatchingThroughput {

  private static final long BLOCK_NANOS = 400_000_000L;

  private BatchingThroughput() {}

  /** One way to serve a request. */
  interface Call {
    Object call() throws Exception;
  }

  /**
   * Runs the measurement.
   *
   * @param args {@code [--threads N] [--rounds N]}
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    List<Integer> threadCounts = List.of(8, 32);
    int rounds = 12;
    List<String> workloads = List.of("mlp-b1", "minilm-b1-s32");
    // Maven passes the optional arguments as one string, possibly empty
    args = String.join(" ", args).trim().isEmpty() ? new String[0] : String.join(" ", args).trim().split("\\s+");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--threads" -> threadCounts = Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--workloads" -> workloads = List.of(args[++i].split(","));
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    System.out.printf("%d rounds of %d ms per variant; ratios are rows/s against raw ORT unbatched with as many "
        + "threads; preBatched: one caller sending unbatched Swell requests of the forced batcher's mean rows%n",
        rounds, BLOCK_NANOS / 1_000_000);
    System.out.printf("%-16s %7s %-20s %10s %10s %10s %10s %10s%n", "workload", "threads", "variant", "rows/s",
        "ratio", "p50 us", "p99 us", "rows/call");
    for (String w : workloads) {
      for (int threads : threadCounts) {
        measure(w, threads, rounds);
      }
    }
  }

  private static void measure(String workload, int threads, int rounds) throws Exception {
    PredictBenchmark b = new PredictBenchmark(); // the same sessions, inputs and calls as the gate's
    b.workload = workload;
    b.setUp();
    Map<String, Call> variants = new LinkedHashMap<>();
    variants.put("rawOrt", b::rawOrt);
    variants.put("swell", b::swell);
    variants.put("swellBatched", b::swellBatched);
    variants.put("swellBatchedForced", b::swellBatchedForced);
    try {
      // the size of the forced batcher's joined calls under this many callers, for the pre-batched caller
      block(b::swellBatchedForced, threads, 1_000_000_000L, null);
      int k = Math.max(1, (int) Math.round(b.forcedMeters.get("swell.batch.rows").summary().mean()));
      variants.put("preBatched", () -> b.swellRows(k));
      Map<String, List<Double>> ratios = new LinkedHashMap<>();
      Map<String, List<Double>> rates = new LinkedHashMap<>();
      Map<String, List<Long>> latencies = new LinkedHashMap<>();
      for (var v : variants.entrySet()) {
        block(v.getValue(), threads, 1_000_000_000L, null); // warm-up
      }
      Random order = new Random(20261130);
      List<String> names = new ArrayList<>(variants.keySet());
      for (int round = 0; round < rounds; round++) {
        Collections.shuffle(names, order);
        Map<String, Double> rate = new HashMap<>();
        for (String name : names) {
          List<Long> lat = latencies.computeIfAbsent(name, key -> Collections.synchronizedList(new ArrayList<>()));
          rate.put(name, name.equals("preBatched") ? k * block(variants.get(name), 1, BLOCK_NANOS, lat)
              : block(variants.get(name), threads, BLOCK_NANOS, lat));
        }
        for (String name : variants.keySet()) {
          rates.computeIfAbsent(name, key -> new ArrayList<>()).add(rate.get(name));
          ratios.computeIfAbsent(name, key -> new ArrayList<>()).add(rate.get(name) / rate.get("rawOrt"));
        }
      }
      for (String name : variants.keySet()) {
        List<Long> lat = new ArrayList<>(latencies.get(name));
        Collections.sort(lat);
        String rows = name.equals("swellBatched")
            ? String.format("%.1f", b.batchedMeters.get("swell.batch.rows").summary().mean())
            : name.equals("swellBatchedForced") ? String.format("%.1f", b.forcedMeters.get("swell.batch.rows").summary().mean())
            : name.equals("preBatched") ? "" + k : "1";
        System.out.printf("%-16s %7d %-20s %10.0f %10.3f %10.1f %10.1f %10s%n", workload, threads, name,
            Gate.median(rates.get(name)), Gate.median(ratios.get(name)), lat.get(lat.size() / 2) / 1e3,
            lat.get(lat.size() * 99 / 100) / 1e3, rows);
      }
    } finally {
      b.tearDown();
    }
  }

  /** Runs the call from {@code threads} threads for a while; returns calls per second. */
  private static double block(Call call, int threads, long nanos, List<Long> latencies) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch done = new CountDownLatch(threads);
    long[] counts = new long[threads];
    List<Thread> ts = new ArrayList<>();
    Exception[] failure = new Exception[1];
    for (int t = 0; t < threads; t++) {
      int me = t;
      Thread th = new Thread(() -> {
        long[] sample = new long[4096];
        int n = 0;
        try {
          while (!stop.get()) {
            long t0 = System.nanoTime();
            call.call();
            long dt = System.nanoTime() - t0;
            if ((counts[me]++ & 15) == 0 && n < sample.length) {
              sample[n++] = dt;
            }
          }
        } catch (Exception e) {
          failure[0] = e;
        } finally {
          if (latencies != null) {
            for (int i = 0; i < n; i++) {
              latencies.add(sample[i]);
            }
          }
          done.countDown();
        }
      });
      ts.add(th);
    }
    long start = System.nanoTime();
    ts.forEach(Thread::start);
    Thread.sleep(nanos / 1_000_000);
    stop.set(true);
    done.await();
    long elapsed = System.nanoTime() - start;
    if (failure[0] != null) {
      throw failure[0];
    }
    return Arrays.stream(counts).sum() / (elapsed / 1e9);
  }
}

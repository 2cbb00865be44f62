package dev.swell.bench;

import dev.swell.core.PredictBenchmark;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Latency with batching on under open-loop arrivals: requests arrive on a schedule (evenly spaced,
 * or a Poisson process) at a fraction of the batcher's capacity, whatever the answers' pace, and
 * each request's latency counts from its scheduled arrival (so a stalled server is not hidden by
 * a client that waited). Capacity is the rows a second 32 closed-loop callers get from the
 * always-batching runtime ({@code BatchPolicy.maxRows(32).adaptive(false)}); requests run on a pool
 * of 64 threads. Prints p50, p99 and the largest latency for both arrival processes, their p99
 * ratio, the mean rows of a joined call and the compute time of one call of that many rows,
 * against which the batcher's bound (queue delay, zero here, plus twice a batch's compute time) is
 * checked.
 *
 * <p>Run: {@code ./mvnw -B -q -pl swell-bench -am package exec:exec@latency -DskipTests
 * [-Dlatency.args="--workloads mlp-b1 --load 0.7 --seconds 10"]}.
 */
public final class ArrivalLatency {

  private ArrivalLatency() {}

  /**
   * Runs the measurement.
   *
   * @param args {@code [--workloads a,b] [--load f] [--seconds s]}
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    List<String> workloads = List.of("mlp-b1", "minilm-b1-s32");
    double load = 0.7;
    int seconds = 10;
    args = String.join(" ", args).trim().isEmpty() ? new String[0] : String.join(" ", args).trim().split("\\s+");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--workloads" -> workloads = List.of(args[++i].split(","));
        case "--load" -> load = Double.parseDouble(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    System.out.printf("%-16s %-8s %10s %10s %10s %10s %10s %12s %12s%n", "workload", "arrivals", "rate/s",
        "p50 us", "p99 us", "max us", "rows/call", "batch us", "bound us");
    for (String w : workloads) {
      measure(w, load, seconds);
    }
  }

  private static void measure(String workload, double load, int seconds) throws Exception {
    PredictBenchmark b = new PredictBenchmark();
    b.workload = workload;
    b.setUp();
    ExecutorService pool = Executors.newFixedThreadPool(64);
    try {
      double capacity = closedLoop(b, 32, 3_000_000_000L);
      double rate = load * capacity;
      double[] p99 = new double[2];
      int i = 0;
      for (boolean poisson : new boolean[] {false, true}) {
        double rowsBefore = b.forcedMeters.get("swell.batch.rows").summary().totalAmount();
        long callsBefore = b.forcedMeters.get("swell.batch.rows").summary().count();
        long[] lat = openLoop(b, pool, rate, seconds, poisson);
        double rows = (b.forcedMeters.get("swell.batch.rows").summary().totalAmount() - rowsBefore)
            / Math.max(1, b.forcedMeters.get("swell.batch.rows").summary().count() - callsBefore);
        int k = Math.max(1, (int) Math.round(rows));
        double compute = computeMicros(b, k);
        Arrays.sort(lat);
        p99[i++] = lat[lat.length * 99 / 100] / 1e3;
        System.out.printf("%-16s %-8s %10.0f %10.1f %10.1f %10.1f %10.1f %12.1f %12.1f%n", workload,
            poisson ? "poisson" : "uniform", rate, lat[lat.length / 2] / 1e3, lat[lat.length * 99 / 100] / 1e3,
            lat[lat.length - 1] / 1e3, rows, compute, 2 * compute);
      }
      System.out.printf("%-16s p99 poisson / uniform = %.2f (capacity %.0f rows/s, load %.0f%%)%n", workload,
          p99[1] / p99[0], capacity, load * 100);
    } finally {
      pool.shutdownNow();
      b.tearDown();
    }
  }

  /** Rows a second from {@code threads} callers calling the always-batching runtime without pause. */
  private static double closedLoop(PredictBenchmark b, int threads, long nanos) throws Exception {
    AtomicInteger done = new AtomicInteger();
    long end = System.nanoTime() + nanos;
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread th = new Thread(() -> {
        while (System.nanoTime() < end) {
          b.swellBatchedForced();
          done.incrementAndGet();
        }
      });
      ts.add(th);
      th.start();
    }
    long t0 = System.nanoTime();
    for (Thread th : ts) {
      th.join();
    }
    return done.get() / ((System.nanoTime() - t0 + nanos) / 2e9); // the calls in about nanos
  }

  /** Requests at {@code rate} a second for a while; each latency from its scheduled arrival. */
  private static long[] openLoop(PredictBenchmark b, ExecutorService pool, double rate, int seconds,
      boolean poisson) throws Exception {
    int n = (int) (rate * seconds);
    long[] lat = new long[n];
    AtomicInteger finished = new AtomicInteger();
    SplittableRandom r = new SplittableRandom(20261202);
    double gap = 1e9 / rate;
    long start = System.nanoTime() + 10_000_000L;
    double at = 0;
    for (int i = 0; i < n; i++) {
      long due = start + (long) at;
      at += poisson ? -Math.log(1 - r.nextDouble()) * gap : gap;
      long wait = due - System.nanoTime();
      if (wait > 20_000) {
        LockSupport.parkNanos(wait);
      }
      int me = i;
      pool.execute(() -> {
        b.swellBatchedForced();
        lat[me] = System.nanoTime() - due;
        finished.incrementAndGet();
      });
    }
    while (finished.get() < n) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    return lat;
  }

  /** The median time of one unbatched call of {@code k} rows, in microseconds. */
  private static double computeMicros(PredictBenchmark b, int k) {
    int calls = 200;
    long[] t = new long[calls];
    for (int i = 0; i < calls; i++) {
      long t0 = System.nanoTime();
      b.swellRows(k);
      t[i] = System.nanoTime() - t0;
    }
    Arrays.sort(t);
    return t[calls / 2] / 1e3;
  }
}

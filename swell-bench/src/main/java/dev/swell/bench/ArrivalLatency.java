package dev.swell.bench;

import dev.swell.core.PredictBenchmark;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Latency with batching on under open-loop arrivals: requests arrive on a schedule (evenly spaced,
 * or a Poisson process) at a fraction of the batcher's capacity, whatever the answers' pace, and
 * each request's latency counts from its scheduled arrival (so a stalled server is not hidden by
 * a client that waited: the correction for coordinated omission). Capacity is the rows a second
 * 32 closed-loop callers get from the always-batching runtime ({@code
 * BatchPolicy.maxRows(32).adaptive(false)}, no queue delay). The arrivals are dealt in turn to 64
 * driver threads, each of which sleeps until its next arrival is due and then calls the runtime
 * itself (no hand-off to a pool). Prints, for both arrival processes: latency p50, p99 and the
 * largest; how late the drivers started their calls (p99: the driver's own share, a sleeping
 * thread's wake-up) and the p99 from the call's start; the rows of the joined calls (mean, p99) and the compute time of one call of
 * that many rows; and the batcher's bound, queue delay (zero) plus twice a batch's compute time,
 * for a batch of the p99 size over calls, and over requests (the batch a request was served in:
 * big batches serve more requests, so a request's p99 batch is larger than a call's). Then the p99 ratio of Poisson to uniform arrivals, and, as the
 * control, the same arrivals served without batching (each driver calling an unbatched runtime).
 *
 * <p>Run: {@code ./mvnw -B -q -pl swell-bench -am package exec:exec@latency -DskipTests
 * [-Dlatency.args="--workloads minilm-b1-s32 --load 0.7 --seconds 10"]}.
 */
public final class ArrivalLatency {

  private static final int DRIVERS = 64;

  private ArrivalLatency() {}

  /**
   * Runs the measurement.
   *
   * @param args {@code [--workloads a,b] [--load f] [--rounds n] [--seconds s, per condition and round]
   *     [--rate requests/s, instead of the load]}
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    List<String> workloads = List.of("mlp-b1", "minilm-b1-s32");
    double load = 0.7;
    double seconds = 2.5;
    int rounds = 8;
    double fixedRate = 0;
    args = String.join(" ", args).trim().isEmpty() ? new String[0] : String.join(" ", args).trim().split("\\s+");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--workloads" -> workloads = List.of(args[++i].split(","));
        case "--load" -> load = Double.parseDouble(args[++i]);
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--rate" -> fixedRate = Double.parseDouble(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    System.out.printf("%-14s %-8s %8s %9s %9s %9s %10s %10s %9s %9s %10s %10s %6s%n", "workload", "arrivals",
        "rate/s", "p50 us", "p99 us", "max us", "late p99", "served p99", "rows avg", "rows p99", "batch us", "bound us", "within");
    for (String w : workloads) {
      measure(w, load, rounds, seconds, fixedRate);
    }
  }

  private static final double[] ROW_BUCKETS = {1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32};
  private static final String[] CONDITIONS = {"uniform", "poisson", "uniform", "poisson"};

  private static void measure(String workload, double load, int rounds, double seconds, double fixedRate)
      throws Exception {
    PredictBenchmark b = new PredictBenchmark();
    b.workload = workload;
    b.setUp();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    meters.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        return id.getName().equals("swell.batch.rows") // buckets that keep counting for the whole run
            ? DistributionStatisticConfig.builder().serviceLevelObjectives(ROW_BUCKETS)
                .expiry(Duration.ofHours(1)).bufferLength(1).build().merge(config)
            : config;
      }
    });
    b.bindForced(meters);
    try {
      double capacity = closedLoop(b, 32, 3_000_000_000L);
      double rate = fixedRate > 0 ? fixedRate : load * capacity;
      List<List<long[][]>> timings = new ArrayList<>();
      double[][] rowCounts = new double[CONDITIONS.length][ROW_BUCKETS.length + 2];
      for (int c = 0; c < CONDITIONS.length; c++) {
        timings.add(new ArrayList<>());
      }
      List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3));
      Random shuffle = new Random(20261202);
      for (int round = 0; round < rounds; round++) {
        java.util.Collections.shuffle(order, shuffle);
        for (int c : order) {
          boolean batched = c < 2;
          double[] before = rowBuckets(meters);
          timings.get(c).add(openLoop(b, rate, seconds, c % 2 == 1, round * 4L + c,
              batched ? b::swellBatchedForced : b::swell));
          double[] after = rowBuckets(meters);
          for (int k = 0; k < after.length; k++) {
            rowCounts[c][k] += after[k] - before[k];
          }
        }
      }
      double[] p99 = new double[CONDITIONS.length];
      for (int c = 0; c < CONDITIONS.length; c++) {
        long[] lat = concat(timings.get(c), 0);
        long[] late = concat(timings.get(c), 1);
        long[] served = new long[lat.length];
        for (int j = 0; j < lat.length; j++) {
          served[j] = lat[j] - late[j];
        }
        Arrays.sort(lat);
        Arrays.sort(late);
        Arrays.sort(served);
        p99[c] = lat[lat.length * 99 / 100] / 1e3;
        String head = String.format("%-14s %-8s %8.0f %9.1f %9.1f %9.1f %10.1f %10.1f", workload, CONDITIONS[c],
            rate, lat[lat.length / 2] / 1e3, p99[c], lat[lat.length - 1] / 1e3, late[late.length * 99 / 100] / 1e3,
            served[served.length * 99 / 100] / 1e3);
        if (c >= 2) {
          System.out.println(head + "   (unbatched: every request its own call)");
          continue;
        }
        double[] counts = rowCounts[c]; // cumulative: calls of at most ROW_BUCKETS[k] rows; then calls, rows
        double calls = counts[ROW_BUCKETS.length];
        int k99 = 0;
        while (k99 < ROW_BUCKETS.length - 1 && counts[k99] < 0.99 * calls) {
          k99++;
        }
        double rowsMean = counts[ROW_BUCKETS.length + 1] / Math.max(1, calls);
        int rows99 = (int) ROW_BUCKETS[k99];
        // the batch a request was served in, p99 over requests: a call of k rows serves k of them
        // (each bucket's calls counted at its smallest size, so the figure errs low)
        double[] byRequests = new double[ROW_BUCKETS.length];
        for (int k = 0; k < ROW_BUCKETS.length; k++) {
          double lowest = k == 0 ? 1 : ROW_BUCKETS[k - 1] + 1;
          byRequests[k] = (k == 0 ? 0 : byRequests[k - 1]) + lowest * (counts[k] - (k == 0 ? 0 : counts[k - 1]));
        }
        int r99 = 0;
        while (r99 < ROW_BUCKETS.length - 1 && byRequests[r99] < 0.99 * byRequests[ROW_BUCKETS.length - 1]) {
          r99++;
        }
        int rowsReq99 = (int) ROW_BUCKETS[r99];
        double compute = computeMicros(b, rows99);
        double computeReq = rowsReq99 == rows99 ? compute : computeMicros(b, rowsReq99);
        System.out.printf("%s %9.2f %9d %10.1f %10.1f %6s | by requests: rows p99 %d, bound %.1f us, %s%n", head,
            rowsMean, rows99, compute, 2 * compute, p99[c] <= 2 * compute ? "yes" : "no", rowsReq99, 2 * computeReq,
            p99[c] <= 2 * computeReq ? "within" : "beyond");
      }
      System.out.printf("%-14s p99 poisson / uniform = %.2f batched, %.2f unbatched (capacity %.0f rows/s, "
          + "rate %.0f/s, %d rounds of %.1f s per condition)%n", workload, p99[1] / p99[0], p99[3] / p99[2],
          capacity, rate, rounds, seconds);
    } finally {
      b.tearDown();
    }
  }

  /** Cumulative counts of joined calls by rows (calls of at most each bucket's rows), then calls and rows. */
  private static double[] rowBuckets(SimpleMeterRegistry meters) {
    double[] out = new double[ROW_BUCKETS.length + 2];
    DistributionSummary s = meters.find("swell.batch.rows").summary();
    if (s == null) {
      return out;
    }
    out[ROW_BUCKETS.length] = s.count();
    out[ROW_BUCKETS.length + 1] = s.totalAmount();
    for (CountAtBucket c : s.takeSnapshot().histogramCounts()) {
      for (int k = 0; k < ROW_BUCKETS.length; k++) {
        if (c.bucket() == ROW_BUCKETS[k]) {
          out[k] = c.count();
        }
      }
    }
    return out;
  }

  private static long[] concat(List<long[][]> parts, int which) {
    int n = 0;
    for (long[][] p : parts) {
      n += p[which].length;
    }
    long[] out = new long[n];
    int at = 0;
    for (long[][] p : parts) {
      System.arraycopy(p[which], 0, out, at, p[which].length);
      at += p[which].length;
    }
    return out;
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

  /**
   * Requests at {@code rate} a second for a while, dealt in turn to the driver threads. Returns each
   * request's latency from its scheduled arrival and how late its driver started it.
   */
  private static long[][] openLoop(PredictBenchmark b, double rate, double seconds, boolean poisson, long seed,
      Runnable call) throws Exception {
    int n = (int) (rate * seconds);
    long[] due = new long[n];
    SplittableRandom r = new SplittableRandom(20261202 + seed);
    double gap = 1e9 / rate;
    long start = System.nanoTime() + 20_000_000L;
    double at = 0;
    for (int i = 0; i < n; i++) {
      due[i] = start + (long) at;
      at += poisson ? -Math.log(1 - r.nextDouble()) * gap : gap;
    }
    long[] lat = new long[n];
    long[] late = new long[n];
    List<Thread> drivers = new ArrayList<>();
    for (int d = 0; d < DRIVERS; d++) {
      int first = d;
      Thread t = new Thread(() -> {
        for (int i = first; i < n; i += DRIVERS) {
          long wait;
          while ((wait = due[i] - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
          }
          late[i] = System.nanoTime() - due[i];
          call.run();
          lat[i] = System.nanoTime() - due[i];
        }
      }, "driver-" + d);
      t.setDaemon(true);
      drivers.add(t);
      t.start();
    }
    for (Thread t : drivers) {
      t.join();
    }
    return new long[][] {lat, late};
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

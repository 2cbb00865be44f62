package dev.swell.core.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Measurements tests share: the process's resident memory, a least-squares slope over many
 * readings (how a leak is told from noise), and percentiles.
 */
public final class Measure {

  private Measure() {}

  /**
   * Returns the resident memory of this process.
   *
   * @return KiB from {@code /proc/self/status}, or -1 where there is none
   */
  public static long residentKiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }

  /**
   * Returns the resident memory after the Java heap was collected (a fixed heap does not shrink,
   * so only native memory moves).
   *
   * @return KiB
   */
  public static long settledResidentKiB() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return residentKiB();
  }

  /**
   * The least-squares slope of y over x.
   *
   * @param x the x values (cycles)
   * @param y the y values (KiB), as many
   * @return dy/dx
   */
  public static double slope(double[] x, double[] y) {
    int n = x.length;
    double mx = Arrays.stream(x).average().orElse(0);
    double my = Arrays.stream(y).average().orElse(0);
    double num = 0;
    double den = 0;
    for (int i = 0; i < n; i++) {
      num += (x[i] - mx) * (y[i] - my);
      den += (x[i] - mx) * (x[i] - mx);
    }
    return num / den;
  }

  /**
   * A percentile of values (nearest rank).
   *
   * @param values the values (sorted in place)
   * @param p from 0 to 100
   * @return the percentile
   */
  public static double percentile(long[] values, double p) {
    Arrays.sort(values);
    if (values.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100 * values.length) - 1;
    return values[Math.max(0, Math.min(values.length - 1, i))];
  }

  /**
   * Returns the JVM's garbage collections so far, to tell a pause of the JVM from a slow path.
   *
   * @return {count, milliseconds} summed over the collectors
   */
  public static long[] collections() {
    long count = 0;
    long millis = 0;
    for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, gc.getCollectionCount());
      millis += Math.max(0, gc.getCollectionTime());
    }
    return new long[] {count, millis};
  }

  /**
   * Describes the slowest values, for a failure message.
   *
   * @param nanos the measured times
   * @param n how many
   * @return e.g. {@code "slowest 57.1, 55.3, 52.0 ms"}
   */
  public static String slowestMillis(long[] nanos, int n) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    StringBuilder b = new StringBuilder("slowest");
    for (int i = sorted.length - 1; i >= Math.max(0, sorted.length - n); i--) {
      b.append(i == sorted.length - 1 ? " " : ", ").append(String.format("%.1f", sorted[i] / 1e6));
    }
    return b.append(" ms").toString();
  }

  /**
   * Waits as a caller with a deadline waits, on a plain thread: parks until {@code spinNanos}
   * before the end, then spins; the control for a deadline measurement, showing what this machine
   * itself loses in the same run.
   *
   * @param waitNanos how long to wait
   * @param spinNanos the spun end of the wait, 0 to park all of it
   * @return the nanoseconds it took (at least {@code waitNanos})
   */
  public static long plainWait(long waitNanos, long spinNanos) {
    long t0 = System.nanoTime();
    long deadline = t0 + waitNanos;
    long park = deadline - spinNanos - System.nanoTime();
    while (park > 0) {
      java.util.concurrent.locks.LockSupport.parkNanos(park);
      park = deadline - spinNanos - System.nanoTime();
    }
    while (System.nanoTime() - deadline < 0) {
      Thread.onSpinWait();
    }
    return System.nanoTime() - t0;
  }

  /**
   * A deadline made by hand on a plain worker, the control for a call with a deadline on a slow
   * model that waits (as the reference backend's {@code delay_ms} does): the worker waits up to
   * {@code workNanos} to be stopped, this thread waits as {@link #plainWait} does, stops it and
   * returns. The same threads wait and wake the same way as in a Swell call, less Swell.
   *
   * @return the nanoseconds until this thread returned; the worker is joined after that
   */
  public static long deadlineByHand(long waitNanos, long spinNanos, long workNanos,
      java.util.concurrent.ExecutorService worker) throws Exception {
    long t0 = System.nanoTime();
    java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.Future<?> run = worker.submit(() -> stop.await(workNanos, java.util.concurrent.TimeUnit.NANOSECONDS));
    plainWait(waitNanos - (System.nanoTime() - t0), spinNanos);
    stop.countDown();
    long took = System.nanoTime() - t0;
    run.get();
    return took;
  }
}

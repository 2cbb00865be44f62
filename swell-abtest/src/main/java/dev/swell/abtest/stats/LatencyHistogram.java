package dev.swell.abtest.stats;

import java.util.Map;
import java.util.TreeMap;

/**
 * Counts of latencies in log-spaced buckets (each 2% wider than the one before, from 1 µs to
 * about 17 minutes), so that a quantile such as p99 is known within 2% and histograms of several
 * replicas add up exactly. Thread-safe.
 */
public final class LatencyHistogram {

  private static final double GROWTH = 1.02;
  private static final double LOG_GROWTH = Math.log(GROWTH);
  /** Buckets: [1.02^i, 1.02^(i+1)) microseconds; bucket 0 also takes everything below 1 µs. */
  static final int BUCKETS = 1400;

  private final long[] counts = new long[BUCKETS];
  private long total;

  /** Creates an empty histogram. */
  public LatencyHistogram() {}

  /**
   * Adds one latency.
   *
   * @param micros microseconds, 0 or more
   */
  public synchronized void add(double micros) {
    counts[bucket(micros)]++;
    total++;
  }

  static int bucket(double micros) {
    if (!(micros > 1)) {
      return 0;
    }
    return (int) Math.min(BUCKETS - 1, Math.floor(Math.log(micros) / LOG_GROWTH));
  }

  /**
   * Adds another histogram's counts (a snapshot from {@link #counts()}).
   *
   * @param sparse bucket index to count
   */
  public synchronized void merge(Map<Integer, Long> sparse) {
    sparse.forEach((b, c) -> {
      if (b < 0 || b >= BUCKETS || c < 0) {
        throw new IllegalArgumentException("bad histogram bucket " + b + " = " + c);
      }
      counts[b] += c;
      total += c;
    });
  }

  /**
   * Returns the non-empty buckets, for saving and merging.
   *
   * @return bucket index to count
   */
  public synchronized Map<Integer, Long> counts() {
    Map<Integer, Long> out = new TreeMap<>();
    for (int i = 0; i < BUCKETS; i++) {
      if (counts[i] != 0) {
        out.put(i, counts[i]);
      }
    }
    return out;
  }

  /**
   * Returns how many latencies were added.
   *
   * @return the count
   */
  public synchronized long count() {
    return total;
  }

  /**
   * Returns a quantile: the upper edge of the bucket holding it.
   *
   * @param q in (0, 1), such as 0.99
   * @return microseconds, or NaN when empty
   */
  public synchronized double quantile(double q) {
    if (!(q > 0 && q < 1)) {
      throw new IllegalArgumentException("q must be in (0, 1), was " + q);
    }
    if (total == 0) {
      return Double.NaN;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return Math.pow(GROWTH, i + 1);
      }
    }
    return Math.pow(GROWTH, BUCKETS);
  }

  @Override
  public synchronized String toString() {
    return "LatencyHistogram[" + total + " samples, p50 " + (total == 0 ? "-" : quantile(0.5)) + " µs, p99 "
        + (total == 0 ? "-" : quantile(0.99)) + " µs" + "]";
  }
}

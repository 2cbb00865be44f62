package dev.swell.abtest.stats;

/**
 * A running summary of samples: count, mean and variance by Welford's method (stable for long
 * streams). Thread-safe: {@link #add} and {@link #snapshot} are synchronized, which is cheap next
 * to a model call.
 */
public final class Summary {

  /**
   * A summary at one moment.
   *
   * @param count samples
   * @param mean their mean, 0 when there are none
   * @param variance their sample variance (n - 1), 0 with fewer than two
   */
  public record Snapshot(long count, double mean, double variance) {
    /**
     * Returns the standard error of the mean.
     *
     * @return sqrt(variance / count), or NaN without samples
     */
    public double standardError() {
      return count == 0 ? Double.NaN : Math.sqrt(variance / count);
    }

    /**
     * Summarizes a rate as gbstats does ({@code ProportionStatistic}): mean {@code p}, variance
     * {@code p (1 - p)}.
     *
     * @param successes events, from 0 to trials
     * @param trials at least 0
     * @return the summary
     * @throws IllegalArgumentException if the counts are inconsistent
     */
    public static Snapshot ofRate(long successes, long trials) {
      if (trials < 0 || successes < 0 || successes > trials) {
        throw new IllegalArgumentException("expected 0 <= successes <= trials, got " + successes + "/" + trials);
      }
      double p = trials == 0 ? 0 : (double) successes / trials;
      return new Snapshot(trials, p, p * (1 - p));
    }

    /**
     * Summarizes values given as their count, sum and sum of squares (gbstats'
     * {@code SampleMeanStatistic}): the n - 1 variance.
     *
     * @param count n
     * @param sum the sum
     * @param sumOfSquares the sum of squares
     * @return the summary
     */
    public static Snapshot ofSums(long count, double sum, double sumOfSquares) {
      if (count < 1) {
        return new Snapshot(0, 0, 0);
      }
      double mean = sum / count;
      double variance = count > 1 ? (sumOfSquares - sum * sum / count) / (count - 1) : 0;
      return new Snapshot(count, mean, variance);
    }
  }

  private long count;
  private double mean;
  private double m2;

  /** Creates an empty summary. */
  public Summary() {}

  /**
   * Creates a summary that continues from a snapshot (one saved before a restart, say).
   *
   * @param from the snapshot
   * @return a summary holding the same count, mean and variance
   */
  public static Summary of(Snapshot from) {
    Summary s = new Summary();
    s.merge(from);
    return s;
  }

  /**
   * Adds the samples a snapshot summarizes (Chan et al.'s parallel update), as if each had been
   * added here: how summaries of several replicas combine.
   *
   * @param other a snapshot
   */
  public synchronized void merge(Snapshot other) {
    if (other.count() == 0) {
      return;
    }
    long n = count + other.count();
    double delta = other.mean() - mean;
    double otherM2 = other.variance() * (other.count() - 1);
    mean += delta * other.count() / n;
    m2 += otherM2 + delta * delta * ((double) count * other.count() / n);
    count = n;
  }

  /**
   * Adds a sample.
   *
   * @param x a finite value
   * @throws IllegalArgumentException if {@code x} is NaN or infinite
   */
  public synchronized void add(double x) {
    if (!Double.isFinite(x)) {
      throw new IllegalArgumentException("a sample must be finite, got " + x);
    }
    count++;
    double delta = x - mean;
    mean += delta / count;
    m2 += delta * (x - mean);
  }

  /**
   * Returns the summary now.
   *
   * @return count, mean, variance
   */
  public synchronized Snapshot snapshot() {
    return new Snapshot(count, mean, count > 1 ? m2 / (count - 1) : 0);
  }
}

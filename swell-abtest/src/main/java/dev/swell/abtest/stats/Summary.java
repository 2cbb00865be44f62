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
  }

  private long count;
  private double mean;
  private double m2;

  /** Creates an empty summary. */
  public Summary() {}

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

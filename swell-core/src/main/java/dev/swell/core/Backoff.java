package dev.swell.core;

import java.util.concurrent.TimeUnit;

/**
 * Retry pacing for a version that failed to load: 1 s after the first failure, doubling to 60 s,
 * reset by a success or by another version; and whether a failure is the first of its streak (the
 * one worth a warning). Not thread-safe: guarded by its predictor.
 */
final class Backoff {

  static final long FIRST_NANOS = TimeUnit.SECONDS.toNanos(1);
  static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final Ticker ticker;
  private String failing; // the version failing now, or null
  private long delay;
  private long retryAt;

  Backoff(Ticker ticker) {
    this.ticker = ticker;
  }

  /** Whether a version may be tried now. */
  boolean mayTry(String version) {
    return !version.equals(failing) || ticker.read() - retryAt >= 0;
  }

  /**
   * Records a failure of a version.
   *
   * @return true if it starts a streak (log it loudly), false if it continues one
   */
  boolean failed(String version) {
    boolean first = !version.equals(failing);
    delay = first ? FIRST_NANOS : Math.min(delay * 2, MAX_NANOS);
    failing = version;
    retryAt = ticker.read() + delay;
    return first;
  }

  /** The delay before the next try, in nanoseconds (0 when nothing failed). */
  long delayNanos() {
    return failing == null ? 0 : delay;
  }

  void succeeded() {
    failing = null;
    delay = 0;
  }

  String failing() {
    return failing;
  }
}

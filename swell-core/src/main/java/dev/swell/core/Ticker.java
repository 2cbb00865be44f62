package dev.swell.core;

/**
 * A source of monotonic nanoseconds: the runtime reads time only through one, so a test can drive
 * backoffs, deadlines and alert windows without waiting (Caffeine's {@code Ticker}).
 *
 * <pre>{@code
 * AtomicLong now = new AtomicLong();
 * Swell swell = Swell.builder().ticker(now::get).build();   // time moves when the test says
 * }</pre>
 */
@FunctionalInterface
public interface Ticker {

  /**
   * Returns the current time.
   *
   * @return nanoseconds from an arbitrary origin, never decreasing
   */
  long read();

  /**
   * Returns the system's monotonic clock.
   *
   * @return {@link System#nanoTime()}
   */
  static Ticker systemTicker() {
    return System::nanoTime;
  }
}

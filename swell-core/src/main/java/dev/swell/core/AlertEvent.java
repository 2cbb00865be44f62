package dev.swell.core;

/**
 * A model's latency or error rate crossed its {@link AlertPolicy} threshold (firing) or came back
 * under it (recovered).
 *
 * @param model the model
 * @param kind which measure
 * @param value the measured p99 in nanoseconds, or the error rate
 * @param threshold the threshold, in the same unit
 * @param firing true when it crossed the threshold, false when it recovered
 * @param samples calls in the window
 */
public record AlertEvent(String model, Kind kind, double value, double threshold, boolean firing, int samples)
    implements dev.swell.core.event.SwellEvent {

  /** What is measured. */
  public enum Kind {
    /** The p99 latency, in nanoseconds. */
    LATENCY_P99,
    /** The share of calls that failed in the backend. */
    ERROR_RATE
  }
}

package dev.swell.api;

/**
 * How a request ranks when a model is overloaded: {@link #LOW} requests are shed first (rejected
 * at once with an {@link OverloadException}) so that {@link #HIGH} ones keep their latency.
 */
public enum Priority {
  /** Interactive traffic: keeps the capacity reserved for it. The default. */
  HIGH,
  /** Sheddable traffic (backfills, prefetches): runs only on capacity high requests leave free. */
  LOW
}

package dev.swell.core;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model's recent calls in a ring buffer (time, latency, failed), written on the request path
 * with a few plain stores, and evaluated against an {@link AlertPolicy} on another thread.
 */
final class AlertMonitor {

  private static final Logger log = LoggerFactory.getLogger(AlertMonitor.class);
  static final int CAPACITY = 1 << 14;

  private final String model;
  private final AlertPolicy policy;
  private final LongSupplier nanoTime;
  private final List<Consumer<AlertEvent>> listeners;
  private final long[] at = new long[CAPACITY];
  private final long[] latency = new long[CAPACITY];
  private final boolean[] failed = new boolean[CAPACITY];
  private final AtomicLong next = new AtomicLong();
  private boolean latencyFiring; // evaluation thread only
  private boolean errorsFiring; // evaluation thread only

  AlertMonitor(String model, AlertPolicy policy, LongSupplier nanoTime, List<Consumer<AlertEvent>> listeners) {
    this.model = model;
    this.policy = policy;
    this.nanoTime = nanoTime;
    this.listeners = listeners;
  }

  long now() {
    return nanoTime.getAsLong();
  }

  /** Records one call. Racing writers may overwrite each other's slot: a lost sample, harmless. */
  void record(long startNanos, boolean error) {
    long end = nanoTime.getAsLong();
    int i = (int) (next.getAndIncrement() & (CAPACITY - 1));
    latency[i] = end - startNanos;
    failed[i] = error;
    at[i] = end;
  }

  /** Evaluates the window and fires events on changes. */
  void evaluate() {
    long now = nanoTime.getAsLong();
    long from = now - policy.window().toNanos();
    long filled = Math.min(next.get(), CAPACITY);
    long[] lat = new long[(int) filled];
    int n = 0;
    int errors = 0;
    for (int i = 0; i < filled; i++) {
      if (at[i] >= from && at[i] <= now) {
        lat[n++] = latency[i];
        if (failed[i]) {
          errors++;
        }
      }
    }
    if (n < policy.minSamples()) {
      return;
    }
    if (policy.p99Threshold() != null) {
      long[] sorted = Arrays.copyOf(lat, n);
      Arrays.sort(sorted);
      double p99 = sorted[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)];
      double threshold = policy.p99Threshold().toNanos();
      boolean firing = p99 > threshold;
      if (firing != latencyFiring) {
        latencyFiring = firing;
        fire(new AlertEvent(model, AlertEvent.Kind.LATENCY_P99, p99, threshold, firing, n));
      }
    }
    if (!Double.isNaN(policy.errorRateThreshold())) {
      double rate = (double) errors / n;
      boolean firing = rate > policy.errorRateThreshold();
      if (firing != errorsFiring) {
        errorsFiring = firing;
        fire(new AlertEvent(model, AlertEvent.Kind.ERROR_RATE, rate, policy.errorRateThreshold(), firing, n));
      }
    }
  }

  private void fire(AlertEvent e) {
    log.warn("alert: {}", e);
    for (Consumer<AlertEvent> l : listeners) {
      try {
        l.accept(e);
      } catch (RuntimeException ex) {
        log.warn("alert listener failed on {}", e, ex);
      }
    }
  }

  static List<Consumer<AlertEvent>> newListenerList() {
    return new CopyOnWriteArrayList<>();
  }
}

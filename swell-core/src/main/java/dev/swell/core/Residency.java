package dev.swell.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The versions loaded in one runtime, and which of them to unload when there are more than the
 * limit: the least recently used. An unloaded version stops taking calls at once and is closed on
 * the retire pool once its running calls finish; its predictors load it again on their next call.
 */
final class Residency {

  private static final Logger log = LoggerFactory.getLogger(Residency.class);

  private final int limit; // 0: no limit
  private final Set<HostedVersion> resident = ConcurrentHashMap.newKeySet();
  private final Executor retirePool;
  private final long drainTimeoutNanos;
  private final ModelMetrics metrics;

  Residency(int limit, Executor retirePool, long drainTimeoutNanos, ModelMetrics metrics) {
    this.limit = limit;
    this.retirePool = retirePool;
    this.drainTimeoutNanos = drainTimeoutNanos;
    this.metrics = metrics;
  }

  /** Records a newly loaded version and unloads the least recently used ones beyond the limit. */
  void add(HostedVersion fresh) {
    resident.add(fresh);
    enforce();
  }

  /**
   * Unloads the least recently used versions beyond the limit. Versions still warming up are
   * spared (they are checked again when their warm-up ends), so a load is never undone before it
   * served.
   */
  void enforce() {
    if (limit == 0) {
      return;
    }
    synchronized (this) { // one eviction pass at a time, so two loads do not pick the same victim
      while (true) {
        List<HostedVersion> candidates = new ArrayList<>();
        for (HostedVersion h : resident) {
          if (!h.isClosing()) {
            candidates.add(h);
          }
        }
        if (candidates.size() <= limit) {
          return;
        }
        HostedVersion victim = null;
        for (HostedVersion h : candidates) {
          if (!h.isWarming() && (victim == null || h.lastUsedNanos() - victim.lastUsedNanos() < 0)) {
            victim = h;
          }
        }
        if (victim == null) {
          return;
        }
        log.info("unloading model '{}' {}: {} versions resident, the limit is {}; it is loaded again "
            + "on its next call", victim.model(), victim.version(), candidates.size(), limit);
        evict(victim);
      }
    }
  }

  /** Whether there is a limit (and so whether calls must record when they ran). */
  boolean limited() {
    return limit > 0;
  }

  /** Forgets a closed version. */
  void remove(HostedVersion closed) {
    resident.remove(closed);
  }

  /**
   * Unloads the resident versions of a model.
   *
   * @param version one version, or null for all
   * @return how many were unloaded
   */
  int unload(String model, String version) {
    int n = 0;
    synchronized (this) {
      for (HostedVersion h : resident) {
        if (!h.isClosing() && h.model().equals(model) && (version == null || h.version().equals(version))) {
          evict(h);
          n++;
        }
      }
    }
    return n;
  }

  /** How many versions are loaded and taking calls. */
  int size() {
    int n = 0;
    for (HostedVersion h : resident) {
      if (!h.isClosing()) {
        n++;
      }
    }
    return n;
  }

  private void evict(HostedVersion h) {
    h.evict();
    metrics.recordEviction(h.model());
    try {
      retirePool.execute(() -> h.close(drainTimeoutNanos, TimeUnit.NANOSECONDS));
    } catch (java.util.concurrent.RejectedExecutionException runtimeClosing) {
      h.close(drainTimeoutNanos, TimeUnit.NANOSECONDS);
    }
  }
}

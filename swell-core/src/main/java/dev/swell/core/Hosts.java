package dev.swell.core;

import dev.swell.api.NamedTensors;
import dev.swell.api.OverloadException;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.core.event.VersionEvicted;
import dev.swell.core.event.VersionLoaded;
import dev.swell.core.event.VersionUnloaded;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The versions loaded in one runtime: one copy per (model, version), shared by every predictor
 * that selects it and counted by them ({@link #acquire}, {@link #release}); the last release closes
 * it. Loads run one at a time, so the resident memory a load adds can be measured and a version's
 * footprint known. Residency is bounded by a count and a memory budget: before a load the least
 * recently used versions are unloaded to make room (never one still warming up); a version that
 * cannot fit even alone is refused. An unloaded version refuses new calls at once and closes on the
 * retire pool once running calls finish; its predictors load it again on their next call.
 */
final class Hosts {

  private static final Logger log = LoggerFactory.getLogger(Hosts.class);

  /** Loads an artifact into a backend and builds its pipeline, without warming it. */
  interface Loader {
    HostedVersion load(ModelArtifact artifact);
  }

  /** What {@link #acquire} returns: the copy, and whether this call loaded it. */
  record Lease(HostedVersion host, boolean fresh) {}

  private record Key(String model, String version, Path file) {}

  private final Loader loader;
  private final int maxVersions; // 0: no limit
  private final long memoryBudget; // 0: no budget
  /**
   * What loads are planned within: the budget less a tenth, left for what no load measures (the
   * allocator's fragments, the buffers of running calls, the variation between loads of one file).
   */
  private final long plannedBudget;
  private final Executor retirePool;
  private final long drainTimeoutNanos;
  private final ModelMetrics metrics;
  private final Events events;
  private final Map<Key, HostedVersion> hosted = new ConcurrentHashMap<>(); // guarded by this for changes
  /** Footprints measured at earlier loads, by file: the estimate for the next load of it. */
  private final Map<Path, Measured> measured = new ConcurrentHashMap<>();
  private final ReentrantLock loading = new ReentrantLock();

  Hosts(Loader loader, int maxVersions, long memoryBudget, Executor retirePool, long drainTimeoutNanos,
      ModelMetrics metrics, Events events) {
    this.loader = loader;
    this.maxVersions = maxVersions;
    this.memoryBudget = memoryBudget;
    this.plannedBudget = memoryBudget - memoryBudget / 10;
    this.retirePool = retirePool;
    this.drainTimeoutNanos = drainTimeoutNanos;
    this.metrics = metrics;
    this.events = events;
  }

  private static Key key(ModelArtifact a) {
    return new Key(a.name(), a.version(), a.file().toAbsolutePath().normalize());
  }

  /**
   * Returns the loaded copy of a version, counting the caller as one of its users: the one that
   * serves already, or a fresh one, loaded and warmed now (on the calling thread).
   *
   * @param recent a recent request to warm a fresh copy with, or null
   * @throws OverloadException if the version cannot fit the memory budget
   * @throws RuntimeException whatever loading or warming threw
   */
  Lease acquire(ModelArtifact artifact, NamedTensors recent, int warmupRuns) {
    Key key = key(artifact);
    synchronized (this) {
      HostedVersion h = hosted.get(key);
      if (h != null && !h.isClosing()) {
        h.refs++;
        return new Lease(h, false);
      }
    }
    loading.lock(); // one load at a time: concurrent acquirers of the same version wait for it
    try {
      synchronized (this) {
        HostedVersion h = hosted.get(key);
        if (h != null && !h.isClosing()) {
          h.refs++;
          return new Lease(h, false);
        }
      }
      makeRoom(artifact, key);
      if (memoryBudget > 0) {
        ResidentMemory.trim(); // so that what the load adds is new memory, not reused free lists
      }
      long before = ResidentMemory.bytes();
      boolean peakKnown = memoryBudget > 0 && ResidentMemory.resetPeak();
      long start = System.nanoTime();
      HostedVersion fresh = loader.load(artifact);
      try {
        fresh.warmUp(warmupRuns, recent);
      } catch (RuntimeException e) {
        fresh.close(drainTimeoutNanos, TimeUnit.NANOSECONDS);
        throw e;
      }
      long peak = peakKnown ? ResidentMemory.peakBytes() : -1;
      if (memoryBudget > 0) {
        ResidentMemory.trim(); // the load's transient buffers are not part of what the version keeps
      }
      long after = ResidentMemory.bytes();
      long footprint = footprint(key.file(), before < 0 || after < 0 ? -1 : after - before,
          before < 0 || peak < 0 ? -1 : peak - before);
      fresh.footprintBytes(footprint);
      synchronized (this) {
        fresh.refs = 1;
        hosted.put(key, fresh);
      }
      metrics.loaded(fresh.model(), fresh.version());
      Measured m = measured.get(key.file());
      log.info("loaded model '{}' {} from {} on {} in {} ms ({} MiB resident, {} MiB at the load's peak): {}",
          fresh.model(), fresh.version(), artifact.file(), fresh.device(), (System.nanoTime() - start) / 1_000_000,
          footprint >> 20, (m == null ? footprint : m.peak()) >> 20, fresh.signature());
      events.publish(new VersionLoaded(fresh.model(), fresh.version(), fresh.device(), fresh.loadTime(), footprint,
          m == null ? -1 : m.peak()));
      enforceCount();
      enforceBudget(fresh);
      return new Lease(fresh, true);
    } finally {
      loading.unlock();
    }
  }

  /**
   * One user fewer; the last one closes the copy: now, waiting for its running calls (a predictor
   * closing), or on the retire pool (a swap, off the loader thread).
   */
  void release(HostedVersion h, boolean later) {
    boolean last;
    synchronized (this) {
      h.refs--;
      last = h.refs <= 0;
      if (last) {
        hosted.remove(key(h.artifact()), h);
      }
    }
    if (last) {
      if (later) {
        retire(h);
      } else {
        closeNow(h);
      }
    }
  }

  private void closeNow(HostedVersion h) {
    if (h.close(drainTimeoutNanos, TimeUnit.NANOSECONDS)) {
      metrics.closed(h.model(), h.version());
      if (memoryBudget > 0) {
        ResidentMemory.trim(); // under a budget, freed memory must really go
      }
      events.publish(new VersionUnloaded(h.model(), h.version()));
    }
  }

  /**
   * Makes room for a load: unloads least recently used versions until the count and the memory
   * budget allow the new one: what the resident ones keep plus the load's peak (measured at an
   * earlier load of the file, else estimated from its size) within the budget.
   */
  private void makeRoom(ModelArtifact artifact, Key key) {
    long need = expected(key.file());
    if (memoryBudget > 0 && need > plannedBudget) {
      throw new OverloadException("loading the version needs about " + mib(need) + " MiB and the memory budget is "
          + mib(memoryBudget) + " MiB; it is not loaded (raise Swell.builder().memoryBudget)", artifact.name(),
          artifact.version());
    }
    while (true) {
      List<HostedVersion> live = live();
      long used = live.stream().mapToLong(h -> Math.max(0, h.footprintBytes())).sum();
      boolean countOk = maxVersions == 0 || live.size() < maxVersions;
      boolean bytesOk = memoryBudget == 0 || used + need <= plannedBudget;
      if (countOk && bytesOk) {
        return;
      }
      HostedVersion victim = leastRecentlyUsed(live);
      if (victim == null) {
        if (!bytesOk) {
          throw new OverloadException("loading the version needs about " + mib(need) + " MiB; " + mib(used) + " of the "
              + mib(memoryBudget) + " MiB budget are held by versions still warming up; retry later",
              artifact.name(), artifact.version());
        }
        return; // only warming versions: the count is checked again when they serve
      }
      evictNow(victim, !countOk ? live.size() + " versions resident, the limit is " + maxVersions
          : "the memory budget of " + mib(memoryBudget) + " MiB holds " + mib(used) + " MiB, " + mib(need)
              + " MiB more are needed");
    }
  }

  /** After a load: unloads versions beyond the count limit. */
  private void enforceCount() {
    if (maxVersions == 0) {
      return;
    }
    while (true) {
      List<HostedVersion> live = live();
      if (live.size() <= maxVersions) {
        return;
      }
      HostedVersion victim = leastRecentlyUsed(live);
      if (victim == null) {
        return;
      }
      evict(victim, live.size() + " versions resident, the limit is " + maxVersions);
    }
  }

  /** After a load that took more than expected: unloads others until the budget holds again. */
  private void enforceBudget(HostedVersion fresh) {
    if (memoryBudget == 0) {
      return;
    }
    while (true) {
      List<HostedVersion> live = live();
      long used = live.stream().mapToLong(h -> Math.max(0, h.footprintBytes())).sum();
      if (used <= plannedBudget) {
        return;
      }
      live.remove(fresh);
      HostedVersion victim = leastRecentlyUsed(live);
      if (victim == null) {
        return;
      }
      evictNow(victim, "the memory budget of " + mib(memoryBudget) + " MiB holds " + mib(used) + " MiB");
    }
  }

  private List<HostedVersion> live() {
    List<HostedVersion> out = new ArrayList<>();
    for (HostedVersion h : hosted.values()) {
      if (!h.isClosing()) {
        out.add(h);
      }
    }
    return out;
  }

  private static HostedVersion leastRecentlyUsed(List<HostedVersion> live) {
    HostedVersion victim = null;
    for (HostedVersion h : live) {
      if (!h.isWarming() && (victim == null || h.lastUsedNanos() - victim.lastUsedNanos() < 0)) {
        victim = h;
      }
    }
    return victim;
  }

  /** Evicts and closes now (making room for a load: its memory must be free before the load measures). */
  private void evictNow(HostedVersion h, String reason) {
    evict(h, reason, true);
  }

  private void evict(HostedVersion h, String reason) {
    evict(h, reason, false);
  }

  private void evict(HostedVersion h, String reason, boolean closeNow) {
    synchronized (this) {
      hosted.remove(key(h.artifact()), h);
    }
    h.evict();
    metrics.recordEviction(h.model());
    log.info("unloading model '{}' {}: {}; it is loaded again on its next call", h.model(), h.version(), reason);
    events.publish(new VersionEvicted(h.model(), h.version(), reason));
    if (closeNow) {
      closeNow(h);
    } else {
      retire(h);
    }
  }

  private void retire(HostedVersion h) {
    try {
      retirePool.execute(() -> closeNow(h));
    } catch (RejectedExecutionException runtimeClosing) {
      closeNow(h);
    }
  }

  /**
   * Unloads the resident copies of a model now.
   *
   * @param version one version, or null for all
   * @return how many were unloaded
   */
  int unload(String model, String version) {
    int n = 0;
    for (HostedVersion h : live()) {
      if (h.model().equals(model) && (version == null || h.version().equals(version))) {
        evict(h, "unloaded on request");
        n++;
      }
    }
    return n;
  }

  /** How many versions are loaded and taking calls. */
  int size() {
    return live().size();
  }

  /** The resident memory the loaded versions were measured to add. */
  long footprint() {
    return live().stream().mapToLong(h -> Math.max(0, h.footprintBytes())).sum();
  }

  /** Closes every copy (the runtime is closing). */
  void closeAll() {
    List<HostedVersion> all;
    synchronized (this) {
      all = new ArrayList<>(hosted.values());
      hosted.clear();
    }
    for (HostedVersion h : all) {
      if (h.close(drainTimeoutNanos, TimeUnit.NANOSECONDS)) {
        metrics.closed(h.model(), h.version());
      }
    }
  }

  /** What loads of a file took: resident memory kept after the load, and at the load's peak. */
  private record Measured(long kept, long peak) {}

  /**
   * A version's footprint: what its load added to the resident memory once the load's transient
   * buffers were freed (freed memory was given back to the OS before and after it, so little is
   * reused), never less than its file's size (the weights it holds) and the least of its loads so
   * far (the process's first load also pays one-time costs); kept per file with the largest peak of
   * its loads: the room the next load of it needs.
   */
  private long footprint(Path file, long kept, long peak) {
    Measured known = measured.get(file);
    long size = Math.max(1, fileSize(file));
    long k = Math.max(kept, size);
    if (known != null && (kept < 0 || known.kept() < k)) {
      k = known.kept(); // an earlier load measured less: this one paid something else (one-time costs, noise)
    }
    long p = Math.max(Math.max(peak, known == null ? -1 : known.peak()), k); // peaks vary: keep the largest
    synchronized (this) {
      peakRatio = Math.max(peakRatio, (double) p / size);
    }
    measured.put(file, new Measured(k, p));
    return k;
  }

  /**
   * The largest load peak / file size measured so far, guarded by this; before any measurement,
   * ONNX Runtime's usual peak (the file read, its initializers copied and pre-packed).
   */
  private double peakRatio = 4;

  /**
   * The room a load of a file needs: the largest peak measured at its earlier loads, else its size
   * times the largest ratio seen.
   */
  private long expected(Path file) {
    Measured known = measured.get(file);
    if (known != null) {
      return known.peak();
    }
    synchronized (this) {
      return (long) (fileSize(file) * peakRatio);
    }
  }

  private static long fileSize(Path file) {
    try {
      return Files.size(file);
    } catch (java.io.IOException e) {
      return 0;
    }
  }

  private static long mib(long bytes) {
    return bytes >> 20;
  }

  @Override
  public String toString() {
    return "Hosts" + Objects.toString(hosted.keySet());
  }
}

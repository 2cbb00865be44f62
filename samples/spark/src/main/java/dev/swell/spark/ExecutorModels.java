package dev.swell.spark;

import dev.swell.api.IntegrityException;
import dev.swell.api.ModelNotFoundException;
import dev.swell.api.Predictor;
import dev.swell.api.spi.BackendConfig;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.core.Swell;
import dev.swell.registry.FileEntry;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.ModelVersion;
import dev.swell.registry.SemVer;
import dev.swell.registry.signing.SigningKeys;
import dev.swell.registry.signing.TrustPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model copies of one executor JVM: one {@link Swell} and one loaded version per plan, shared
 * by every task and partition that runs in the JVM and counted by reference. A copy no task holds
 * is closed after the plan's idle time, or when the executor ends ({@link SwellSparkPlugin}), or
 * by {@link #closeAll()}.
 */
final class ExecutorModels {

  private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);
  private static final Map<String, Copy> COPIES = new HashMap<>();
  private static final AtomicLong LOADS = new AtomicLong();
  private static ScheduledExecutorService reaper;

  private ExecutorModels() {}

  /** A task's hold on a copy; closing it gives the hold back (once). */
  static final class Lease implements AutoCloseable {
    private final Copy copy;
    private final long idleMillis;
    private boolean closed;

    private Lease(Copy copy, long idleMillis) {
      this.copy = copy;
      this.idleMillis = idleMillis;
    }

    Predictor predictor() {
      Predictor p = copy.predictor;
      if (p == null) {
        throw new IllegalStateException("this executor's model copies were closed (the executor is ending)");
      }
      return p;
    }

    @Override
    public void close() {
      synchronized (COPIES) {
        if (closed) {
          return;
        }
        closed = true;
        release(copy, idleMillis);
      }
    }
  }

  /** A copy: loading (its future not done), loaded, or closed. Fields guarded by COPIES. */
  private static final class Copy {
    final String key;
    final CompletableFuture<Void> ready = new CompletableFuture<>();
    volatile Swell swell;
    volatile Predictor predictor;
    int refs;
    boolean closed;
    ScheduledFuture<?> pendingClose;

    Copy(String key) {
      this.key = key;
    }
  }

  /**
   * Holds this JVM's copy of one of a plan's versions, loading and verifying it first if there is
   * none. The load runs outside the table's lock: tasks of other versions, leases given back and
   * idle releases do not wait for it; tasks wanting the same version wait for that one load.
   *
   * @param plan the pinned plan
   * @param pin which of its versions
   * @return the lease; close it when the task is done
   */
  static Lease acquire(ScoringPlan plan, int pin) {
    String key = plan.copyKey(pin);
    Copy c;
    boolean loader = false;
    synchronized (COPIES) {
      c = COPIES.get(key);
      if (c == null) {
        c = new Copy(key);
        COPIES.put(key, c);
        loader = true;
      }
      if (c.pendingClose != null) {
        c.pendingClose.cancel(false);
        c.pendingClose = null;
      }
      c.refs++;
    }
    if (loader) {
      try {
        Loaded l = load(plan, plan.pins().get(pin));
        synchronized (COPIES) {
          c.swell = l.swell;
          c.predictor = l.predictor;
          if (c.closed) { // the executor ended while this loaded
            closeNow(c);
            throw new IllegalStateException("the executor is ending; " + plan.model() + " not loaded");
          }
        }
        LOADS.incrementAndGet();
        if (plan.loads() != null) {
          plan.loads().add(1);
        }
        c.ready.complete(null);
      } catch (RuntimeException | Error e) {
        synchronized (COPIES) {
          c.refs--;
          COPIES.remove(key, c); // the next task tries again
        }
        c.ready.completeExceptionally(e);
        throw e;
      }
    } else {
      try {
        c.ready.get();
      } catch (InterruptedException | ExecutionException e) {
        synchronized (COPIES) {
          c.refs--;
        }
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while another task loaded " + plan.model(), e);
        }
        Throwable cause = e.getCause();
        throw cause instanceof RuntimeException ? (RuntimeException) cause
            : new IllegalStateException("another task failed to load " + plan.model(), cause);
      }
    }
    return new Lease(c, plan.idleReleaseMillis());
  }

  /** Gives a hold back; the last one schedules the copy's close after the giver's idle time. */
  private static void release(Copy c, long idleMillis) {
    if (--c.refs > 0 || COPIES.get(c.key) != c) {
      return;
    }
    if (idleMillis <= 0) {
      close(c);
      return;
    }
    c.pendingClose = reaper().schedule(() -> {
      synchronized (COPIES) {
        if (c.refs == 0 && COPIES.get(c.key) == c) {
          close(c);
        }
      }
    }, idleMillis, TimeUnit.MILLISECONDS);
  }

  /** Removes a copy; closes it now if loaded, else its loader closes it when done. */
  private static void close(Copy c) {
    COPIES.remove(c.key, c);
    c.closed = true;
    if (c.predictor != null) {
      closeNow(c);
    }
  }

  private static void closeNow(Copy c) {
    Predictor p = c.predictor;
    Swell s = c.swell;
    c.predictor = null;
    c.swell = null;
    try {
      if (p != null) {
        p.close();
      }
    } finally {
      if (s != null) {
        s.close();
      }
    }
    if (p != null) {
      LOG.info("closed this executor's copy of {} {}", p.model(), p.version());
    }
  }

  private static ScheduledExecutorService reaper() {
    if (reaper == null) {
      reaper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "swell-spark-idle-release");
        t.setDaemon(true);
        return t;
      });
    }
    return reaper;
  }

  private record Loaded(Swell swell, Predictor predictor) {}

  /** Opens the registry, checks the version is the one the driver pinned, and loads it. */
  private static Loaded load(ScoringPlan plan, ScoringPlan.Pin pin) {
    Path root = Path.of(plan.registryRoot());
    if (!Files.isDirectory(root.resolve("models"))) {
      throw new ModelNotFoundException("no Swell registry at " + root + " on this executor (host "
          + hostName() + "); the registry folder must be readable at the same path by the driver and every"
          + " executor", plan.model(), pin.version());
    }
    FileModelRegistry registry = FileModelRegistry.builder(root).trustPolicy(trust(plan)).build();
    ModelVersion mv = registry.open(plan.model(), SemVer.parse(pin.version())); // hashes, signature
    Map<String, String> found = digests(mv);
    if (!found.equals(pin.digests())) {
      throw new IntegrityException(plan.model() + " " + pin.version() + " at " + root + " is not the version the"
          + " driver pinned: its files are " + found + ", the driver verified " + pin.digests(),
          plan.model(), pin.version(), null);
    }
    BackendConfig.Builder config = BackendConfig.builder()
        .intraOpThreads(plan.intraOpThreads())
        .interOpThreads(plan.interOpThreads())
        .executionProviders(plan.executionProviders());
    plan.backendOptions().forEach(config::option);
    Swell swell = Swell.builder().backendConfig(config.build()).build();
    try {
      Predictor p = swell.load(new ModelArtifact(plan.model(), pin.version(), mv.manifest().format(),
          mv.primaryFile()));
      LOG.info("loaded {} {} in this executor (pid {})", plan.model(), pin.version(),
          ProcessHandle.current().pid());
      return new Loaded(swell, p);
    } catch (RuntimeException e) {
      swell.close();
      throw e;
    }
  }

  static Map<String, String> digests(ModelVersion mv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (FileEntry f : mv.manifest().files()) {
      m.put(f.path(), f.sha256());
    }
    return m;
  }

  static TrustPolicy trust(ScoringPlan plan) {
    if (plan.trustedKeysPem().isEmpty()) {
      return TrustPolicy.NONE;
    }
    List<PublicKey> keys = new ArrayList<>();
    for (String pem : plan.trustedKeysPem()) {
      keys.add(SigningKeys.parsePublicKey(pem, "the scoring plan's trusted keys"));
    }
    return TrustPolicy.builder().trust(plan.model(), keys.toArray(new PublicKey[0])).build();
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "?";
    }
  }

  /**
   * Closes every copy in this JVM, held or not (the executor is ending).
   *
   * @return how many were closed
   */
  static int closeAll() {
    synchronized (COPIES) {
      int n = 0;
      for (Copy c : new ArrayList<>(COPIES.values())) {
        if (c.pendingClose != null) {
          c.pendingClose.cancel(false);
        }
        n += c.predictor != null ? 1 : 0;
        close(c);
      }
      return n;
    }
  }

  /**
   * Returns how many copies this JVM loaded since it started.
   *
   * @return loads
   */
  static long loads() {
    return LOADS.get();
  }

  /**
   * Returns how many copies are open in this JVM now.
   *
   * @return open copies
   */
  static int open() {
    synchronized (COPIES) {
      return COPIES.size();
    }
  }
}

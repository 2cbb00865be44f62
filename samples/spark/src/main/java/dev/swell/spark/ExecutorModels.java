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
    private boolean closed;

    private Lease(Copy copy) {
      this.copy = copy;
    }

    Predictor predictor() {
      return copy.predictor;
    }

    @Override
    public void close() {
      synchronized (COPIES) {
        if (closed) {
          return;
        }
        closed = true;
        release(copy);
      }
    }
  }

  private static final class Copy {
    final String key;
    final Swell swell;
    final Predictor predictor;
    final long idleMillis;
    int refs;
    ScheduledFuture<?> pendingClose;

    Copy(String key, Swell swell, Predictor predictor, long idleMillis) {
      this.key = key;
      this.swell = swell;
      this.predictor = predictor;
      this.idleMillis = idleMillis;
    }
  }

  /**
   * Holds this JVM's copy of one of a plan's versions, loading and verifying it first if there is
   * none.
   *
   * @param plan the pinned plan
   * @param pin which of its versions
   * @return the lease; close it when the task is done
   */
  static Lease acquire(ScoringPlan plan, int pin) {
    String key = plan.copyKey(pin);
    synchronized (COPIES) {
      Copy c = COPIES.get(key);
      if (c == null) {
        c = load(plan, plan.pins().get(pin), key);
        COPIES.put(key, c);
        LOADS.incrementAndGet();
        if (plan.loads() != null) {
          plan.loads().add(1);
        }
      }
      if (c.pendingClose != null) {
        c.pendingClose.cancel(false);
        c.pendingClose = null;
      }
      c.refs++;
      return new Lease(c);
    }
  }

  private static void release(Copy c) {
    if (--c.refs > 0 || COPIES.get(c.key) != c) {
      return;
    }
    if (c.idleMillis <= 0) {
      close(c);
      return;
    }
    c.pendingClose = reaper().schedule(() -> {
      synchronized (COPIES) {
        if (c.refs == 0 && COPIES.get(c.key) == c) {
          close(c);
        }
      }
    }, c.idleMillis, TimeUnit.MILLISECONDS);
  }

  private static void close(Copy c) {
    COPIES.remove(c.key);
    try {
      c.predictor.close();
    } finally {
      c.swell.close();
    }
    LOG.info("closed this executor's copy of {} {}", c.predictor.model(), c.predictor.version());
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

  /** Opens the registry, checks the version is the one the driver pinned, and loads it. */
  private static Copy load(ScoringPlan plan, ScoringPlan.Pin pin, String key) {
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
      return new Copy(key, swell, p, plan.idleReleaseMillis());
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
        close(c);
        n++;
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

package dev.swell.core;

import dev.swell.api.BackendException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.BackendConfig;
import dev.swell.api.spi.BackendProvider;
import dev.swell.api.spi.LoadedModel;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.api.spi.ModelRepository;
import dev.swell.core.batch.BatchPolicy;
import dev.swell.core.cache.CachePolicy;
import dev.swell.core.drift.DriftMonitor;
import dev.swell.core.drift.DriftPolicy;
import dev.swell.core.drift.DriftReference;
import dev.swell.core.event.LoadFailed;
import dev.swell.core.event.Subscription;
import dev.swell.core.event.SwellEvent;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point of Swell's runtime: finds inference backends, loads models into them and hands
 * out {@link Predictor}s that validate inputs before any native call.
 *
 * <p>Backends are found with {@link java.util.ServiceLoader} when {@link Builder#build()} runs
 * (add {@code dev.swell:swell-onnx} to the class path for ONNX models), or registered explicitly
 * with {@link Builder#backend(BackendProvider)}. A backend is started on first use.
 *
 * <p>One runtime holds one loaded copy per (model, version), shared by every predictor that
 * selects it and freed when the last one closes. Given a {@link ModelRepository} (Swell's file
 * registry, in practice), {@link #predictor(String, VersionSelector)} follows an alias, swapping
 * versions without failing a request. Requests may carry {@link dev.swell.api.RequestOptions}:
 * a deadline (a queued request is dropped, a running one cancelled in the backend), a priority
 * (low requests are shed first under {@link Builder#admission} limits) and a request id.
 * Everything else is opt-in on the builder: residency limits by count and by memory
 * ({@link Builder#maxResidentVersions}, {@link Builder#memoryBudget}), Micrometer meters
 * ({@link Builder#meterRegistry}, or {@link #bindTo} later), latency and error alerts
 * ({@link Builder#alertPolicy}), input-drift monitoring ({@link Builder#driftPolicy}), a result
 * cache ({@link Builder#resultCache}) and dynamic batching ({@link Builder#batching}). Lifecycle
 * events (loaded, swapped, refused, failed, evicted, unloaded, drift, alerts) go to listeners
 * subscribed with {@link #on}. {@link #health()} reports on all of it.
 *
 * <p>Thread-safe. {@link #close()} closes every predictor it handed out, then the backends; it is
 * idempotent. Time is read from the builder's {@link Ticker} and {@link Clock}, threads are made
 * by its {@link ThreadFactory}, so tests control both.
 *
 * <pre>{@code
 * try (Swell swell = Swell.builder().build();
 *      Predictor mlp = swell.load(Path.of("mlp.onnx"))) {
 *   Prediction p = mlp.predict("x", Tensor.of(new float[16], 1, 16));
 *   System.out.println(Arrays.toString(p.output("y").toFloatArray()));
 * }
 *
 * try (Swell swell = Swell.builder().repository(FileModelRegistry.open(dir)).maxResidentVersions(8).build();
 *      Predictor fraud = swell.predictor("fraud", VersionSelector.alias("production"))) {
 *   fraud.predict("x", features);   // whatever version "production" names now
 * }
 * }</pre>
 */
public final class Swell implements AutoCloseable, MeterBinder {

  private static final Logger log = LoggerFactory.getLogger(Swell.class);

  /** The version name given to a model loaded straight from a file. */
  public static final String FILE_VERSION = "file";

  private final Backends backends;
  private final ModelRepository repository;
  private final Executor asyncExecutor;
  private final ExecutorService ownedExecutor;
  private final InputLimits inputLimits;
  private final Duration drainTimeout;
  /** How long one load and warm-up may take before it is abandoned, or null for no limit. */
  private final Duration loadTimeout;
  /** Runs loads that have a time limit, so that a hung one can be abandoned. */
  private final ExecutorService timedLoads;
  private final Set<LocalPredictor> open = ConcurrentHashMap.newKeySet();
  private final Set<FollowingPredictor> following = ConcurrentHashMap.newKeySet();
  private final Duration refreshInterval;
  private final int warmupRuns;
  private final boolean allowIncompatibleSwaps;
  private final Ticker ticker;
  private final Clock clock;
  private final ThreadFactory threads;
  /** Loads and warms new versions for following predictors, one at a time, off the request threads. */
  private final ExecutorService loaderPool;
  /** Drains and closes retired versions. */
  private final ExecutorService retirePool;
  private final java.util.concurrent.ScheduledExecutorService refresher;
  private AutoCloseable repositoryWatch; // guarded by this
  private final ModelMetrics metrics;
  private final Events events = new Events();
  private final Hosts hosts;
  private final Deadlines deadlines;
  private final AlertPolicy alertPolicy;
  private final DriftPolicy driftPolicy;
  private final CachePolicy cachePolicy;
  private final BatchPolicy batchPolicy;
  private final AdmissionPolicy admission;
  private final Duration defaultTimeout;
  private final Map<String, Duration> timeouts;
  private final ResultCache resultCache; // null without a cache policy
  private final Map<String, DriftMonitor> drift = new ConcurrentHashMap<>();
  private final Map<String, AlertMonitor> alertMonitors = new ConcurrentHashMap<>();
  private final List<Consumer<AlertEvent>> alertListeners = AlertMonitor.newListenerList();
  private volatile boolean closed;

  private Swell(Builder b) {
    this.ticker = b.ticker;
    this.clock = b.clock;
    this.threads = b.threadFactory;
    this.backends = Backends.discover(b.providers, b.serviceLoader,
        b.classLoader != null ? b.classLoader : Thread.currentThread().getContextClassLoader(),
        b.backendConfig);
    if (b.asyncExecutor != null) {
      this.asyncExecutor = b.asyncExecutor;
      this.ownedExecutor = null;
    } else {
      this.ownedExecutor = Executors.newCachedThreadPool(daemonThreads("swell-async-"));
      this.asyncExecutor = ownedExecutor;
    }
    this.inputLimits = b.inputLimits;
    this.drainTimeout = b.drainTimeout;
    this.loadTimeout = b.loadTimeout;
    this.timedLoads = Executors.newCachedThreadPool(daemonThreads("swell-load-"));
    this.repository = b.repository;
    this.refreshInterval = b.refreshInterval;
    this.warmupRuns = b.warmupRuns;
    this.allowIncompatibleSwaps = b.allowIncompatibleSwaps;
    this.loaderPool = Executors.newSingleThreadExecutor(daemonThreads("swell-loader-"));
    this.retirePool = Executors.newCachedThreadPool(daemonThreads("swell-retire-"));
    this.refresher = Executors.newSingleThreadScheduledExecutor(daemonThreads("swell-refresh-"));
    this.metrics = new ModelMetrics(b.meterRegistry);
    this.hosts = new Hosts(this::host, b.maxResidentVersions, b.memoryBudget, retirePool, drainTimeout.toNanos(),
        metrics, events);
    this.deadlines = new Deadlines(threads, ticker, b.deadlineSpin == null ? 0 : b.deadlineSpin.toNanos());
    this.alertPolicy = b.alertPolicy;
    this.driftPolicy = b.driftPolicy;
    this.cachePolicy = b.cachePolicy;
    this.batchPolicy = b.batchPolicy;
    this.admission = b.admission != null ? b.admission
        : b.maxInFlight > 0 ? AdmissionPolicy.maxConcurrent(b.maxInFlight).reserveForHigh(0).maxQueued(0).build()
        : null;
    this.defaultTimeout = b.defaultTimeout;
    this.timeouts = Map.copyOf(b.timeouts);
    this.resultCache = cachePolicy == null ? null
        : new ResultCache(cachePolicy, ticker::read);
    if (resultCache != null) {
      metrics.cacheGauges(resultCache);
    }
    if (driftPolicy != null) {
      long ms = driftPolicy.checkEvery().toMillis();
      refresher.scheduleWithFixedDelay(() -> drift.values().forEach(m -> {
        try {
          m.check();
        } catch (RuntimeException e) {
          log.warn("drift check of {} failed", m.model(), e);
        }
      }), ms, ms, TimeUnit.MILLISECONDS);
    }
    if (alertPolicy != null) {
      long ms = alertPolicy.evaluateEvery().toMillis();
      refresher.scheduleWithFixedDelay(() -> alertMonitors.values().forEach(m -> {
        try {
          m.evaluate();
        } catch (RuntimeException e) {
          log.warn("alert evaluation failed", e);
        }
      }), ms, ms, TimeUnit.MILLISECONDS);
    }
    alertListeners.add(events::publish);
  }

  /**
   * Publishes the runtime's meters (see {@link Builder#meterRegistry}) to a registry, as well as
   * to any bound before: a Micrometer {@link MeterBinder}, so a framework that binds its beans
   * (Spring Boot does) can be handed the runtime itself. Until a registry is bound, the request
   * path records nothing.
   *
   * @param registry any Micrometer registry
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    metrics.bindTo(Objects.requireNonNull(registry, "registry"));
  }

  /**
   * Subscribes to the runtime's events of one type (or {@link SwellEvent} for all): lifecycle
   * events of {@code dev.swell.core.event}, {@link AlertEvent}s and drift events. Listeners run on
   * the thread that made the event (a loader, the timer, a request that reloaded an evicted
   * version) and must be quick; their failures are logged and ignored.
   *
   * <pre>{@code
   * Subscription s = swell.on(VersionSwapped.class, e -> log.info("{} now serves {}", e.model(), e.to()));
   * s.close();   // unsubscribe
   * }</pre>
   *
   * @param type the event type
   * @param listener the listener
   * @param <E> the event type
   * @return the subscription; close it to unsubscribe
   */
  public <E extends SwellEvent> Subscription on(Class<E> type, Consumer<? super E> listener) {
    return events.subscribe(type, listener);
  }

  /**
   * Subscribes to latency and error-rate alerts (see {@link Builder#alertPolicy}).
   *
   * @param listener called on the runtime's timer thread when a model starts or stops alerting
   * @return the subscription; close it to unsubscribe
   */
  public Subscription onAlert(Consumer<AlertEvent> listener) {
    return on(AlertEvent.class, listener);
  }

  /**
   * Subscribes to input-drift events (see {@link Builder#driftPolicy}): a feature's PSI went above
   * the threshold, or came back under it.
   *
   * @param listener called on the runtime's timer thread
   * @return the subscription; close it to unsubscribe
   */
  public Subscription onDrift(Consumer<DriftMonitor.DriftEvent> listener) {
    return on(DriftMonitor.DriftEvent.class, listener);
  }

  /** Resolves a selector to an artifact; the repository, seen from the runtime. */
  interface Resolver {
    ModelArtifact resolve(String model, VersionSelector selector);
  }

  /**
   * Returns the version of Swell on the class path, as built (for logs, health pages and bug
   * reports; the backend's own version is in its {@link dev.swell.api.spi.BackendProvider#diagnostics()}).
   *
   * @return such as {@code 0.1.0}, or {@code unknown} when the build's version file is missing
   */
  public static String version() {
    try (java.io.InputStream in = Swell.class.getResourceAsStream("swell-version.properties")) {
      java.util.Properties p = new java.util.Properties();
      if (in != null) {
        p.load(in);
      }
      String v = p.getProperty("version", "unknown");
      return v.startsWith("${") ? "unknown" : v;
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  /**
   * Starts configuring a runtime.
   *
   * @return a builder with the defaults
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Loads a model file, naming the model after the file (without its extension) and its version
   * {@value #FILE_VERSION}. The backend is chosen by the file's extension.
   *
   * @param file the model file, such as {@code model.onnx}
   * @return a predictor holding the loaded model; close it to free the model
   * @throws BackendException if no backend can load it, or loading fails
   * @throws IllegalStateException if the runtime is closed
   */
  public Predictor load(Path file) {
    String fileName = String.valueOf(file.getFileName());
    int dot = fileName.lastIndexOf('.');
    return load(dot > 0 ? fileName.substring(0, dot) : fileName, file);
  }

  /**
   * Loads a model file under a name, with version {@value #FILE_VERSION}.
   *
   * @param name the model's name, used in responses, errors and metrics
   * @param file the model file
   * @return a predictor holding the loaded model; close it to free the model
   * @throws BackendException if no backend can load it, or loading fails
   * @throws IllegalStateException if the runtime is closed
   */
  public Predictor load(String name, Path file) {
    return load(ModelArtifact.ofFile(name, FILE_VERSION, file));
  }

  /**
   * Loads an artifact and warms it up ({@link Builder#warmupRuns}), or shares the copy another
   * predictor of the same version holds.
   *
   * @param artifact the model's identity, format and file
   * @return a predictor holding the loaded model; close it to free the model
   * @throws BackendException if no backend can load it, or loading fails
   * @throws dev.swell.api.OverloadException if it cannot fit the memory budget
   * @throws IllegalStateException if the runtime is closed
   */
  public Predictor load(ModelArtifact artifact) {
    Objects.requireNonNull(artifact, "artifact");
    ensureOpen();
    HostedVersion hosted;
    try {
      hosted = leases.acquire(artifact, null).host();
    } catch (RuntimeException e) {
      events.publish(new LoadFailed(artifact.name(), artifact.version(), String.valueOf(e.getMessage()),
          Duration.ZERO));
      throw e;
    }
    metrics.serving(artifact.name(), artifact.version(), true);
    LocalPredictor p = new LocalPredictor(hosted, leases, asyncExecutor, lp -> {
      open.remove(lp);
      metrics.serving(artifact.name(), artifact.version(), false);
    });
    open.add(p);
    if (closed) { // closed while loading: do not leak the model
      p.close();
      ensureOpen();
    }
    return p;
  }

  /**
   * Resolves a version of a model in the runtime's {@link ModelRepository} (such as Swell's file
   * registry) and loads it, pinned to the version resolved now.
   *
   * @param model the model's name
   * @param selector which version: exact, alias, latest, latest stable or range
   * @return a predictor holding the loaded version; close it to free the model
   * @throws IllegalStateException if the runtime has no repository, or is closed
   * @throws dev.swell.api.ModelNotFoundException if nothing matches the selector
   * @throws dev.swell.api.IntegrityException if the version's files are damaged
   * @throws BackendException if no backend can load it, or loading fails
   */
  public Predictor load(String model, VersionSelector selector) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(selector, "selector");
    ensureOpen();
    if (repository == null) {
      throw new IllegalStateException("no model repository: give one with Swell.builder().repository(...)");
    }
    return load(repository.resolve(model, selector));
  }

  /**
   * Returns a predictor bound to a selector of the runtime's {@link ModelRepository}. An exact
   * version is loaded once. A moving selector (an alias such as {@code production}, latest, a
   * range) is followed: when it names another version, that version is loaded on the runtime's
   * loader thread (or shared, if another predictor holds it), checked for a compatible signature,
   * warmed up, and swapped in atomically; the old version finishes its in-flight calls and is
   * released. No request fails because of a swap. A version that fails to resolve, load or warm
   * up is not swapped in; the old one keeps serving, health says which version was wanted and
   * why, and it is retried after 1 s, doubling up to 60 s.
   *
   * <p>The runtime re-resolves every {@link Builder#refreshInterval refresh interval}, and at once
   * when the repository reports a change (Swell's file registry does, within a second).
   *
   * @param model the model's name
   * @param selector which version to serve
   * @return the predictor; close it, or the runtime, to free the model
   * @throws IllegalStateException if the runtime has no repository, or is closed
   * @throws dev.swell.api.ModelNotFoundException if nothing matches the selector now
   * @throws BackendException if the first version cannot be loaded or warmed up
   */
  public Predictor predictor(String model, VersionSelector selector) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(selector, "selector");
    ensureOpen();
    if (repository == null) {
      throw new IllegalStateException("no model repository: give one with Swell.builder().repository(...)");
    }
    if (!selector.isMoving()) {
      return load(repository.resolve(model, selector));
    }
    FollowingPredictor p = new FollowingPredictor(model, selector, repository::resolve, leases, asyncExecutor,
        allowIncompatibleSwaps, following::remove, metrics, events, ticker);
    following.add(p);
    startFollowing();
    if (closed) {
      p.close();
      ensureOpen();
    }
    return p;
  }

  /** Starts the periodic refresh and the repository watch, once. */
  private synchronized void startFollowing() {
    if (repositoryWatch != null) {
      return;
    }
    long ms = refreshInterval.toMillis();
    refresher.scheduleWithFixedDelay(() -> refreshAll(null), ms, ms, TimeUnit.MILLISECONDS);
    try {
      repositoryWatch = repository.watch(this::refreshAll);
    } catch (RuntimeException e) {
      log.warn("the repository cannot be watched; relying on the {} refresh", refreshInterval, e);
      repositoryWatch = () -> { };
    }
  }

  /** Queues a refresh of every following predictor of a model (all if null) on the loader thread. */
  private void refreshAll(String model) {
    for (FollowingPredictor p : following) {
      if (model == null || model.equals(p.modelName())) {
        try {
          loaderPool.execute(() -> {
            try {
              p.refresh();
            } catch (RuntimeException e) {
              log.warn("refreshing {} failed", p, e);
            }
          });
        } catch (java.util.concurrent.RejectedExecutionException closing) {
          return;
        }
      }
    }
  }

  /** Acquires on a load thread, giving up after {@code loadTimeout}; a late copy is released when it comes. */
  private Hosts.Lease timedAcquire(ModelArtifact artifact, NamedTensors recent) {
    java.util.concurrent.CompletableFuture<Hosts.Lease> f;
    try {
      f = java.util.concurrent.CompletableFuture.supplyAsync(() -> hosts.acquire(artifact, recent, warmupRuns), timedLoads);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      throw new IllegalStateException("this Swell is closed", closing);
    }
    try {
      return f.get(loadTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      f.thenAccept(late -> {
        log.warn("model '{}' {}: the load abandoned after {} finished after all; closing that copy", artifact.name(),
            artifact.version(), loadTimeout);
        hosts.release(late.host(), true);
      });
      throw new dev.swell.api.BackendException("loading and warming up " + artifact.version() + " did not finish within "
          + loadTimeout + " (Swell.builder().loadTimeout); abandoned", artifact.name(), artifact.version(), null);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.thenAccept(late -> hosts.release(late.host(), true));
      throw new IllegalStateException("interrupted while loading " + artifact.name() + " " + artifact.version(), e);
    }
  }

  /** Takes and gives back shared copies, counting loads in the metrics and telling listeners of failures. */
  private final Leases leases = new Leases() {
    @Override
    public Hosts.Lease acquire(ModelArtifact artifact, NamedTensors recent) {
      ensureOpen();
      long start = ticker.read();
      try {
        Hosts.Lease lease = loadTimeout == null ? hosts.acquire(artifact, recent, warmupRuns)
            : timedAcquire(artifact, recent);
        if (lease.fresh()) {
          metrics.recordLoad(artifact.name(), true, ticker.read() - start);
        }
        return lease;
      } catch (RuntimeException e) {
        metrics.recordLoad(artifact.name(), false, ticker.read() - start);
        throw e;
      }
    }

    @Override
    public void release(HostedVersion host) {
      hosts.release(host, false);
    }

    @Override
    public void releaseLater(HostedVersion host) {
      hosts.release(host, true);
    }
  };

  /** Loads an artifact into a backend and builds its pipeline (not warmed). */
  private HostedVersion host(ModelArtifact artifact) {
    if (!Files.isRegularFile(artifact.file())) {
      throw new BackendException("model file " + artifact.file() + " does not exist or is not a "
          + "regular file", artifact.name(), artifact.version(), null);
    }
    LoadedModel loaded;
    long start = ticker.read();
    try {
      loaded = backends.backendFor(artifact).load(artifact);
    } catch (BackendException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new BackendException("loading " + artifact.file() + " failed: " + e.getMessage(),
          artifact.name(), artifact.version(), e);
    }
    AlertMonitor alerts = alertPolicy == null ? null : alertMonitors.computeIfAbsent(artifact.name(),
        m -> new AlertMonitor(m, alertPolicy, ticker::read, alertListeners));
    Duration timeout = timeouts.getOrDefault(artifact.name(), defaultTimeout);
    HostedVersion.Stages stages = new HostedVersion.Stages(inputLimits, metrics, alerts,
        driftMonitors(artifact, loaded.signature()),
        resultCache != null && cachePolicy.caches(artifact.name()) ? resultCache : null,
        batchPolicy != null && batchPolicy.batches(artifact.name()) ? batchPolicy : null,
        daemonThreads("swell-batch-"), admission, deadlines, timeout == null ? 0 : timeout.toNanos(), ticker);
    HostedVersion hosted = new HostedVersion(artifact, loaded, stages, clock.millis());
    hosted.addLoadTime(ticker.read() - start);
    return hosted;
  }

  /**
   * The drift monitors of a version's monitored inputs (float, fixed last dimension, not too
   * wide): one per model and input, kept across versions; a version that brings its own reference
   * ({@code drift/<input>.csv} beside its model file) replaces the reference.
   */
  private DriftMonitor[] driftMonitors(ModelArtifact artifact, dev.swell.api.Signature signature) {
    if (driftPolicy == null) {
      return null;
    }
    List<DriftMonitor> monitors = new ArrayList<>();
    for (dev.swell.api.TensorSpec s : signature.inputs()) {
      if ((s.dtype() != dev.swell.api.DType.FLOAT32 && s.dtype() != dev.swell.api.DType.FLOAT64)
          || s.rank() < 1 || s.isDynamic(s.rank() - 1) || s.dim(s.rank() - 1) > driftPolicy.maxFeatures()) {
        continue;
      }
      int features = (int) s.dim(s.rank() - 1);
      DriftMonitor m = drift.compute(artifact.name() + '\u0000' + s.name(), (k, old) -> {
        if (old != null && old.features() == features) {
          return old;
        }
        DriftMonitor fresh = driftPolicy.newMonitor(artifact.name(), s.name(), features);
        fresh.onDrift(events::publish);
        fresh.bindTo(metrics.registry());
        return fresh;
      });
      Path reference = artifact.file().resolveSibling("drift").resolve(s.name() + ".csv");
      if (Files.isRegularFile(reference)) {
        try {
          m.useReference(DriftReference.readCsv(reference, features));
          log.info("model '{}' {}: drift reference for input '{}' from {}", artifact.name(), artifact.version(),
              s.name(), reference);
        } catch (IOException | IllegalArgumentException e) {
          log.warn("model '{}' {}: drift reference {} not used: {}", artifact.name(), artifact.version(),
              reference, e.getMessage());
        }
      }
      monitors.add(m);
    }
    return monitors.toArray(new DriftMonitor[0]);
  }

  /**
   * Returns the drift monitors, one per monitored model input (none without a drift policy), to
   * read their last PSI and KS or to check them now.
   *
   * @return the monitors
   */
  public List<DriftMonitor> driftMonitors() {
    return List.copyOf(drift.values());
  }

  /**
   * Unloads every resident version of a model now, freeing its memory once running calls finish.
   * Predictors of the model stay open: each loads its version again on its next call.
   *
   * @param model the model's name
   * @return how many loaded versions were unloaded
   */
  public int unload(String model) {
    Objects.requireNonNull(model, "model");
    return hosts.unload(model, null);
  }

  /**
   * Unloads one version of a model now (see {@link #unload(String)}).
   *
   * @param model the model's name
   * @param version the version, such as {@code 1.2.0} or {@value #FILE_VERSION}
   * @return 1 if it was loaded, else 0 (a version has one loaded copy, however many predictors use it)
   */
  public int unload(String model, String version) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(version, "version");
    return hosts.unload(model, version);
  }

  /**
   * Returns how many model versions are loaded now (unloaded ones and ones being closed are not
   * counted; a version shared by several predictors counts once).
   *
   * @return the number of resident versions
   */
  public int residentVersions() {
    return hosts.size();
  }

  /**
   * Returns the native memory the resident versions were measured to take when they loaded (the
   * growth of the process's resident memory while each loaded and warmed up).
   *
   * @return bytes
   */
  public long residentBytes() {
    return hosts.footprint();
  }

  /**
   * Reports health: live (the runtime is open), ready (every open predictor has a loaded, warmed
   * version), and per predictor the version serving, where it runs, when it was loaded, how many
   * swaps it made, the version its selector names if that one does not serve, and why.
   *
   * @return the current health
   */
  public SwellHealth health() {
    List<SwellHealth.ModelStatus> models = new ArrayList<>();
    boolean ready = true;
    for (FollowingPredictor p : following) {
      HostedVersion h = p.currentVersion();
      ready &= h != null && !p.isClosed();
      models.add(new SwellHealth.ModelStatus(p.modelName(), p.selector().toString(), h.version(),
          h.device(), java.time.Instant.ofEpochMilli(h.loadedAtMillis()), h.loadTime(), p.swaps(),
          p.lastError(), !h.isClosing(), p.wantedVersion(), h.footprintBytes()));
    }
    for (LocalPredictor p : open) {
      HostedVersion h = p.hosted();
      models.add(new SwellHealth.ModelStatus(h.model(), h.version(), h.version(), h.device(),
          java.time.Instant.ofEpochMilli(h.loadedAtMillis()), h.loadTime(), 0, null, !h.isClosing(), null,
          h.footprintBytes()));
    }
    models.sort(java.util.Comparator.comparing(SwellHealth.ModelStatus::model)
        .thenComparing(SwellHealth.ModelStatus::selector));
    return new SwellHealth(!closed, !closed && ready, models);
  }

  /**
   * Returns the names of the backend providers this runtime knows, explicit ones first.
   *
   * @return provider names, such as {@code [onnxruntime]}
   */
  public List<String> backends() {
    List<String> names = new ArrayList<>();
    for (BackendProvider p : backends.providers()) {
      names.add(p.name());
    }
    return names;
  }

  /**
   * Closes every predictor this runtime handed out (letting running calls finish), then the
   * backends and the runtime's own threads. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    refresher.shutdownNow();
    synchronized (this) {
      if (repositoryWatch != null) {
        try {
          repositoryWatch.close();
        } catch (Exception e) {
          log.debug("closing the repository watch", e);
        }
      }
    }
    loaderPool.shutdown();
    timedLoads.shutdown();
    try {
      loaderPool.awaitTermination(drainTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (FollowingPredictor p : List.copyOf(following)) {
      p.close();
    }
    for (LocalPredictor p : List.copyOf(open)) {
      p.close();
    }
    retirePool.shutdown();
    try {
      retirePool.awaitTermination(drainTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    hosts.closeAll();
    deadlines.close();
    backends.close();
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
      try {
        ownedExecutor.awaitTermination(drainTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the Swell runtime is closed");
    }
  }

  private ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = threads.newThread(r);
      t.setName(prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Configures a {@link Swell} runtime. Each option may be set once; a bad value fails at once
   * with an {@link IllegalArgumentException} naming the option. {@link #build()} does not change
   * the builder. Not thread-safe.
   */
  public static final class Builder {

    /** The default limit of elements in one input tensor. */
    public static final long DEFAULT_MAX_INPUT_ELEMENTS = 1L << 28; // InputLimits.DEFAULTS.maxElements()
    /** How long closing waits for running calls, by default. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

    private final List<BackendProvider> providers = new ArrayList<>();
    private boolean serviceLoader = true;
    private boolean serviceLoaderSet;
    private ClassLoader classLoader;
    private BackendConfig backendConfig = BackendConfig.defaults();
    private boolean backendConfigSet;
    private Executor asyncExecutor;
    private InputLimits inputLimits = InputLimits.DEFAULTS;
    private boolean maxInputElementsSet;
    private boolean inputLimitsSet;
    private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
    private Duration loadTimeout;
    private Duration deadlineSpin;
    private boolean drainTimeoutSet;
    private ModelRepository repository;
    private Duration refreshInterval = DEFAULT_REFRESH_INTERVAL;
    private boolean refreshIntervalSet;
    private int warmupRuns = DEFAULT_WARMUP_RUNS;
    private boolean warmupRunsSet;
    private boolean allowIncompatibleSwaps;
    private io.micrometer.core.instrument.MeterRegistry meterRegistry;
    private AlertPolicy alertPolicy;
    private int maxResidentVersions;
    private boolean maxResidentVersionsSet;
    private DriftPolicy driftPolicy;
    private CachePolicy cachePolicy;
    private BatchPolicy batchPolicy;
    private int maxInFlight;
    private boolean maxInFlightSet;
    private AdmissionPolicy admission;
    private long memoryBudget;
    private boolean memoryBudgetSet;
    private Duration defaultTimeout;
    private final Map<String, Duration> timeouts = new HashMap<>();
    private Ticker ticker = Ticker.systemTicker();
    private boolean tickerSet;
    private Clock clock = Clock.systemUTC();
    private boolean clockSet;
    private ThreadFactory threadFactory = Executors.defaultThreadFactory();
    private boolean threadFactorySet;

    /** How often predictors that follow a selector re-resolve it, by default. */
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(1);
    /** How many warm-up runs a new version gets before it serves, by default. */
    public static final int DEFAULT_WARMUP_RUNS = 3;

    private Builder() {}

    /**
     * Sets how often predictors that follow an alias or range re-resolve it (default 1 s). The
     * repository's change notifications trigger a refresh sooner.
     *
     * @param interval at least 10 ms
     * @return this builder
     */
    public Builder refreshInterval(Duration interval) {
      checkOnce(refreshIntervalSet, "refreshInterval");
      if (interval.toMillis() < 10) {
        throw new IllegalArgumentException("refreshInterval must be at least 10 ms, was " + interval);
      }
      refreshIntervalSet = true;
      this.refreshInterval = interval;
      return this;
    }

    /**
     * Sets how many times a version runs before it serves (default 3): every version loaded,
     * whether by {@code load}, by a predictor following an alias, or again after a residency
     * limit unloaded it. A following predictor warms a new version on a recent real request
     * (sampled from its calls) when it has one; otherwise inputs are generated: zeros, with
     * dynamic dimensions of 1.
     *
     * @param runs at least 0
     * @return this builder
     */
    public Builder warmupRuns(int runs) {
      checkOnce(warmupRunsSet, "warmupRuns");
      if (runs < 0) {
        throw new IllegalArgumentException("warmupRuns must be >= 0, was " + runs);
      }
      warmupRunsSet = true;
      this.warmupRuns = runs;
      return this;
    }

    /**
     * Records metrics in a Micrometer registry (default: none, nothing is recorded): the
     * {@code swell.predictions} timer by model, version, outcome and exception, the
     * {@code swell.model.loads} timer, the {@code swell.model.swaps} counter, the
     * {@code swell.models.resident} gauge and the {@code swell.model.serving} gauge by model and
     * version.
     *
     * @param registry any Micrometer registry
     * @return this builder
     */
    public Builder meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
      checkOnce(meterRegistry != null, "meterRegistry");
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /**
     * Watches every model's p99 latency and error rate over a sliding window and tells
     * {@link Swell#onAlert} listeners when one crosses the policy's thresholds, and when it
     * recovers (default: no alerts, and nothing is recorded for them).
     *
     * @param policy thresholds, window and evaluation interval
     * @return this builder
     */
    public Builder alertPolicy(AlertPolicy policy) {
      checkOnce(alertPolicy != null, "alertPolicy");
      this.alertPolicy = Objects.requireNonNull(policy, "alertPolicy");
      return this;
    }

    /**
     * Batches concurrent requests (default: off): see {@link BatchPolicy}. Applies to models
     * whose inputs all have a dynamic first dimension; others run call by call.
     *
     * @param policy rows per call, delay, queue bound, models
     * @return this builder
     */
    public Builder batching(BatchPolicy policy) {
      checkOnce(batchPolicy != null, "batching");
      this.batchPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Limits the calls running (or queued for a batch) at once on each loaded version (default: no
     * limit). A call beyond it is rejected at once with {@link dev.swell.api.OverloadException},
     * so a slow model cannot pile up threads and memory.
     *
     * @param calls at least 1
     * @return this builder
     */
    public Builder maxInFlight(int calls) {
      checkOnce(maxInFlightSet, "maxInFlight");
      if (admission != null) {
        throw new IllegalStateException("admission and maxInFlight are alternatives; admission was set");
      }
      if (calls < 1) {
        throw new IllegalArgumentException("maxInFlight must be at least 1, was " + calls);
      }
      this.maxInFlight = calls;
      maxInFlightSet = true;
      return this;
    }

    /**
     * Limits the calls running at once on each loaded version, by priority (default: no limit):
     * see {@link AdmissionPolicy}. High priority calls beyond the limit wait (bounded, up to their
     * deadline); low ones use only unreserved capacity and are rejected at once with
     * {@link dev.swell.api.OverloadException} otherwise.
     *
     * @param policy the limits
     * @return this builder
     */
    public Builder admission(AdmissionPolicy policy) {
      checkOnce(admission != null, "admission");
      if (maxInFlightSet) {
        throw new IllegalStateException("admission and maxInFlight are alternatives; maxInFlight was set");
      }
      this.admission = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Bounds the native memory of the resident versions (default: no bound). Each load is measured
     * (Linux): what the version keeps (the growth of the process's resident memory once the load's
     * transient buffers are freed, at least its file's size) and what the load took at its peak
     * (the file read, weights copied and pre-packed: 2.5-3.7 times an ONNX file here). Loads are
     * planned within nine tenths of the budget, the rest left for what no load measures: before
     * one, the least recently used versions are unloaded until what the others keep plus the
     * load's peak (measured at an earlier load of the file, else four times its size) fits. A
     * version that cannot fit even alone is refused with an {@link dev.swell.api.OverloadException},
     * and whatever served keeps serving. Freed memory is given back to the operating system
     * ({@code malloc_trim}) after each unload and load.
     *
     * @param bytes at least 1
     * @return this builder
     */
    public Builder memoryBudget(long bytes) {
      checkOnce(memoryBudgetSet, "memoryBudget");
      if (bytes < 1) {
        throw new IllegalArgumentException("memoryBudget must be at least 1 byte, was " + bytes);
      }
      this.memoryBudget = bytes;
      memoryBudgetSet = true;
      return this;
    }

    /**
     * Sets the deadline of every request that gives none in its options (default: none).
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder defaultTimeout(Duration timeout) {
      checkOnce(defaultTimeout != null, "defaultTimeout");
      this.defaultTimeout = positive(timeout, "defaultTimeout");
      return this;
    }

    /**
     * Sets the deadline of requests to one model that give none in their options (overrides
     * {@link #defaultTimeout} for it). May be called once per model.
     *
     * @param model the model's name
     * @param timeout positive
     * @return this builder
     */
    public Builder timeout(String model, Duration timeout) {
      Objects.requireNonNull(model, "model");
      if (timeouts.containsKey(model)) {
        throw new IllegalStateException("timeout of model '" + model + "' was already set");
      }
      timeouts.put(model, positive(timeout, "timeout"));
      return this;
    }

    private static Duration positive(Duration d, String option) {
      Objects.requireNonNull(d, option);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(option + " must be positive, was " + d);
      }
      return d;
    }

    /**
     * Sets the source of monotonic time for deadlines, backoffs, latencies and alert windows
     * (default {@link Ticker#systemTicker()}): a test can drive time.
     *
     * @param t the ticker
     * @return this builder
     */
    public Builder ticker(Ticker t) {
      checkOnce(tickerSet, "ticker");
      tickerSet = true;
      this.ticker = Objects.requireNonNull(t, "ticker");
      return this;
    }

    /**
     * Sets the wall clock of reported times such as when a version loaded (default: UTC system
     * clock).
     *
     * @param c the clock
     * @return this builder
     */
    public Builder clock(Clock c) {
      checkOnce(clockSet, "clock");
      clockSet = true;
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /**
     * Sets what makes the runtime's threads (loader, retire, timers, batching, async); they are
     * named and made daemons by the runtime (default: {@link Executors#defaultThreadFactory()}).
     *
     * @param factory the factory
     * @return this builder
     */
    public Builder threadFactory(ThreadFactory factory) {
      checkOnce(threadFactorySet, "threadFactory");
      threadFactorySet = true;
      this.threadFactory = Objects.requireNonNull(factory, "threadFactory");
      return this;
    }

    /**
     * Caches results (default: off): see {@link CachePolicy}. A hit skips the model: it is counted
     * in {@code swell.cache.requests} and not in {@code swell.predictions} or the alert window.
     * Invalid inputs are refused before any lookup. {@code predictBatch} does not use the cache.
     *
     * @param policy the size bound, expiry and models
     * @return this builder
     */
    public Builder resultCache(CachePolicy policy) {
      checkOnce(cachePolicy != null, "resultCache");
      this.cachePolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Monitors input drift (default: off): see {@link DriftPolicy}. Statistics are computed on the
     * runtime's timer thread every {@link DriftPolicy#checkEvery()}; the request path only counts
     * calls and, one in {@link DriftPolicy#sampleEvery()}, copies the input's values. Events go to
     * {@link Swell#onDrift} listeners; with a meter registry, {@code swell.drift.psi} and
     * {@code swell.drift.ks} gauges are published per model, input and feature.
     *
     * @param policy the policy, such as {@code DriftPolicy.defaults()}
     * @return this builder
     */
    public Builder driftPolicy(DriftPolicy policy) {
      checkOnce(driftPolicy != null, "driftPolicy");
      this.driftPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Limits how many model versions stay loaded (default: no limit). When a load goes beyond
     * the limit, the least recently used version is unloaded: it stops taking calls at once, its
     * running calls finish, then its memory is freed. Its predictors stay open and load it again
     * (and warm it up) on their next call, on the calling thread. Versions being swapped out are
     * not counted.
     *
     * @param max at least 1
     * @return this builder
     */
    public Builder maxResidentVersions(int max) {
      checkOnce(maxResidentVersionsSet, "maxResidentVersions");
      if (max < 1) {
        throw new IllegalArgumentException("maxResidentVersions must be at least 1, got " + max);
      }
      this.maxResidentVersions = max;
      maxResidentVersionsSet = true;
      return this;
    }

    /**
     * Lets a followed selector swap in a version whose signature is not compatible with the one
     * serving (default false: such a version is refused and the old one keeps serving).
     *
     * @param allow whether to allow it
     * @return this builder
     */
    public Builder allowIncompatibleSwaps(boolean allow) {
      this.allowIncompatibleSwaps = allow;
      return this;
    }

    /**
     * Registers a backend provider explicitly. Explicit providers come before discovered ones;
     * a discovered provider with the same name is ignored. May be called more than once.
     *
     * @param provider the provider
     * @return this builder
     */
    public Builder backend(BackendProvider provider) {
      providers.add(Objects.requireNonNull(provider, "provider"));
      return this;
    }

    /**
     * Sets whether to look for backend providers with {@link java.util.ServiceLoader} (default
     * true).
     *
     * @param enabled whether to discover providers
     * @return this builder
     */
    public Builder discoverBackends(boolean enabled) {
      checkOnce(serviceLoaderSet, "discoverBackends");
      serviceLoaderSet = true;
      this.serviceLoader = enabled;
      return this;
    }

    /**
     * Sets the class loader in which to look for backend providers (default: the thread's
     * context class loader).
     *
     * @param loader the class loader
     * @return this builder
     */
    public Builder classLoader(ClassLoader loader) {
      checkOnce(classLoader != null, "classLoader");
      this.classLoader = Objects.requireNonNull(loader, "classLoader");
      return this;
    }

    /**
     * Sets the configuration handed to every backend (default {@link BackendConfig#defaults()}).
     *
     * @param config threads, execution providers, options
     * @return this builder
     */
    public Builder backendConfig(BackendConfig config) {
      checkOnce(backendConfigSet, "backendConfig");
      backendConfigSet = true;
      this.backendConfig = Objects.requireNonNull(config, "backendConfig");
      return this;
    }

    /**
     * Sets the executor that runs {@link Predictor#predictAsync} calls (default: a pool of daemon
     * threads owned and shut down by the runtime).
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder asyncExecutor(Executor executor) {
      checkOnce(asyncExecutor != null, "asyncExecutor");
      this.asyncExecutor = Objects.requireNonNull(executor, "asyncExecutor");
      return this;
    }

    /**
     * Sets the largest number of elements one input tensor may have; larger inputs are refused
     * with an {@link dev.swell.api.InvalidInputException} (default {@value
     * #DEFAULT_MAX_INPUT_ELEMENTS}).
     *
     * @param max at least 1
     * @return this builder
     */
    public Builder maxInputElements(long max) {
      checkOnce(maxInputElementsSet, "maxInputElements");
      if (max < 1) {
        throw new IllegalArgumentException("maxInputElements must be >= 1, was " + max);
      }
      maxInputElementsSet = true;
      this.inputLimits = inputLimits.withMaxElements(max);
      return this;
    }

    /**
     * Sets how large one request may be: elements per input tensor, bytes over all inputs,
     * characters per string element (default {@link InputLimits#DEFAULTS}). Larger requests are
     * refused with an {@link dev.swell.api.InvalidInputException} naming the limit.
     *
     * @param limits the limits
     * @return this builder
     */
    public Builder inputLimits(InputLimits limits) {
      checkOnce(inputLimitsSet, "inputLimits");
      inputLimitsSet = true;
      this.inputLimits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * Sets how long one load and warm-up of a version may take (default: no limit). A load that
     * takes longer is abandoned: the caller gets a {@link dev.swell.api.BackendException} (a
     * predictor following an alias keeps serving its version, reports the failure in health and
     * retries with backoff), and the late copy is closed when its load finally returns. A native
     * load cannot be interrupted: an abandoned one keeps its thread until it returns, and loads
     * queued behind it wait too, each bounded by this timeout.
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder loadTimeout(Duration timeout) {
      checkOnce(loadTimeout != null, "loadTimeout");
      if (timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("loadTimeout must be positive, was " + timeout);
      }
      this.loadTimeout = timeout;
      return this;
    }

    /**
     * Makes callers of slow calls fail closer to their deadline by spending CPU: a caller whose
     * call still runs {@code window} before its deadline spins on a core for the rest of it instead
     * of sleeping (default: callers sleep). Worth it where the OS wakes sleeping threads late while
     * the model keeps the other cores busy: on a 2-core VM here a thread sleeping beside one busy
     * core woke up to 3 ms late at p99, 0.2 ms when it spun its last 4 ms. At most one caller of
     * the runtime spins at a time; the others sleep. Each call that expires costs up to
     * {@code window} of one core.
     *
     * @param window from 0 to 50 ms; 0 turns spinning off
     * @return this builder
     */
    public Builder deadlineSpin(Duration window) {
      checkOnce(deadlineSpin != null, "deadlineSpin");
      if (window.isNegative() || window.compareTo(Duration.ofMillis(50)) > 0) {
        throw new IllegalArgumentException("deadlineSpin must be within [0, 50 ms], was " + window);
      }
      this.deadlineSpin = window;
      return this;
    }

    /**
     * Sets how long closing a model waits for the calls running on it (default 30 s).
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder drainTimeout(Duration timeout) {
      checkOnce(drainTimeoutSet, "drainTimeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("drainTimeout must be positive, was " + timeout);
      }
      drainTimeoutSet = true;
      this.drainTimeout = timeout;
      return this;
    }

    /**
     * Sets where {@link Swell#load(String, VersionSelector)} finds model versions, such as
     * {@code FileModelRegistry.open(dir)} from {@code swell-registry}.
     *
     * @param repository the repository
     * @return this builder
     */
    public Builder repository(ModelRepository repository) {
      checkOnce(this.repository != null, "repository");
      this.repository = Objects.requireNonNull(repository, "repository");
      return this;
    }

    /**
     * Creates the runtime, discovering backend providers now.
     *
     * @return a new runtime; close it when done
     */
    public Swell build() {
      return new Swell(this);
    }

    private static void checkOnce(boolean alreadySet, String option) {
      if (alreadySet) {
        throw new IllegalStateException(option + " was already set");
      }
    }
  }
}

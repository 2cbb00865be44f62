package dev.swell.abtest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.swell.abtest.assign.Allocation;
import dev.swell.abtest.stats.Effect;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.registry.ExperimentRecord;
import dev.swell.registry.ExperimentStore;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.SemVer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleBiFunction;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An experiment on one model, as served by one replica: a control, challengers that each own a
 * share of units, shadows that get copies of requests, and a decision loop that promotes the
 * winner or rolls a challenger back — the same experiment in every process that serves the
 * model, because its definition lives in the registry.
 *
 * <ul>
 *   <li><b>Definition in the registry</b> ({@link FileModelRegistry#experiments()}): the first
 *       replica to build an experiment stores it; every other one, and every restart, reads the
 *       stored one (a builder with variants must describe the same experiment; shares, status and
 *       history come from the store), and follows its changes within {@code refreshEvery}. Ramps,
 *       stops, rollbacks, promotions and bandit weights are new revisions, written by
 *       compare-and-set, each with the figures behind it in the experiment's history and in the
 *       model's event log.
 *   <li><b>Assignment</b> is GrowthBook's (see {@link Allocation}): sticky, the same in every
 *       process and in a GrowthBook-instrumented front end, and monotone under ramps. A unit
 *       outside the coverage is not in the experiment: the control's version serves it and
 *       nothing is counted.
 *   <li><b>Outcomes</b> are attributed to the variant that served the unit: {@link #record(Prediction,
 *       String, double)} with the prediction it served (or the variant named in it, logged with
 *       the request), however late the outcome arrives and whatever the unit's variant is by then.
 *       Per variant the replica records requests, errors, cache hits (left out of latency),
 *       latency of model calls and outcome metrics, and the distinct units exposed; it saves them
 *       to its own file beside the experiment every {@code saveEvery} and on close, and reads them
 *       back on restart, so a restart loses nothing saved.
 *   <li><b>Decisions</b> ({@link Decisions}) run every {@link ExperimentDefinition#decideEvery()}
 *       in the one replica holding the experiment's registry lock, over every replica's saved
 *       outcomes, with units counted once across replicas.
 * </ul>
 *
 * <p>Thread-safe. {@link #close()} saves and closes the variants' predictors (not the runtime).
 *
 * <pre>{@code
 * try (Experiment exp = Experiment.builder("fraud-canary").model("fraud")
 *         .control(VersionSelector.alias("production"))
 *         .challenger("canary", VersionSelector.exact("1.3.0"), 0.10)
 *         .policy(DecisionPolicy.maximize("fraud_caught").build())
 *         .build(swell, registry)) {
 *   Prediction p = exp.predict(userId, inputs);   // p.variant(): "control", "canary", or empty (not in it)
 *   exp.record(p, "fraud_caught", 1);             // later, when the outcome is known
 * }
 * }</pre>
 */
public final class Experiment implements AutoCloseable, MeterBinder {

  private static final Logger log = LoggerFactory.getLogger(Experiment.class);

  /** The control variant's default name. */
  public static final String CONTROL = "control";

  private final String key;
  private final String model;
  private final String replica;
  private final FileModelRegistry registry;
  private final ExperimentStore store;
  private final Clock clock;
  private final LongSupplier ticker;
  private final Map<String, Predictor> predictors = new LinkedHashMap<>();
  private final Recorder recorder;
  private final ExposureLog exposures;
  private final Path replicasDir;
  private final Path stateFile;
  private final FileChannel replicaLockChannel;
  private final FileLock replicaLock;
  private final Shadows shadows;
  private final ScheduledExecutorService scheduler;
  private final ThreadPoolExecutor ownedShadowExecutor;
  private final boolean autoDecide;
  private final List<Consumer<Decision>> decisionListeners = new CopyOnWriteArrayList<>();
  private ExposureLog.Union union; // guarded by this: the leader's count of units over replicas
  private volatile View view;
  private volatile boolean closed;

  /** What the request path reads: one volatile snapshot of the definition in force. */
  private record View(ExperimentDefinition def, boolean running, Allocation allocation, String[] names,
      Predictor[] predictors, Recorder.Arm[] arms, List<Shadows.Lane> lanes) {}

  private Experiment(Builder b, Swell swell, FileModelRegistry registry) {
    this.key = b.key;
    this.model = b.model;
    this.registry = registry;
    this.store = registry.experiments();
    this.clock = b.clock;
    this.ticker = b.ticker;
    this.replica = b.replica != null ? b.replica : defaultReplica();
    this.autoDecide = b.autoDecide;
    ExperimentDefinition def = storedOrCreated(b);
    this.replicasDir = store.replicasDir(model, key);
    this.stateFile = replicasDir.resolve(replica + ".json");
    FileChannel ch = null;
    FileLock lock;
    try {
      ch = FileChannel.open(replicasDir.resolve(replica + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      lock = ch.tryLock();
    } catch (IOException | OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      closeQuietly(ch);
      throw new IllegalStateException("replica '" + replica + "' of experiment '" + key + "' is in use by another "
          + "process or instance; give each replica its own name with Experiment.builder(...).replica(name)");
    }
    this.replicaLockChannel = ch;
    this.replicaLock = lock;
    List<String> names = new ArrayList<>();
    def.variations().forEach(v -> names.add(v.name()));
    def.shadows().forEach(s -> names.add(s.variant().name()));
    this.recorder = new Recorder(names);
    try {
      if (Files.exists(stateFile)) {
        Recorder.parse(Files.readString(stateFile), key, stateFile).forEach((name, t) -> {
          Recorder.Arm arm = recorder.arm(name);
          if (arm == null) {
            log.warn("experiment '{}': saved state has variant '{}', which the experiment does not have; ignored", key, name);
          } else {
            arm.restore(t);
          }
        });
        log.info("experiment '{}': replica '{}' continues from {}", key, replica, stateFile);
      }
      this.exposures = new ExposureLog(replicasDir.resolve(replica + ExposureLog.SUFFIX), def.variations().size());
      for (Variant v : def.variations()) {
        predictors.put(v.name(), swell.predictor(model, v.selector()));
      }
      for (ExperimentDefinition.Shadow s : def.shadows()) {
        predictors.put(s.variant().name(), swell.predictor(model, s.variant().selector()));
      }
    } catch (IOException | RuntimeException e) {
      predictors.values().forEach(Predictor::close);
      releaseReplica();
      if (e instanceof IOException io) {
        throw new UncheckedIOException("cannot read " + stateFile, io);
      }
      throw (RuntimeException) e;
    }
    Executor shadowExecutor;
    if (b.shadowExecutor != null) {
      shadowExecutor = b.shadowExecutor;
      this.ownedShadowExecutor = null;
    } else {
      // small and bounded: shadows must never slow the requests they copy; a full queue drops
      this.ownedShadowExecutor = new ThreadPoolExecutor(1, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256),
          daemon("swell-shadow-" + key), new ThreadPoolExecutor.AbortPolicy());
      shadowExecutor = ownedShadowExecutor;
    }
    this.shadows = new Shadows(key, shadowExecutor, ticker, b.shadowMetrics);
    this.view = view(def);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("swell-experiment-" + key));
    long refresh = b.refreshEvery.toMillis();
    scheduler.scheduleWithFixedDelay(this::refreshQuietly, refresh, refresh, TimeUnit.MILLISECONDS);
    long save = b.saveEvery.toMillis();
    scheduler.scheduleWithFixedDelay(() -> {
      try {
        save();
      } catch (RuntimeException | LinkageError e) {
        log.warn("experiment '{}': saving replica '{}' failed; will try again", key, replica, e);
      }
    }, save, save, TimeUnit.MILLISECONDS);
    if (autoDecide) {
      long every = def.decideEvery().toMillis();
      scheduler.scheduleWithFixedDelay(() -> {
        try {
          decideAndApply();
        } catch (RuntimeException | LinkageError e) {
          // a scheduled task that throws is never run again: log and keep deciding
          log.error("experiment '{}': deciding failed; will try again in {}", key, def.decideEvery(), e);
        }
      }, every, every, TimeUnit.MILLISECONDS);
    }
  }

  private ExperimentDefinition storedOrCreated(Builder b) {
    Optional<ExperimentRecord> stored = store.get(model, key);
    ExperimentDefinition wanted = b.control == null ? null : b.definition();
    if (stored.isEmpty()) {
      if (wanted == null) {
        throw new IllegalStateException("model '" + model + "' has no experiment '" + key + "' in " + registry.root()
            + "; describe it (control, challengers) to create it");
      }
      try {
        ExperimentRecord r = store.create(model, key, DefinitionCodec.write(wanted), "created", wanted.shares());
        log.info("experiment '{}' created: {}", key, wanted);
        return DefinitionCodec.read(r.definition(), r.revision());
      } catch (dev.swell.registry.RegistryConflictException raced) {
        stored = store.get(model, key); // another replica created it first: join it
      }
    }
    ExperimentRecord r = stored.orElseThrow();
    ExperimentDefinition def = DefinitionCodec.read(r.definition(), r.revision());
    if (wanted != null && !def.sameIdentity(wanted)) {
      throw new IllegalStateException("experiment '" + key + "' of model '" + model + "' exists with another "
          + "definition (" + def.identityDifference(wanted) + "); give the new experiment another key, or leave out "
          + "the variants to join the stored one");
    }
    return def;
  }

  private View view(ExperimentDefinition def) {
    int k = def.variations().size();
    String[] names = new String[k];
    Predictor[] ps = new Predictor[k];
    Recorder.Arm[] arms = new Recorder.Arm[k];
    for (int i = 0; i < k; i++) {
      names[i] = def.variations().get(i).name();
      ps[i] = predictors.get(names[i]);
      arms[i] = recorder.arm(names[i]);
    }
    List<Shadows.Lane> lanes = new ArrayList<>();
    for (ExperimentDefinition.Shadow s : def.shadows()) {
      String n = s.variant().name();
      lanes.add(new Shadows.Lane(n, def.allocation().seed() + "/shadow/" + n, s.fraction(), predictors.get(n),
          recorder.arm(n)));
    }
    return new View(def, def.status() == ExperimentDefinition.Status.RUNNING, def.allocation(), names, ps, arms,
        List.copyOf(lanes));
  }

  /**
   * Starts describing an experiment.
   *
   * @param key the experiment's key: the default seed of every assignment, so keep it stable for
   *     the experiment's life and unique on its model (the rules of model names)
   * @return a builder
   */
  public static Builder builder(String key) {
    return new Builder(key);
  }

  /**
   * Returns the experiment's key.
   *
   * @return the key
   */
  public String key() {
    return key;
  }

  /**
   * Returns this replica's name.
   *
   * @return the name its outcomes are saved under
   */
  public String replica() {
    return replica;
  }

  /**
   * Returns the definition in force here now (it follows the registry within
   * {@code refreshEvery}).
   *
   * @return the definition
   */
  public ExperimentDefinition definition() {
    return view.def;
  }

  /**
   * Returns the variant a unit is assigned to now.
   *
   * @param unit the unit's hash attribute value, such as a user id
   * @return the variant's name, or empty if the unit is not in the experiment (or it is not
   *     running)
   */
  public Optional<String> assign(String unit) {
    Objects.requireNonNull(unit, "unit");
    View v = view;
    int i = v.running ? v.allocation.assign(unit) : -1;
    return i < 0 ? Optional.empty() : Optional.of(v.names[i]);
  }

  /**
   * Serves a unit's request with its variant, records it, and copies it to the shadows.
   *
   * @param unit the unit's hash attribute value (a user id); see
   *     {@link dev.swell.abtest.assign.GrowthBook#hashValue} for numbers
   * @param inputs the request
   * @return the prediction, naming model, version and variant ({@link Prediction#variant()}
   *     empty when the unit is not in the experiment: the control's version served it and
   *     nothing was counted)
   * @throws InvalidInputException if the inputs do not fit the model (not counted as an error)
   * @throws dev.swell.api.SwellException if the variant's model fails (counted as an error)
   * @throws IllegalStateException if the experiment is closed
   */
  public Prediction predict(String unit, NamedTensors inputs) {
    return serve(unit, inputs, dev.swell.api.RequestOptions.DEFAULT);
  }

  /**
   * Serves a request with the variant of the unit its options name ({@code unitKey}), with their
   * deadline, priority and request id, as {@link #predict(String, NamedTensors)} does.
   *
   * @param inputs the request
   * @param options the options; their unit key is the unit
   * @return the prediction, with the options' request id
   * @throws IllegalArgumentException if the options name no unit
   * @throws InvalidInputException if the inputs do not fit the model (not counted as an error)
   * @throws dev.swell.api.SwellException if the variant's model fails or its deadline passes
   *     (counted as an error)
   * @throws IllegalStateException if the experiment is closed
   */
  public Prediction predict(NamedTensors inputs, dev.swell.api.RequestOptions options) {
    Objects.requireNonNull(options, "options");
    String unit = options.unitKey().orElseThrow(() -> new IllegalArgumentException(
        "experiment '" + key + "' assigns variants by unit: set RequestOptions.builder().unitKey(...)"));
    return serve(unit, inputs, options);
  }

  private Prediction serve(String unit, NamedTensors inputs, dev.swell.api.RequestOptions options) {
    Objects.requireNonNull(unit, "unit");
    if (closed) {
      throw new IllegalStateException("experiment '" + key + "' is closed");
    }
    View v = view;
    int i = v.running ? v.allocation.assign(unit) : -1;
    if (i < 0) {
      Prediction p = v.predictors[0].predict(inputs, options);
      if (!v.lanes.isEmpty()) {
        shadows.copy(v.lanes, unit, inputs, p);
      }
      return p;
    }
    Recorder.Arm arm = v.arms[i];
    exposures.expose(UnitSet.hash(unit), v.def.revision(), i, v.names.length);
    long t0 = ticker.getAsLong();
    Prediction p;
    try {
      p = v.predictors[i].predict(inputs, options);
    } catch (InvalidInputException e) {
      throw e;
    } catch (RuntimeException e) {
      arm.failure();
      throw e;
    }
    arm.success(ticker.getAsLong() - t0, p.cached());
    if (!v.lanes.isEmpty()) {
      shadows.copy(v.lanes, unit, inputs, p);
    }
    return p.withVariant(v.names[i]);
  }

  /**
   * Records an outcome for the variant that served a prediction (a conversion as 1 or 0, a
   * label that arrived a day later, revenue), whatever the unit's variant is now.
   *
   * @param served a prediction this experiment returned
   * @param metric the metric's name
   * @param value a finite value
   * @return true if recorded; false when the unit was not in the experiment (nothing counts)
   * @throws IllegalArgumentException if the prediction names a variant this experiment does not
   *     have, or the value is not finite
   */
  public boolean record(Prediction served, String metric, double value) {
    Objects.requireNonNull(served, "served");
    if (!served.model().equals(model)) {
      throw new IllegalArgumentException("the prediction was served by model '" + served.model()
          + "', not by experiment '" + key + "' on '" + model + "'");
    }
    Optional<String> variant = served.variant();
    if (variant.isEmpty()) {
      return false;
    }
    record(variant.get(), metric, value);
    return true;
  }

  /**
   * Records an outcome for a variant by name (as logged with the request it served).
   *
   * @param variant the variant that served the unit
   * @param metric the metric's name (not {@link DecisionPolicy#LATENCY}, which is recorded)
   * @param value a finite value
   * @throws IllegalArgumentException if there is no such variant, or the value is not finite
   */
  public void record(String variant, String metric, double value) {
    Objects.requireNonNull(metric, "metric");
    Recorder.Arm arm = recorder.arm(Objects.requireNonNull(variant, "variant"));
    if (arm == null) {
      throw new IllegalArgumentException("experiment '" + key + "' has no variant '" + variant + "'; it has "
          + predictors.keySet());
    }
    if (metric.equals(DecisionPolicy.LATENCY)) {
      throw new IllegalArgumentException(DecisionPolicy.LATENCY + " is recorded by the experiment itself");
    }
    arm.metric(metric, value);
  }

  /**
   * Changes a challenger's share of units (or a shadow's fraction of requests), in the registry:
   * every replica follows. Units only move between the control and this challenger. Ramping a
   * rolled-back challenger up brings it back.
   *
   * @param variant a challenger or shadow
   * @param share a challenger's share of all units, or a shadow's fraction of requests, 0 to 1
   * @return the new definition
   * @throws IllegalArgumentException if there is no such variant, or the control has not that
   *     much space left
   */
  public ExperimentDefinition ramp(String variant, double share) {
    Objects.requireNonNull(variant, "variant");
    return change("ramp", def -> {
      int i = def.indexOf(variant);
      if (i > 0) {
        String summary = String.format(Locale.ROOT, "%s %.2f%% -> %.2f%% of units", variant,
            def.allocation().share(i) * 100, share * 100);
        ExperimentDefinition next = def.withAllocation(def.allocation().ramp(i, share));
        if (share > 0 && def.stoppedVariants().contains(variant)) {
          next = without(next, variant);
        }
        return new Change(next, summary, "{}");
      }
      List<ExperimentDefinition.Shadow> shadowsNow = new ArrayList<>(def.shadows());
      for (int s = 0; s < shadowsNow.size(); s++) {
        ExperimentDefinition.Shadow sh = shadowsNow.get(s);
        if (sh.variant().name().equals(variant)) {
          shadowsNow.set(s, new ExperimentDefinition.Shadow(sh.variant(), share));
          return new Change(def.withShadows(shadowsNow), String.format(Locale.ROOT, "shadow %s %.0f%% -> %.0f%% of "
              + "requests", variant, sh.fraction() * 100, share * 100), "{}");
        }
      }
      throw new IllegalArgumentException("experiment '" + key + "' has no challenger or shadow '" + variant
          + "'; it has " + predictors.keySet());
    });
  }

  private static ExperimentDefinition without(ExperimentDefinition d, String variant) {
    java.util.Set<String> s = new java.util.TreeSet<>(d.stoppedVariants());
    s.remove(variant);
    ExperimentDefinition out = d;
    // rebuild with the smaller set: withStopped only adds
    return new ExperimentDefinition(out.key(), out.model(), out.hashAttribute(), out.coverage(), out.variations(),
        out.shadows(), out.allocation(), out.policy(), out.bandit().orElse(null), out.decideEvery(), out.status(), s,
        out.shareHistory(), out.srmFlagged(), out.outcome().orElse(null), out.revision());
  }

  /**
   * Stops the experiment by hand: every unit is served by the control, nothing more is counted.
   *
   * @param why recorded in the history
   * @return the new definition
   */
  public ExperimentDefinition stop(String why) {
    Objects.requireNonNull(why, "why");
    return change("stop", def -> new Change(def.withStatus(ExperimentDefinition.Status.STOPPED, "stopped: " + why),
        why, "{}"));
  }

  private record Change(ExperimentDefinition next, String summary, String figures) {}

  /** Applies a change to the latest stored definition, by compare-and-set, retrying on conflicts. */
  private ExperimentDefinition change(String kind, java.util.function.Function<ExperimentDefinition, Change> f) {
    for (int attempt = 0; attempt < 100; attempt++) {
      ExperimentDefinition def = latest();
      Change c = f.apply(def);
      Optional<ExperimentRecord> written = store.compareAndSet(model, key, def.revision(),
          DefinitionCodec.write(c.next()), kind, c.summary(), c.figures());
      if (written.isPresent()) {
        ExperimentDefinition now = DefinitionCodec.read(written.get().definition(), written.get().revision());
        view = view(now);
        log.info("experiment '{}' revision {} {}: {}", key, now.revision(), kind, c.summary());
        return now;
      }
    }
    throw new IllegalStateException("experiment '" + key + "' kept changing under this " + kind + "; try again");
  }

  private ExperimentDefinition latest() {
    ExperimentRecord r = store.get(model, key).orElseThrow(() -> new IllegalStateException(
        "experiment '" + key + "' of model '" + model + "' disappeared from the registry"));
    return DefinitionCodec.read(r.definition(), r.revision());
  }

  /** Reads the stored definition and switches to it if it changed. */
  void refresh() {
    ExperimentDefinition def = latest();
    if (def.revision() != view.def.revision()) {
      view = view(def);
      log.info("experiment '{}' follows revision {}: {}", key, def.revision(), def);
    }
  }

  private void refreshQuietly() {
    try {
      refresh();
    } catch (RuntimeException | LinkageError e) {
      log.warn("experiment '{}': reading its definition failed; keeping revision {}", key, view.def.revision(), e);
    }
  }

  /**
   * Saves this replica's outcomes and new exposures now (also done every {@code saveEvery} and
   * on close). A crash leaves the previous save or this one, never a mixture.
   *
   * @throws UncheckedIOException if they cannot be written
   */
  public synchronized void save() {
    exposures.flush();
    Recorder.writeAtomically(stateFile, Recorder.json(key, replica, view.def.revision(), clock.instant(),
        recorder.totals()));
  }

  /**
   * Returns what this replica recorded, per variant.
   *
   * @return totals by variant name
   */
  public Map<String, VariantTotals> localTotals() {
    return recorder.totals();
  }

  /**
   * Returns what every replica saved, per variant, this replica's latest counts included.
   *
   * @return totals by variant name
   */
  public Map<String, VariantTotals> totals() {
    save();
    Map<String, VariantTotals> sum = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(replicasDir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
        Recorder.parse(Files.readString(f), key, f).forEach((name, t) -> sum.merge(name, t, VariantTotals::plus));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the replicas' states in " + replicasDir, e);
    }
    return sum;
  }

  /** Units over every replica, each once. */
  private synchronized Exposures allExposures() {
    if (union == null) {
      union = new ExposureLog.Union(replicasDir, view.def.variations().size());
    }
    return union.read();
  }

  /**
   * Decides now over every replica's outcomes, without changing anything.
   *
   * @return the decision and its figures
   */
  public Decision decide() {
    Map<String, VariantTotals> totals = totals();
    ExperimentDefinition def = latest();
    return Decisions.decide(def, totals, allExposures(), banditPeriod(def));
  }

  private long banditPeriod(ExperimentDefinition def) {
    return def.bandit().map(b -> clock.millis() / b.every().toMillis()).orElse(0L);
  }

  /**
   * Decides and carries the decision out, if this replica holds the experiment's registry lock
   * (else returns empty: another replica decides now). A rollback sets the challenger's share to
   * 0; a promotion points the policy's alias at the challenger's version and concludes the
   * experiment; a sample ratio mismatch is flagged once; a bandit's weights move the shares.
   * Each is a new revision with the figures in the history. The loop calls this every
   * {@link ExperimentDefinition#decideEvery()}.
   *
   * @return the decision made, or empty when another replica leads
   */
  public Optional<Decision> decideAndApply() {
    Optional<AutoCloseable> lead = store.tryLead(model, key);
    if (lead.isEmpty()) {
      return Optional.empty();
    }
    try (AutoCloseable held = lead.get()) {
      Decision d = decide();
      apply(d);
      for (Consumer<Decision> l : decisionListeners) {
        try {
          l.accept(d);
        } catch (RuntimeException e) {
          log.warn("experiment '{}': a decision listener failed", key, e);
        }
      }
      return Optional.of(d);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("releasing the lead of experiment '" + key + "' failed", e);
    }
  }

  private void apply(Decision d) {
    String figures = figures(d);
    switch (d.kind()) {
      case ROLLBACK -> change("rollback", def -> {
        int i = def.indexOf(d.variant());
        return new Change(def.withAllocation(def.allocation().ramp(i, 0)).withStopped(d.variant()),
            d.variant() + " rolled back: " + d.reason(), figures);
      });
      case PROMOTE -> {
        ExperimentDefinition def = latest();
        Variant winner = def.variations().get(def.indexOf(d.variant()));
        SemVer version = registry.resolveVersion(model, winner.selector());
        String alias = def.policy().promoteAlias();
        if (alias != null) {
          registry.promote(model, version, alias);
        }
        String outcome = "promoted " + winner.name() + " (" + version + ")"
            + (alias == null ? "" : " to '" + alias + "'") + ": " + d.reason();
        change("promote", latest -> {
          Allocation a = latest.allocation();
          for (int i = 1; i < latest.variations().size(); i++) {
            a = a.ramp(i, 0);
          }
          return new Change(latest.withAllocation(a).withStatus(ExperimentDefinition.Status.CONCLUDED, outcome),
              outcome, figures);
        });
      }
      case HOLD -> {
        if (!view.def.srmFlagged()) {
          change("srm", def -> new Change(def.withSrmFlagged(true), d.reason(), figures));
        }
      }
      case REWEIGHT -> change("reweight", def -> {
        double[] w = d.weights();
        Allocation a = def.allocation();
        // growing arms first take what the control has now, then shrinking arms give back, then the
        // rest of the growth: a unit only moves from an arm that shrinks to one that grows
        for (int i = 1; i < w.length; i++) {
          if (w[i] > a.share(i)) {
            a = a.ramp(i, Math.min(w[i], a.share(i) + a.share(0)));
          }
        }
        for (int i = 1; i < w.length; i++) {
          if (w[i] < a.share(i)) {
            a = a.ramp(i, w[i]);
          }
        }
        for (int i = 1; i < w.length; i++) {
          if (w[i] > a.share(i)) {
            a = a.ramp(i, Math.min(w[i], a.share(i) + a.share(0)));
          }
        }
        return new Change(def.withAllocation(a), d.reason(), figures);
      });
      default -> {
        // continue: nothing to change
      }
    }
  }

  /** A decision's figures as a JSON object, for the registry's history. */
  static String figures(Decision d) {
    ObjectNode o = DefinitionCodec.JSON.createObjectNode();
    o.put("kind", d.kind().name());
    if (d.variant() != null) {
      o.put("variant", d.variant());
    }
    number(o, "srmPValue", d.srmPValue());
    ArrayNode vs = o.putArray("variants");
    for (Decision.Figures f : d.figures()) {
      ObjectNode v = vs.addObject();
      v.put("name", f.variant());
      number(v, "share", f.share());
      v.put("units", f.units());
      v.put("requests", f.requests());
      number(v, "errorRate", f.errorRate());
      v.put("metricCount", f.metricCount());
      number(v, "metricMean", f.metricMean());
      number(v, "p99Micros", f.p99Micros());
      number(v, "errorIncreaseLowerBound", f.errorIncreaseLowerBound());
      Effect e = f.effect();
      if (e != null) {
        ObjectNode eo = v.putObject("effect");
        number(eo, "estimate", e.estimate());
        number(eo, "lower", e.lower());
        number(eo, "upper", e.upper());
        number(eo, "pValue", e.pValue());
        eo.put("relative", e.relative());
      }
    }
    return o.toString();
  }

  private static void number(ObjectNode o, String field, double x) {
    if (Double.isFinite(x)) {
      o.put(field, x);
    } else {
      o.putNull(field);
    }
  }

  /**
   * Adds a listener of the decisions this replica makes (when it leads). Its failures are logged
   * and ignored.
   *
   * @param listener called on the experiment's thread
   * @return a handle; close it to remove the listener
   */
  public AutoCloseable onDecision(Consumer<Decision> listener) {
    Objects.requireNonNull(listener, "listener");
    decisionListeners.add(listener);
    return () -> decisionListeners.remove(listener);
  }

  /**
   * Publishes, per variant: {@code swell.experiment.requests} and {@code swell.experiment.errors}
   * (function counters over this replica's counts: nothing is added to the request path) and
   * {@code swell.experiment.share} (gauge), tagged {@code experiment} and {@code variant}.
   *
   * @param registry any Micrometer registry
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    for (String name : predictors.keySet()) {
      Recorder.Arm a = recorder.arm(name);
      Tags tags = Tags.of("experiment", key, "variant", name);
      FunctionCounter.builder("swell.experiment.requests", a, arm -> arm.requests.sum())
          .description("requests a variant served in the experiment (a shadow: copies run)").tags(tags)
          .register(registry);
      FunctionCounter.builder("swell.experiment.errors", a, arm -> arm.errors.sum())
          .description("of those, failures in the model").tags(tags).register(registry);
      Gauge.builder("swell.experiment.share", this, e -> e.shareOf(name))
          .description("the variant's share of units (a shadow: of requests copied)").tags(tags).register(registry);
    }
  }

  private double shareOf(String name) {
    ExperimentDefinition def = view.def;
    int i = def.indexOf(name);
    if (i >= 0) {
      return def.allocation().share(i);
    }
    return def.shadows().stream().filter(s -> s.variant().name().equals(name)).mapToDouble(
        ExperimentDefinition.Shadow::fraction).findFirst().orElse(0);
  }

  /**
   * Saves this replica's outcomes, then closes the variants' predictors (not the runtime) and the
   * experiment's threads. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    scheduler.shutdownNow();
    if (ownedShadowExecutor != null) { // copies in flight finish and are counted before the save
      ownedShadowExecutor.shutdown();
      try {
        ownedShadowExecutor.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      save();
    } catch (RuntimeException e) {
      log.warn("experiment '{}': saving replica '{}' on close failed", key, replica, e);
    }
    predictors.values().forEach(Predictor::close);
    releaseReplica();
  }

  private void releaseReplica() {
    try {
      if (replicaLock != null) {
        replicaLock.release();
      }
    } catch (IOException e) {
      log.debug("releasing the replica lock", e);
    }
    closeQuietly(replicaLockChannel);
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** The host's name (a pod's name in Kubernetes), cleaned to a registry name. */
  static String defaultReplica() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        host = "replica";
      }
    }
    String clean = host.replaceAll("[^A-Za-z0-9._-]", "-");
    clean = clean.isEmpty() || !Character.isLetterOrDigit(clean.charAt(0)) ? "r" + clean : clean;
    return clean.length() > 64 ? clean.substring(0, 64) : clean;
  }

  /**
   * Describes an {@link Experiment}. The variants, shares and hash settings only matter the first
   * time (when the experiment is created in the registry); afterwards the stored definition wins
   * and a builder that names variants must name the same ones. Each option is checked when set.
   * Not thread-safe.
   */
  public static final class Builder {
    private final String key;
    private String model;
    private VersionSelector control;
    private String controlName = CONTROL;
    private final List<Variant> challengers = new ArrayList<>();
    private final List<Double> shares = new ArrayList<>();
    private final List<ExperimentDefinition.Shadow> shadowList = new ArrayList<>();
    private double coverage = 1;
    private String seed;
    private int hashVersion = 2;
    private String hashAttribute = "id";
    private Allocation.Namespace namespace;
    private DecisionPolicy policy = DecisionPolicy.minimize(DecisionPolicy.LATENCY).build();
    private BanditPolicy bandit;
    private Duration decideEvery = Duration.ofMinutes(1);
    private String replica;
    private Duration saveEvery = Duration.ofSeconds(5);
    private Duration refreshEvery = Duration.ofSeconds(1);
    private boolean autoDecide = true;
    private Executor shadowExecutor;
    private final Map<String, ToDoubleBiFunction<Prediction, Prediction>> shadowMetrics = new LinkedHashMap<>();
    private Clock clock = Clock.systemUTC();
    private LongSupplier ticker = System::nanoTime;

    private Builder(String key) {
      Objects.requireNonNull(key, "key");
      if (!key.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
        throw new IllegalArgumentException("experiment key '" + key + "' must be 1 to 128 letters, digits, '.', '_' "
            + "or '-', starting with a letter or digit");
      }
      this.key = key;
    }

    /**
     * Sets the model the variants are versions of.
     *
     * @param name the model's name in the registry
     * @return this builder
     */
    public Builder model(String name) {
      this.model = Objects.requireNonNull(name, "model");
      return this;
    }

    /**
     * Sets the control: the version units get unless a challenger takes them (GrowthBook's
     * variation 0), named {@value Experiment#CONTROL}.
     *
     * @param selector usually the {@code production} alias
     * @return this builder
     */
    public Builder control(VersionSelector selector) {
      this.control = Objects.requireNonNull(selector, "control");
      return this;
    }

    /**
     * Adds a challenger that takes a share of the units in the experiment.
     *
     * @param name its name (unique)
     * @param selector the version it serves
     * @param share its weight, 0 to 1; the control's is what the challengers leave
     * @return this builder
     */
    public Builder challenger(String name, VersionSelector selector, double share) {
      Variant v = new Variant(name, selector, Variant.Role.CHALLENGER);
      checkName(name);
      if (!(share >= 0 && share <= 1)) {
        throw new IllegalArgumentException("share of '" + name + "' must be in [0, 1], was " + share);
      }
      double total = share + shares.stream().mapToDouble(Double::doubleValue).sum();
      if (total > 1 + 1e-9) {
        throw new IllegalArgumentException("challengers' shares add up to " + total + ", more than 1");
      }
      challengers.add(v);
      shares.add(share);
      return this;
    }

    /**
     * Adds a shadow that gets a copy of a fraction of requests (the same units' requests
     * everywhere); its answers are recorded, never returned.
     *
     * @param name its name (unique)
     * @param selector the version it serves
     * @param fraction of requests copied, 0 to 1
     * @return this builder
     */
    public Builder shadow(String name, VersionSelector selector, double fraction) {
      checkName(name);
      shadowList.add(new ExperimentDefinition.Shadow(new Variant(name, selector, Variant.Role.SHADOW), fraction));
      return this;
    }

    private void checkName(String name) {
      if (name.equals(controlName) || challengers.stream().anyMatch(c -> c.name().equals(name))
          || shadowList.stream().anyMatch(s -> s.variant().name().equals(name))) {
        throw new IllegalArgumentException("variant name '" + name + "' is taken");
      }
    }

    /**
     * Sets the fraction of units in the experiment (default 1); the others are served by the
     * control's version and not counted.
     *
     * @param fraction in (0, 1]
     * @return this builder
     */
    public Builder coverage(double fraction) {
      if (!(fraction > 0 && fraction <= 1)) {
        throw new IllegalArgumentException("coverage must be in (0, 1], was " + fraction);
      }
      this.coverage = fraction;
      return this;
    }

    /**
     * Sets the seed hashed with each unit (default: the key, as GrowthBook).
     *
     * @param s not blank
     * @return this builder
     */
    public Builder seed(String s) {
      Objects.requireNonNull(s, "seed");
      if (s.isEmpty()) {
        throw new IllegalArgumentException("seed must not be empty");
      }
      this.seed = s;
      return this;
    }

    /**
     * Sets GrowthBook's hash version (default 2; GrowthBook's SDKs default to 1, whose buckets
     * are biased).
     *
     * @param version 1 or 2
     * @return this builder
     */
    public Builder hashVersion(int version) {
      if (version != 1 && version != 2) {
        throw new IllegalArgumentException("hashVersion must be 1 or 2, was " + version);
      }
      this.hashVersion = version;
      return this;
    }

    /**
     * Names the unit attribute the caller passes (default {@code id}), as GrowthBook's
     * {@code hashAttribute}; informational.
     *
     * @param attribute such as {@code userId}
     * @return this builder
     */
    public Builder hashAttribute(String attribute) {
      this.hashAttribute = Objects.requireNonNull(attribute, "attribute");
      return this;
    }

    /**
     * Puts the experiment in a GrowthBook namespace slice: only units whose namespace hash falls
     * in {@code [start, end)} are in it, so experiments in disjoint slices share no unit.
     *
     * @param id the namespace
     * @param start from 0
     * @param end up to 1
     * @return this builder
     */
    public Builder namespace(String id, double start, double end) {
      this.namespace = new Allocation.Namespace(id, start, end);
      return this;
    }

    /**
     * Sets the decision policy (default: minimize latency, sequential, guardrail errors +1%).
     *
     * @param p the policy
     * @return this builder
     */
    public Builder policy(DecisionPolicy p) {
      this.policy = Objects.requireNonNull(p, "policy");
      return this;
    }

    /**
     * Makes the experiment a Thompson-sampling bandit (default: fixed shares).
     *
     * @param b the bandit policy
     * @return this builder
     */
    public Builder bandit(BanditPolicy b) {
      this.bandit = Objects.requireNonNull(b, "bandit");
      return this;
    }

    /**
     * Sets how often the deciding replica evaluates the policy (default 1 minute).
     *
     * @param interval at least 1 ms
     * @return this builder
     */
    public Builder decideEvery(Duration interval) {
      if (interval.toMillis() < 1) {
        throw new IllegalArgumentException("decideEvery must be at least 1 ms, was " + interval);
      }
      this.decideEvery = interval;
      return this;
    }

    /**
     * Names this replica (default: the host's name, a pod's name in Kubernetes). Its outcomes
     * are saved under it and read back by a replica of the same name after a restart; two live
     * processes may not share one.
     *
     * @param name letters, digits, '.', '_' or '-'
     * @return this builder
     */
    public Builder replica(String name) {
      Objects.requireNonNull(name, "replica");
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
        throw new IllegalArgumentException("replica name '" + name + "' must be 1 to 64 letters, digits, '.', '_' "
            + "or '-', starting with a letter or digit");
      }
      this.replica = name;
      return this;
    }

    /**
     * Sets how often this replica saves its outcomes (default 5 s): a crash loses at most this
     * much.
     *
     * @param interval at least 1 ms
     * @return this builder
     */
    public Builder saveEvery(Duration interval) {
      if (interval.toMillis() < 1) {
        throw new IllegalArgumentException("saveEvery must be at least 1 ms, was " + interval);
      }
      this.saveEvery = interval;
      return this;
    }

    /**
     * Sets how often the stored definition is read again (default 1 s).
     *
     * @param interval at least 1 ms
     * @return this builder
     */
    public Builder refreshEvery(Duration interval) {
      if (interval.toMillis() < 1) {
        throw new IllegalArgumentException("refreshEvery must be at least 1 ms, was " + interval);
      }
      this.refreshEvery = interval;
      return this;
    }

    /**
     * Sets whether this replica runs the decision loop (default true; the registry's lock makes
     * one replica at a time decide).
     *
     * @param enabled whether to decide automatically
     * @return this builder
     */
    public Builder autoDecide(boolean enabled) {
      this.autoDecide = enabled;
      return this;
    }

    /**
     * Sets where shadow copies run (default: up to 2 threads of the experiment's own, with a
     * queue of 256; a copy that finds it full is dropped and counted).
     *
     * @param executor it should reject rather than block when busy
     * @return this builder
     */
    public Builder shadowExecutor(Executor executor) {
      this.shadowExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Adds a metric recorded for a shadow on each copy, comparing its answer with the one served
     * (such as the cosine similarity of two embeddings).
     *
     * @param metric the metric's name
     * @param comparison (served, shadow) to a finite value
     * @return this builder
     */
    public Builder shadowMetric(String metric, ToDoubleBiFunction<Prediction, Prediction> comparison) {
      shadowMetrics.put(Objects.requireNonNull(metric, "metric"), Objects.requireNonNull(comparison, "comparison"));
      return this;
    }

    /**
     * Sets the clock of saves and bandit periods (default UTC system clock).
     *
     * @param c the clock
     * @return this builder
     */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /**
     * Sets the nanosecond ticker latency is measured with (default {@code System::nanoTime}).
     *
     * @param t the ticker
     * @return this builder
     */
    public Builder ticker(LongSupplier t) {
      this.ticker = Objects.requireNonNull(t, "ticker");
      return this;
    }

    ExperimentDefinition definition() {
      List<Variant> vars = new ArrayList<>();
      vars.add(new Variant(controlName, control, Variant.Role.CONTROL));
      vars.addAll(challengers);
      double[] weights = new double[vars.size()];
      double sum = 0;
      for (int i = 0; i < shares.size(); i++) {
        weights[i + 1] = shares.get(i);
        sum += shares.get(i);
      }
      weights[0] = Math.max(0, 1 - sum);
      Allocation a = Allocation.of(seed != null ? seed : key, hashVersion, vars.size(), coverage, weights, namespace);
      double[] initial = new double[vars.size()];
      for (int i = 0; i < initial.length; i++) {
        initial[i] = a.share(i);
      }
      return new ExperimentDefinition(key, model, hashAttribute, coverage, vars, shadowList, a, policy, bandit,
          decideEvery, ExperimentDefinition.Status.RUNNING, java.util.Set.of(),
          List.of(new ExperimentDefinition.SharePeriod(1, initial)), false, null, 0);
    }

    /**
     * Creates the experiment in the registry (or joins the stored one) and starts serving it
     * here: a predictor per variant from the runtime, this replica's saved outcomes read back,
     * the registry followed, and the decision loop started.
     *
     * @param swell the runtime, with the registry as its repository
     * @param registry the registry holding the model and the experiment
     * @return the experiment
     * @throws IllegalStateException if the model is not set, the stored experiment differs, or the
     *     replica name is taken
     * @throws dev.swell.api.ModelNotFoundException if a variant's selector names nothing
     */
    public Experiment build(Swell swell, FileModelRegistry registry) {
      Objects.requireNonNull(swell, "swell");
      Objects.requireNonNull(registry, "registry");
      if (model == null) {
        throw new IllegalStateException("set the model before build()");
      }
      if (control == null && (!challengers.isEmpty() || !shadowList.isEmpty())) {
        throw new IllegalStateException("set the control: variants without a control describe no experiment");
      }
      return new Experiment(this, swell, registry);
    }
  }
}

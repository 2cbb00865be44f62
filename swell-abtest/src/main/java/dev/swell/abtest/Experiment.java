package dev.swell.abtest;

import dev.swell.abtest.stats.Summary;
import dev.swell.abtest.stats.Tests;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.SemVer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An experiment on one model: a control, challengers that each take a share of units, and shadows
 * that get copies of requests. A unit (a user, an account: whatever outcomes are measured on) is
 * assigned by a hash of (experiment key, unit key), so every instance and every restart agrees,
 * a unit keeps its variant, and raising a challenger's share only moves units from the control to
 * it. Each variant is served by a {@link Predictor} of the runtime, so an alias is followed as it
 * moves and swaps never fail a request.
 *
 * <p>Per variant the experiment records requests, errors (backend failures; invalid inputs are the
 * caller's) and latency on its own, and any outcome metric the host reports with {@link #record}.
 * {@link #decide} tests a challenger against the control; {@link #apply} promotes the winner
 * through the registry's alias, or stops a loser's traffic. Thread-safe.
 *
 * <pre>{@code
 * try (Experiment exp = Experiment.builder("fraud-canary").model("fraud")
 *         .control(VersionSelector.alias("production"))
 *         .challenger("canary", VersionSelector.exact("1.3.0"), 0.05)
 *         .build(swell)) {
 *   Prediction p = exp.predict(userId, inputs);        // p.variant() is "control" or "canary"
 *   exp.record(userId, "fraud_caught", caught ? 1 : 0); // later, when the outcome is known
 *   Decision d = exp.decide(DecisionPolicy.maximize("fraud_caught"));
 *   exp.apply(d, registry, "production");
 * }
 * }</pre>
 */
public final class Experiment implements AutoCloseable, MeterBinder {

  private static final Logger log = LoggerFactory.getLogger(Experiment.class);

  /** The control variant's name. */
  public static final String CONTROL = "control";

  private final String key;
  private final String model;
  private final Variant control;
  private final Predictor controlPredictor;
  private final List<Arm> challengers = new ArrayList<>();
  private final List<Arm> shadows = new ArrayList<>();
  private final Map<String, Arm> arms = new LinkedHashMap<>();
  private final Executor shadowExecutor;
  private final ThreadPoolExecutor ownedShadowExecutor;
  /** Upper bucket bound of each challenger, in order; the control takes the rest. */
  private volatile int[] bounds;
  private final Path stateFile; // null: in memory only
  private final ScheduledExecutorService saver; // null without a state file

  /** A variant with its predictor and what was recorded about it. */
  private static final class Arm {
    final String name;
    final Variant.Role role;
    final VersionSelector selector;
    final Predictor predictor;
    volatile double share;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong dropped = new AtomicLong();
    final AtomicLong identical = new AtomicLong();
    final Summary latencyMicros = new Summary();
    final Map<String, Summary> metrics = new ConcurrentHashMap<>();

    Arm(Variant v, Predictor predictor) {
      this.name = v.name();
      this.role = v.role();
      this.selector = v.selector();
      this.share = v.share();
      this.predictor = predictor;
    }
  }

  private Experiment(Builder b, Swell swell) {
    this.key = b.key;
    this.model = b.model;
    ExperimentState saved = b.stateFile != null && Files.exists(b.stateFile) ? ExperimentState.read(b.stateFile) : null;
    if (saved != null && !saved.experiment().equals(key)) {
      throw new IllegalArgumentException(b.stateFile + " holds the state of experiment '" + saved.experiment()
          + "', not '" + key + "'");
    }
    this.control = new Variant(CONTROL, b.control, Variant.Role.CONTROL, 1);
    List<Predictor> opened = new ArrayList<>();
    try {
      controlPredictor = swell.predictor(model, control.selector());
      opened.add(controlPredictor);
      arms.put(CONTROL, new Arm(control, controlPredictor));
      for (Variant v : b.variants) {
        Predictor p = swell.predictor(model, v.selector());
        opened.add(p);
        Arm arm = new Arm(v, p);
        arms.put(v.name(), arm);
        (v.role() == Variant.Role.SHADOW ? shadows : challengers).add(arm);
      }
    } catch (RuntimeException e) {
      opened.forEach(Predictor::close);
      throw e;
    }
    if (b.shadowExecutor != null) {
      this.shadowExecutor = b.shadowExecutor;
      this.ownedShadowExecutor = null;
    } else {
      // small and bounded: shadows must never slow the requests they copy; a full queue drops
      this.ownedShadowExecutor = new ThreadPoolExecutor(1, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256),
          r -> {
            Thread t = new Thread(r, "swell-shadow-" + key);
            t.setDaemon(true);
            return t;
          }, new ThreadPoolExecutor.AbortPolicy());
      this.shadowExecutor = ownedShadowExecutor;
    }
    this.bounds = bounds();
    this.stateFile = b.stateFile;
    if (stateFile != null) {
      if (saved != null) {
        restore(saved);
      }
      long ms = b.saveEvery.toMillis();
      this.saver = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "swell-experiment-save-" + key);
        t.setDaemon(true);
        return t;
      });
      saver.scheduleWithFixedDelay(() -> {
        try {
          save();
        } catch (RuntimeException e) {
          log.warn("experiment '{}': saving its state to {} failed; will try again", key, stateFile, e);
        }
      }, ms, ms, TimeUnit.MILLISECONDS);
    } else {
      this.saver = null;
    }
  }

  private void restore(ExperimentState state) {
    state.variants().forEach((name, v) -> {
      Arm a = arms.get(name);
      if (a == null) {
        log.warn("experiment '{}': saved state has variant '{}', which the experiment no longer has; ignored", key, name);
        return;
      }
      a.requests.set(v.requests());
      a.errors.set(v.errors());
      a.dropped.set(v.dropped());
      a.identical.set(v.identical());
      a.latencyMicros.merge(v.latencyMicros());
      v.metrics().forEach((m, snap) -> a.metrics.put(m, Summary.of(snap)));
    });
    log.info("experiment '{}': continued from {} (saved {})", key, stateFile, state.savedAt());
  }

  /**
   * Returns what the experiment has recorded, as {@link #save} writes it.
   *
   * @return the state now
   */
  public ExperimentState state() {
    Map<String, ExperimentState.VariantState> variants = new LinkedHashMap<>();
    for (Arm a : arms.values()) {
      Map<String, Summary.Snapshot> m = new LinkedHashMap<>();
      a.metrics.forEach((k, v) -> m.put(k, v.snapshot()));
      variants.put(a.name, new ExperimentState.VariantState(a.requests.get(), a.errors.get(), a.dropped.get(),
          a.identical.get(), a.latencyMicros.snapshot(), m));
    }
    return new ExperimentState(key, Instant.now(), variants);
  }

  /**
   * Writes the state to the experiment's state file now (it is also written periodically and on
   * close). A crash leaves the last complete state.
   *
   * @throws IllegalStateException if the experiment has no state file
   * @throws java.io.UncheckedIOException if it cannot be written
   */
  public synchronized void save() {
    if (stateFile == null) {
      throw new IllegalStateException("experiment '" + key + "' has no state file; set one with persistTo");
    }
    state().write(stateFile);
  }

  /**
   * Starts an experiment.
   *
   * @param key the experiment's key: part of every assignment, so keep it stable for the
   *     experiment's life and unique among experiments
   * @return a builder
   */
  public static Builder builder(String key) {
    return new Builder(key);
  }

  private int[] bounds() {
    int[] out = new int[challengers.size()];
    int acc = 0;
    for (int i = 0; i < out.length; i++) {
      acc += (int) Math.round(challengers.get(i).share * Bucketing.BUCKETS);
      out[i] = acc;
    }
    return out;
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
   * Returns the variant a unit is assigned to now.
   *
   * @param unitKey the unit, such as a user id
   * @return the variant's name
   */
  public String assign(String unitKey) {
    return arm(unitKey).name;
  }

  private Arm arm(String unitKey) {
    Objects.requireNonNull(unitKey, "unitKey");
    int bucket = Bucketing.bucket(key, unitKey);
    int[] b = bounds;
    for (int i = 0; i < b.length; i++) {
      if (bucket < b[i]) {
        return challengers.get(i);
      }
    }
    return arms.get(CONTROL);
  }

  /**
   * Serves a unit's request with its variant, records the outcome, and copies the request to the
   * shadows (in the background; their answers are recorded, never returned).
   *
   * @param unitKey the unit
   * @param inputs the request
   * @return the prediction, naming model, version and variant
   * @throws InvalidInputException if the inputs do not fit the model (not counted as an error)
   * @throws dev.swell.api.SwellException if the variant's model fails (counted as an error)
   */
  public Prediction predict(String unitKey, NamedTensors inputs) {
    Arm arm = arm(unitKey);
    long t0 = System.nanoTime();
    Prediction p;
    try {
      p = arm.predictor.predict(inputs);
    } catch (InvalidInputException e) {
      throw e;
    } catch (RuntimeException e) {
      arm.requests.incrementAndGet();
      arm.errors.incrementAndGet();
      throw e;
    }
    arm.latencyMicros.add((System.nanoTime() - t0) / 1000.0);
    arm.requests.incrementAndGet();
    if (!shadows.isEmpty()) {
      int bucket = Bucketing.bucket(key + "/shadow", unitKey);
      for (Arm shadow : shadows) {
        if (bucket < shadow.share * Bucketing.BUCKETS) {
          copyToShadow(shadow, inputs, p);
        }
      }
    }
    return p.withVariant(arm.name);
  }

  private void copyToShadow(Arm shadow, NamedTensors inputs, Prediction served) {
    try {
      shadowExecutor.execute(() -> {
        long t0 = System.nanoTime();
        try {
          Prediction s = shadow.predictor.predict(inputs);
          shadow.latencyMicros.add((System.nanoTime() - t0) / 1000.0);
          if (s.outputs().equals(served.outputs())) {
            shadow.identical.incrementAndGet();
          }
        } catch (RuntimeException e) {
          shadow.errors.incrementAndGet();
          log.debug("shadow '{}' of experiment '{}' failed", shadow.name, key, e);
        } finally {
          shadow.requests.incrementAndGet();
        }
      });
    } catch (RejectedExecutionException busy) {
      shadow.dropped.incrementAndGet();
    }
  }

  /**
   * Records an outcome of a unit (a conversion as 1 or 0, revenue, a loss) for the variant the
   * unit is assigned to now.
   *
   * @param unitKey the unit
   * @param metric the metric's name
   * @param value a finite value
   */
  public void record(String unitKey, String metric, double value) {
    Objects.requireNonNull(metric, "metric");
    arm(unitKey).metrics.computeIfAbsent(metric, m -> new Summary()).add(value);
  }

  /**
   * Changes a challenger's share of units. Raising it moves units only from the control to this
   * challenger when it is the last (or only) challenger; shares of others stay as they are.
   *
   * @param challenger the challenger's name
   * @param share from 0 to 1; with the other challengers' at most 1
   * @throws IllegalArgumentException if there is no such challenger or the shares exceed 1
   */
  public synchronized void ramp(String challenger, double share) {
    Arm arm = arms.get(challenger);
    if (arm == null || arm.role != Variant.Role.CHALLENGER) {
      throw new IllegalArgumentException("no challenger '" + challenger + "' in experiment '" + key + "'; challengers: "
          + challengers.stream().map(a -> a.name).toList());
    }
    if (!(share >= 0 && share <= 1)) {
      throw new IllegalArgumentException("share must be from 0 to 1, was " + share);
    }
    double others = challengers.stream().filter(a -> a != arm).mapToDouble(a -> a.share).sum();
    if (others + share > 1 + 1e-9) {
      throw new IllegalArgumentException("challengers' shares would add up to " + (others + share) + ", more than 1");
    }
    arm.share = share;
    bounds = bounds();
    log.info("experiment '{}': challenger '{}' now takes {}% of units", key, challenger, share * 100);
  }

  /**
   * Returns what has been recorded so far, per variant (control first).
   *
   * @return the report
   */
  public List<VariantReport> report() {
    ExperimentState state = state();
    List<VariantReport> out = new ArrayList<>();
    for (Arm a : arms.values()) {
      ExperimentState.VariantState v = state.variants().get(a.name);
      out.add(new VariantReport(a.name, a.role, a.predictor.version(), shareOf(a), v.requests(), v.errors(),
          v.latencyMicros(), v.metrics(), v.dropped(), v.identical()));
    }
    return out;
  }


  /**
   * Tests every challenger against the control (see {@link DecisionPolicy}) on what this
   * experiment recorded, and returns the first rollback, else the promotion with the smallest
   * p-value, else continue.
   *
   * @param policy the metric, goal, significance and guardrail
   * @return the decision, with its figures
   */
  public Decision decide(DecisionPolicy policy) {
    return decide(policy, List.of());
  }

  /**
   * Like {@link #decide(DecisionPolicy)}, on what this experiment recorded together with what
   * other replicas of it recorded (their state files, read with {@link ExperimentState#read}):
   * counts are added and summaries merged exactly, so the test sees every replica's units.
   *
   * @param policy the metric, goal, significance and guardrail
   * @param peers other replicas' states of this experiment (not this one's own file)
   * @return the decision, with its figures
   * @throws IllegalArgumentException if a peer state belongs to another experiment
   */
  public Decision decide(DecisionPolicy policy, List<ExperimentState> peers) {
    Map<String, Totals> totals = new LinkedHashMap<>();
    for (var e : state().variants().entrySet()) {
      totals.put(e.getKey(), new Totals(e.getValue(), policy.metric()));
    }
    for (ExperimentState peer : peers) {
      if (!peer.experiment().equals(key)) {
        throw new IllegalArgumentException("a state of experiment '" + peer.experiment() + "' is not one of '" + key + "'");
      }
      peer.variants().forEach((name, v) -> {
        Totals t = totals.get(name);
        if (t != null) {
          t.add(v, policy.metric());
        }
      });
    }
    Totals ctl = totals.get(CONTROL);
    List<Arm> live = challengers.stream().filter(a -> a.share > 0).toList();
    double alpha = policy.alpha() / Math.max(1, live.size());
    Decision best = null;
    List<String> waiting = new ArrayList<>();
    for (Arm arm : live) {
      Totals c = totals.get(arm.name);
      if (c.requests >= policy.minSamples() && ctl.requests >= policy.minSamples()) {
        Tests.Result errors = Tests.twoProportions(ctl.errors, ctl.requests, c.errors, c.requests);
        if (errors.difference() > policy.maxErrorRateIncrease() && errors.pValue() < alpha) {
          return new Decision(Decision.Kind.ROLLBACK, arm.name, String.format(
              "error rate %.4f against the control's %.4f (+%.4f > %.4f allowed), p = %.3g",
              (double) c.errors / c.requests, (double) ctl.errors / ctl.requests, errors.difference(),
              policy.maxErrorRateIncrease(), errors.pValue()), errors.pValue(), errors.difference());
        }
      }
      Summary.Snapshot a = ctl.metric.snapshot();
      Summary.Snapshot b = c.metric.snapshot();
      if (a.count() < policy.minSamples() || b.count() < policy.minSamples()) {
        waiting.add(arm.name + " (" + b.count() + " against " + a.count() + " of " + policy.minSamples() + " samples)");
        continue;
      }
      Tests.Result t = Tests.welch(a, b);
      boolean better = policy.goal() == DecisionPolicy.Goal.MAXIMIZE ? t.difference() > 0 : t.difference() < 0;
      String figures = String.format("%s mean %.6g against the control's %.6g (difference %+.6g, %d and %d samples),"
              + " Welch t = %.3f, p = %.3g, alpha %.3g", policy.metric(), b.mean(), a.mean(), t.difference(), b.count(),
          a.count(), t.statistic(), t.pValue(), alpha);
      if (t.pValue() < alpha && !better) {
        return new Decision(Decision.Kind.ROLLBACK, arm.name, figures, t.pValue(), t.difference());
      }
      if (t.pValue() < alpha && (best == null || t.pValue() < best.pValue())) {
        best = new Decision(Decision.Kind.PROMOTE, arm.name, figures, t.pValue(), t.difference());
      } else if (best == null) {
        waiting.add(arm.name + " (" + figures + ")");
      }
    }
    return best != null ? best : new Decision(Decision.Kind.CONTINUE, null,
        live.isEmpty() ? "no challenger takes traffic" : "no significant difference yet: " + String.join("; ", waiting),
        Double.NaN, Double.NaN);
  }

  /** One variant's counts and decision metric, summed over replicas. */
  private static final class Totals {
    long requests;
    long errors;
    final Summary metric = new Summary();

    Totals(ExperimentState.VariantState v, String metricName) {
      add(v, metricName);
    }

    void add(ExperimentState.VariantState v, String metricName) {
      requests += v.requests();
      errors += v.errors();
      Summary.Snapshot m = metricName.equals(DecisionPolicy.LATENCY) ? v.latencyMicros() : v.metrics().get(metricName);
      if (m != null) {
        metric.merge(m);
      }
    }
  }

  /**
   * Carries out a decision. PROMOTE points {@code alias} at the version the challenger serves now
   * (every runtime following the alias swaps to it) and ends the experiment's split: every unit
   * goes to the control, which follows the alias if it is one. ROLLBACK stops the challenger's
   * traffic. CONTINUE does nothing.
   *
   * @param decision from {@link #decide}
   * @param registry the registry the versions come from
   * @param alias the alias to move on promotion, such as {@code production}
   * @return the promoted version, or null
   */
  public synchronized SemVer apply(Decision decision, FileModelRegistry registry, String alias) {
    Objects.requireNonNull(decision, "decision");
    switch (decision.kind()) {
      case PROMOTE -> {
        Arm c = arms.get(decision.variant());
        SemVer version = SemVer.parse(c.predictor.version());
        registry.promote(model, version, alias);
        for (Arm a : challengers) {
          a.share = 0;
        }
        bounds = bounds();
        log.info("experiment '{}': promoted '{}' ({} {}) to {}: {}", key, c.name, model, version, alias,
            decision.reason());
        return version;
      }
      case ROLLBACK -> {
        ramp(decision.variant(), 0);
        log.warn("experiment '{}': rolled back '{}': {}", key, decision.variant(), decision.reason());
        return null;
      }
      default -> {
        return null;
      }
    }
  }

  /**
   * Publishes, per variant: {@code swell.experiment.requests} and {@code swell.experiment.errors}
   * (function counters over the experiment's own counts: nothing is added to the request path) and
   * {@code swell.experiment.share} (gauge), tagged {@code experiment} and {@code variant}. Latency
   * per version is already in the runtime's {@code swell.predictions}.
   *
   * @param registry any Micrometer registry
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    for (Arm a : arms.values()) {
      Tags tags = Tags.of("experiment", key, "variant", a.name);
      FunctionCounter.builder("swell.experiment.requests", a.requests, AtomicLong::get)
          .description("requests an experiment served by a variant (for a shadow: copies run)")
          .tags(tags).register(registry);
      FunctionCounter.builder("swell.experiment.errors", a.errors, AtomicLong::get)
          .description("of those, failures in the model").tags(tags).register(registry);
      Gauge.builder("swell.experiment.share", this, e -> e.shareOf(a)).description("the variant's share now")
          .tags(tags).register(registry);
    }
  }

  private double shareOf(Arm a) {
    return a.role == Variant.Role.CONTROL ? 1 - challengers.stream().mapToDouble(c -> c.share).sum() : a.share;
  }

  /**
   * Saves the state (with a state file), then closes the variants' predictors (not the runtime)
   * and the threads it started.
   */
  @Override
  public void close() {
    if (ownedShadowExecutor != null) { // copies in flight finish and are counted before the save
      ownedShadowExecutor.shutdown();
      try {
        ownedShadowExecutor.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (saver != null) {
      saver.shutdownNow();
      try {
        save();
      } catch (RuntimeException e) {
        log.warn("experiment '{}': saving its state on close failed", key, e);
      }
    }
    for (Arm a : arms.values()) {
      a.predictor.close();
    }
  }

  /**
   * Configures an {@link Experiment}. Each option is checked when set.
   */
  public static final class Builder {
    private final String key;
    private String model;
    private VersionSelector control;
    private final List<Variant> variants = new ArrayList<>();
    private Executor shadowExecutor;
    private Path stateFile;
    private Duration saveEvery = Duration.ofSeconds(5);

    private Builder(String key) {
      Objects.requireNonNull(key, "key");
      if (key.isBlank()) {
        throw new IllegalArgumentException("an experiment needs a key");
      }
      this.key = key;
    }

    /**
     * Sets the model the variants are versions of.
     *
     * @param name the model's name in the runtime's repository
     * @return this builder
     */
    public Builder model(String name) {
      this.model = Objects.requireNonNull(name, "model");
      return this;
    }

    /**
     * Sets the control: the version units get unless a challenger takes them.
     *
     * @param selector usually the {@code production} alias
     * @return this builder
     */
    public Builder control(VersionSelector selector) {
      this.control = Objects.requireNonNull(selector, "control");
      return this;
    }

    /**
     * Adds a challenger taking a share of units.
     *
     * @param name its name (not {@value Experiment#CONTROL}, unique)
     * @param selector the version it serves
     * @param share fraction of units, 0 to 1
     * @return this builder
     */
    public Builder challenger(String name, VersionSelector selector, double share) {
      return add(new Variant(name, selector, Variant.Role.CHALLENGER, share));
    }

    /**
     * Adds a shadow that gets a copy of a fraction of requests.
     *
     * @param name its name (unique)
     * @param selector the version it serves
     * @param share fraction of requests copied, 0 to 1
     * @return this builder
     */
    public Builder shadow(String name, VersionSelector selector, double share) {
      return add(new Variant(name, selector, Variant.Role.SHADOW, share));
    }

    private Builder add(Variant v) {
      if (v.name().equals(CONTROL) || variants.stream().anyMatch(x -> x.name().equals(v.name()))) {
        throw new IllegalArgumentException("variant name '" + v.name() + "' is taken");
      }
      double total = v.share() + variants.stream().filter(x -> x.role() == Variant.Role.CHALLENGER)
          .mapToDouble(Variant::share).sum();
      if (v.role() == Variant.Role.CHALLENGER && total > 1 + 1e-9) {
        throw new IllegalArgumentException("challengers' shares add up to " + total + ", more than 1");
      }
      variants.add(v);
      return this;
    }

    /**
     * Sets where shadow copies run (default: up to 2 threads of the experiment's own, with a
     * queue of 256; a copy that finds it full is dropped and counted).
     *
     * @param executor the executor; it should reject rather than block when busy
     * @return this builder
     */
    public Builder shadowExecutor(Executor executor) {
      this.shadowExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Keeps the experiment's recorded outcomes in a file, so that they survive a restart or a
     * crash: read when the experiment is built (if the file exists), written every
     * {@link #saveEvery} and on close, each time whole and atomically (a crash loses at most the
     * outcomes since the last save, never the file). One file per process: replicas each keep
     * their own.
     *
     * @param file the state file
     * @return this builder
     */
    public Builder persistTo(Path file) {
      this.stateFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /**
     * Sets how often the state file is written (default 5 s).
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
     * Creates the experiment, with a predictor per variant from the runtime.
     *
     * @param swell the runtime (with a repository)
     * @return the experiment
     * @throws IllegalStateException if the model or control is not set
     * @throws dev.swell.api.ModelNotFoundException if a variant's selector names nothing
     */
    public Experiment build(Swell swell) {
      Objects.requireNonNull(swell, "swell");
      if (model == null || control == null) {
        throw new IllegalStateException("set the model and the control before build()");
      }
      return new Experiment(this, swell);
    }
  }
}

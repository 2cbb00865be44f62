package dev.swell.core.drift;

import dev.swell.api.NamedTensors;
import dev.swell.api.Tensor;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one numeric input of one model for drift. Each feature is a column of the input's last
 * dimension. {@link #observe} samples every {@code sampleEvery}-th call into a fixed ring buffer
 * per feature (a few array writes under a short lock; no statistics on the request path).
 * {@link #check()} — called by the host or a scheduler — computes PSI and KS per feature against
 * the reference, publishes them as gauges, and tells listeners when a feature's PSI crosses the
 * threshold and when it recovers.
 *
 * <p>The reference is given ({@link Builder#reference}) or taken from the first
 * {@code windowSize} sampled rows (a warm-up window).
 *
 * <pre>{@code
 * DriftMonitor drift = DriftMonitor.builder("fraud", "x", 16).windowSize(2000).build();
 * drift.onDrift(e -> log.warn("{}", e));
 * drift.observe(inputs);          // on the request path
 * drift.check();                  // every few seconds, elsewhere
 * }</pre>
 */
public final class DriftMonitor {

  private static final Logger log = LoggerFactory.getLogger(DriftMonitor.class);

  /** A change of a feature's drift state. */
  public record DriftEvent(String model, String input, int feature, double psi, double ks, boolean drifting)
      implements dev.swell.core.event.SwellEvent {}

  private final String model;
  private final String input;
  private final int features;
  private final int windowSize;
  private final int sampleEvery;
  private final int bins;
  private final double psiThreshold;
  private final double[][] window; // [feature][windowSize], ring
  private double[][] reference; // [feature][n], null until taken
  private int filled; // guarded by this
  private int next; // guarded by this
  private int calls; // racy on purpose: a lost update only shifts which call is sampled
  private final double[] lastPsi;
  private final double[] lastKs;
  private final boolean[] drifting;
  private final List<Consumer<DriftEvent>> listeners = new CopyOnWriteArrayList<>();

  private DriftMonitor(Builder b) {
    this.model = b.model;
    this.input = b.input;
    this.features = b.features;
    this.windowSize = b.windowSize;
    this.sampleEvery = b.sampleEvery;
    this.bins = b.bins;
    this.psiThreshold = b.psiThreshold;
    this.window = new double[features][windowSize];
    this.reference = b.reference;
    this.lastPsi = new double[features];
    this.lastKs = new double[features];
    this.drifting = new boolean[features];
  }

  /**
   * Starts a monitor.
   *
   * @param model the model's name (for events and gauges)
   * @param input the input's name
   * @param features the size of the input's last dimension
   * @return a builder
   */
  public static Builder builder(String model, String input, int features) {
    return new Builder(model, input, features);
  }

  /**
   * Returns the model watched.
   *
   * @return the model's name
   */
  public String model() {
    return model;
  }

  /**
   * Returns the input watched.
   *
   * @return the input's name
   */
  public String input() {
    return input;
  }

  /**
   * Returns the number of features (the input's last dimension).
   *
   * @return the feature count
   */
  public int features() {
    return features;
  }

  /**
   * Replaces the reference distribution (a new version brought its own), keeping the live window.
   *
   * @param columns one array of values per feature, each at least {@code bins} long
   * @throws IllegalArgumentException if there are not {@code features} columns or too few values
   */
  public void useReference(double[][] columns) {
    double[][] copy = checkedCopy(columns, features, bins);
    synchronized (this) {
      if (reference == null) {
        filled = 0; // the rows gathered so far were meant as the reference; start the live window
        next = 0;
      }
      reference = copy;
    }
  }

  /**
   * Returns whether the monitor has a reference (given, or taken from the first window).
   *
   * @return whether statistics can be computed once the live window fills
   */
  public synchronized boolean hasReference() {
    return reference != null;
  }

  private static double[][] checkedCopy(double[][] columns, int features, int bins) {
    if (columns.length != features) {
      throw new IllegalArgumentException("reference has " + columns.length + " columns, expected " + features);
    }
    double[][] copy = new double[features][];
    for (int f = 0; f < features; f++) {
      if (columns[f].length < bins) {
        throw new IllegalArgumentException("each reference column needs at least " + bins + " values, column "
            + f + " has " + columns[f].length);
      }
      copy[f] = columns[f].clone();
    }
    return copy;
  }

  /**
   * Adds a listener of drift and recovery events. Its failures are logged and ignored.
   *
   * @param listener the listener
   */
  public void onDrift(Consumer<DriftEvent> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Samples a request's input (every {@code sampleEvery}-th call). Inputs of another dtype than
   * float32/float64 or another width are ignored.
   *
   * @param inputs a request's inputs
   */
  public void observe(NamedTensors inputs) {
    int n = calls++;
    if (n % sampleEvery != 0) {
      return;
    }
    Tensor t = inputs.get(input);
    if (t == null || t.rank() == 0 || t.dim(t.rank() - 1) != features || !t.dtype().isFixedSize()) {
      return;
    }
    int rows = t.size() / features;
    ByteBuffer b = t.buffer();
    boolean f64 = t.dtype() == dev.swell.api.DType.FLOAT64;
    if (!f64 && t.dtype() != dev.swell.api.DType.FLOAT32) {
      return;
    }
    synchronized (this) {
      for (int r = 0; r < rows; r++) {
        for (int f = 0; f < features; f++) {
          int k = r * features + f;
          window[f][next] = f64 ? b.getDouble(k * 8) : b.getFloat(k * 4);
        }
        next = (next + 1) % windowSize;
        filled = Math.min(filled + 1, windowSize);
        if (reference == null && filled == windowSize) {
          reference = new double[features][];
          for (int f = 0; f < features; f++) {
            reference[f] = window[f].clone();
          }
          filled = 0;
          next = 0;
        }
      }
    }
  }

  /**
   * Computes PSI and KS per feature on the current window and fires events on changes of state.
   * Does nothing until there is a reference and the window holds at least {@code bins × 10} rows.
   *
   * @return whether statistics were computed
   */
  public boolean check() {
    double[][] ref;
    double[][] live;
    synchronized (this) {
      if (reference == null || filled < bins * 10) {
        return false;
      }
      ref = reference;
      live = new double[features][];
      for (int f = 0; f < features; f++) {
        live[f] = java.util.Arrays.copyOf(window[f], filled);
      }
    }
    for (int f = 0; f < features; f++) {
      double psi = DriftStatistics.psi(ref[f], live[f], bins);
      double ks = DriftStatistics.ks(ref[f], live[f]);
      lastPsi[f] = psi;
      lastKs[f] = ks;
      boolean now = psi > psiThreshold;
      if (now != drifting[f]) {
        drifting[f] = now;
        fire(new DriftEvent(model, input, f, psi, ks, now));
      }
    }
    return true;
  }

  private void fire(DriftEvent e) {
    for (Consumer<DriftEvent> l : listeners) {
      try {
        l.accept(e);
      } catch (RuntimeException ex) {
        log.warn("drift listener failed on {}", e, ex);
      }
    }
  }

  /**
   * Returns the last PSI computed for a feature.
   *
   * @param feature the feature's index
   * @return the PSI, 0 before the first check
   */
  public double psi(int feature) {
    return lastPsi[feature];
  }

  /**
   * Returns the last KS statistic computed for a feature.
   *
   * @param feature the feature's index
   * @return the KS statistic, 0 before the first check
   */
  public double ks(int feature) {
    return lastKs[feature];
  }

  /**
   * Publishes {@code swell.drift.psi} and {@code swell.drift.ks} gauges, tagged model, input and
   * feature (one per column, so keep wide inputs out of this).
   *
   * @param registry any Micrometer registry
   */
  public void bindTo(MeterRegistry registry) {
    for (int f = 0; f < features; f++) {
      int feature = f;
      Gauge.builder("swell.drift.psi", this, m -> m.psi(feature))
          .tags("model", model, "input", input, "feature", Integer.toString(f)).register(registry);
      Gauge.builder("swell.drift.ks", this, m -> m.ks(feature))
          .tags("model", model, "input", input, "feature", Integer.toString(f)).register(registry);
    }
  }

  /** Configures a {@link DriftMonitor}. */
  public static final class Builder {
    private final String model;
    private final String input;
    private final int features;
    private int windowSize = 1000;
    private int sampleEvery = 1;
    private int bins = 10;
    private double psiThreshold = 0.25;
    private double[][] reference;

    private Builder(String model, String input, int features) {
      this.model = Objects.requireNonNull(model, "model");
      this.input = Objects.requireNonNull(input, "input");
      if (features < 1) {
        throw new IllegalArgumentException("features must be >= 1, was " + features);
      }
      this.features = features;
    }

    /**
     * Sets how many sampled rows the live window (and a warm-up reference) holds (default 1000).
     *
     * @param rows at least 20
     * @return this builder
     */
    public Builder windowSize(int rows) {
      if (rows < 20) {
        throw new IllegalArgumentException("windowSize must be >= 20, was " + rows);
      }
      this.windowSize = rows;
      return this;
    }

    /**
     * Samples one call in {@code n} (default 1: every call).
     *
     * @param n at least 1
     * @return this builder
     */
    public Builder sampleEvery(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("sampleEvery must be >= 1, was " + n);
      }
      this.sampleEvery = n;
      return this;
    }

    /**
     * Sets the number of PSI bins (default 10, deciles of the reference).
     *
     * @param n at least 2
     * @return this builder
     */
    public Builder bins(int n) {
      if (n < 2) {
        throw new IllegalArgumentException("bins must be >= 2, was " + n);
      }
      this.bins = n;
      return this;
    }

    /**
     * Sets the PSI above which a feature counts as drifting (default 0.25).
     *
     * @param threshold a positive number
     * @return this builder
     */
    public Builder psiThreshold(double threshold) {
      if (!(threshold > 0)) {
        throw new IllegalArgumentException("psiThreshold must be > 0, was " + threshold);
      }
      this.psiThreshold = threshold;
      return this;
    }

    /**
     * Gives the reference distribution (for example from a version's manifest or its training
     * data) instead of taking it from the first window of live inputs.
     *
     * @param columns one array of values per feature
     * @return this builder
     */
    public Builder reference(double[][] columns) {
      if (columns.length != features) {
        throw new IllegalArgumentException("reference has " + columns.length + " columns, expected " + features);
      }
      this.reference = columns;
      return this;
    }

    /**
     * Creates the monitor.
     *
     * @return the monitor
     */
    public DriftMonitor build() {
      if (reference != null) {
        reference = checkedCopy(reference, features, bins);
      }
      return new DriftMonitor(this);
    }
  }
}

package dev.swell.spark;

import dev.swell.api.Predictor;
import dev.swell.api.Signature;
import dev.swell.api.TensorSpec;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.BackendConfig;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.core.Swell;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.ModelVersion;
import dev.swell.abtest.ExperimentDefinition;
import dev.swell.abtest.Experiments;
import dev.swell.registry.signing.SigningKeys;
import dev.swell.registry.signing.TrustPolicy;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * Scores Spark Datasets with one version of a model in a Swell file registry, the version that
 * online serving would resolve the same selector to.
 *
 * <p>{@link Builder#build()} runs on the driver: it resolves the selector (an alias such as
 * {@code production}, {@code latest}, a range) <b>once</b>, verifies the version's files (and its
 * signature, if keys are trusted), and pins that exact version. Every Dataset the scorer scores,
 * however long its job runs and whatever moves the alias meanwhile, is scored by that version;
 * {@link #version()} says which.
 *
 * <p>On the executors each JVM loads the pinned version once, from the registry folder (which
 * must be readable at the same path everywhere: a shared file system), after checking its files
 * hash to what the driver verified; every task of the JVM shares that copy. A partition is read in
 * batches of {@link Builder#batchSize} rows, each batch one model call. Output rows are the input
 * rows, in order, with one column per model output and {@code model} and {@code version} columns.
 *
 * <p>Columns map to inputs by {@link Builder#input}, or by name. A column of numbers feeds a
 * {@code [batch]} input, an array column a {@code [batch, n]} input, an array of arrays a
 * {@code [batch, n, m]} input; element types convert only where every value stays exact (see
 * {@link ColumnMismatchException} for what is refused). Rows with a null input follow
 * {@link NullRule}.
 *
 * <pre>{@code
 * SwellScorer scorer = SwellScorer.builder(Path.of("/shared/registry"), "fraud", VersionSelector.alias("production"))
 *     .input("features", "features")     // model input <- column
 *     .output("scores", "fraud_scores")  // model output -> column
 *     .batchSize(512)
 *     .build();                          // resolves and pins, e.g. 1.4.0
 * Dataset<Row> scored = scorer.score(spark.table("transactions"));
 * }</pre>
 *
 * <p>The scorer is serializable and immutable; build it on the driver.
 */
public final class SwellScorer implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The column naming the model that scored a row. */
  public static final String MODEL_COLUMN = "model";
  /** The column naming the version that scored a row. */
  public static final String VERSION_COLUMN = "version";
  /** With an experiment, the column naming the variant a row's unit is assigned to. */
  public static final String VARIANT_COLUMN = "variant";

  private final Builder config;
  private final List<ScoringPlan.Pin> pins;
  private final Assignment assignment; // null without an experiment; its unit column not yet bound
  private final List<Spec> inputSpecs;
  private final List<Spec> outputSpecs;
  private transient Signature signature; // rebuilt from the specs after deserialization
  private final List<String> keysPem;
  private transient List<LongAccumulator> loadCounters = new ArrayList<>();
  private transient List<LongAccumulator> skipCounters = new ArrayList<>();

  private SwellScorer(Builder b, List<ScoringPlan.Pin> pins, Assignment assignment, Signature signature,
      List<String> keysPem) {
    this.config = b;
    this.pins = pins;
    this.assignment = assignment;
    this.signature = signature;
    this.inputSpecs = signature.inputs().stream().map(Spec::of).toList();
    this.outputSpecs = signature.outputs().stream().map(Spec::of).toList();
    this.keysPem = keysPem;
  }

  /** A tensor spec in serializable form (a {@link Signature} is not serializable). */
  private record Spec(String name, String dtype, long[] shape, String[] dimNames) implements Serializable {
    static Spec of(TensorSpec t) {
      if (!t.hasShape()) {
        return new Spec(t.name(), t.dtype().name(), null, null);
      }
      String[] dims = new String[t.rank()];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = t.dimName(i).orElse(null);
      }
      return new Spec(t.name(), t.dtype().name(), t.shape(), dims);
    }

    TensorSpec spec() {
      dev.swell.api.DType d = dev.swell.api.DType.valueOf(dtype);
      return shape == null ? TensorSpec.unshaped(name, d) : TensorSpec.of(name, d, shape, dimNames);
    }
  }

  /**
   * Starts a scorer of a model in a registry.
   *
   * @param registry the registry's root folder, at the same path on the driver and every executor
   * @param model the model's name
   * @param selector which version: resolved once, by {@link Builder#build()}
   * @return the builder
   */
  public static Builder builder(Path registry, String model, VersionSelector selector) {
    return new Builder(registry, model, Objects.requireNonNull(selector, "selector"));
  }

  /**
   * Starts a scorer that serves each row the way an experiment stored in the registry serves its
   * unit online: the unit column's value is assigned with the experiment's GrowthBook hashing
   * (the same variant {@code Experiment.assign} gives that unit), and the row is scored by its
   * variant's version, all of them resolved once by {@link Builder#build()}. A unit outside the
   * experiment (null or empty, outside the coverage or namespace, or the experiment not running)
   * is scored by the control's version and its {@code variant} column is null. Nothing is
   * recorded as an exposure: offline scoring is not traffic.
   *
   * @param registry the registry's root folder, at the same path on the driver and every executor
   * @param model the model's name
   * @param experiment the experiment's key on that model
   * @param unitColumn the column holding each row's unit (its hash attribute: a user id, say)
   * @return the builder
   */
  public static Builder forExperiment(Path registry, String model, String experiment, String unitColumn) {
    Builder b = new Builder(registry, model, null);
    b.experiment = Objects.requireNonNull(experiment, "experiment");
    b.unitColumn = Objects.requireNonNull(unitColumn, "unitColumn");
    return b;
  }

  /**
   * Returns the model's name.
   *
   * @return the model
   */
  public String model() {
    return config.model;
  }

  /**
   * Returns the pinned version, resolved once when the scorer was built (with an experiment, the
   * control's).
   *
   * @return the exact version, such as {@code 1.4.0}
   */
  public String version() {
    return pins.get(0).version();
  }

  /**
   * With an experiment, returns each variant's pinned version, the control first.
   *
   * @return version by variant name; empty without an experiment
   */
  public Map<String, String> versions() {
    Map<String, String> m = new LinkedHashMap<>();
    if (assignment != null) {
      for (ScoringPlan.Pin p : pins) {
        m.put(p.variant(), p.version());
      }
    }
    return m;
  }

  /**
   * Returns the pinned version's signature (its inputs and outputs).
   *
   * @return the signature
   */
  public synchronized Signature signature() {
    if (signature == null) {
      signature = Signature.of(inputSpecs.stream().map(Spec::spec).toList(),
          outputSpecs.stream().map(Spec::spec).toList());
    }
    return signature;
  }

  /**
   * Returns the schema of what {@link #score} gives for rows of a schema: its columns, then one
   * per written output, then {@code model} and {@code version} (and {@code variant}, with an
   * experiment).
   *
   * @param input the schema of the rows to score
   * @return the output schema
   * @throws ColumnMismatchException if a column does not fit its model input
   * @throws IllegalArgumentException if an output column's name is taken
   */
  public StructType outputSchema(StructType input) {
    return bind(input).schema; // names compared ignoring case, Spark's default
  }

  /**
   * Scores a Dataset with the pinned version. The scoring is lazy, as Spark transformations are:
   * the model is loaded by each executor when its first task runs. The input is planned now, as
   * {@code Dataset.rdd()} plans it: with adaptive query execution (Spark's default) a shuffle
   * upstream (a {@code repartition}, a join) runs when this is called, not at the action.
   *
   * @param rows the rows to score
   * @return the rows with the outputs, model and version
   * @throws ColumnMismatchException if a column does not fit its model input (checked here, on
   *     the driver, from the schema; lengths are checked per batch, on the executors)
   */
  public Dataset<Row> score(Dataset<Row> rows) {
    SparkSession spark = rows.sparkSession();
    Bound bound = bind(rows.schema(), Boolean.parseBoolean(spark.conf().get("spark.sql.caseSensitive", "false")));
    LongAccumulator loads = spark.sparkContext().longAccumulator("swell loads of " + config.model + " " + pins);
    LongAccumulator skipped = spark.sparkContext().longAccumulator("swell rows skipped (null input), "
        + config.model);
    synchronized (this) {
      counters();
      loadCounters.add(loads);
      skipCounters.add(skipped);
    }
    ScoringPlan plan = new ScoringPlan(config.registry, config.model, pins, keysPem,
        config.intraOpThreads, config.interOpThreads, List.copyOf(config.providers), Map.copyOf(config.options),
        bound.inputs.stream().anyMatch(Columns.InputBinding::batchOfOne) ? 1 : config.batchSize,
        config.idleRelease.toMillis(), config.nulls, bound.inputs, bound.outputs, bound.assignment,
        loads, skipped);
    if (!(rows instanceof org.apache.spark.sql.classic.Dataset)) {
      throw new UnsupportedOperationException("swell-spark scores Datasets of a classic Spark session (in the JVM"
          + " that runs the driver), not of Spark Connect: got " + rows.getClass().getName());
    }
    org.apache.spark.sql.classic.Dataset<Row> classic = (org.apache.spark.sql.classic.Dataset<Row>) rows;
    org.apache.spark.rdd.RDD<InternalRow> scored = classic.queryExecution().toRdd().toJavaRDD()
        .mapPartitions(new PartitionScorer(plan)).rdd();
    return classic.sparkSession().internalCreateDataFrame(scored, bound.schema, false);
  }

  /**
   * Returns how many times executors loaded a pinned version for Datasets this scorer scored, in
   * the jobs that ran so far: one per executor JVM that scored rows, per version it used (an
   * experiment's variants are one each), again if a copy released when idle was loaded anew. A
   * Spark accumulator: a load made by a task that then failed is not counted.
   *
   * @return model loads
   */
  public synchronized long loads() {
    return counters().stream().mapToLong(LongAccumulator::value).sum();
  }

  /**
   * Returns how many rows were passed through unscored because an input was null
   * ({@link NullRule#SKIP}), in the jobs that ran so far. A Spark accumulator updated in a
   * transformation: a job that evaluates the rows twice (a sort's sampling pass, a retried task)
   * counts them twice.
   *
   * @return rows skipped
   */
  public synchronized long skippedRows() {
    counters();
    return skipCounters.stream().mapToLong(LongAccumulator::value).sum();
  }

  private List<LongAccumulator> counters() {
    if (loadCounters == null) { // deserialized: a copy counts only what it scores itself
      loadCounters = new ArrayList<>();
      skipCounters = new ArrayList<>();
    }
    return loadCounters;
  }

  private static final class Bound {
    final List<Columns.InputBinding> inputs;
    final List<Columns.OutputBinding> outputs;
    final Assignment assignment;
    final StructType schema;

    Bound(List<Columns.InputBinding> inputs, List<Columns.OutputBinding> outputs, Assignment assignment,
        StructType schema) {
      this.inputs = inputs;
      this.outputs = outputs;
      this.assignment = assignment;
      this.schema = schema;
    }
  }

  private Bound bind(StructType schema) {
    return bind(schema, false);
  }

  private Bound bind(StructType schema, boolean caseSensitive) {
    String version = version();
    Signature sig = signature();
    List<Columns.InputBinding> inputs = new ArrayList<>();
    for (String name : config.inputs.keySet()) {
      if (sig.input(name).isEmpty()) {
        throw new IllegalArgumentException("input(\"" + name + "\", ...): " + config.model + " " + version
            + " has no input of that name; its inputs are " + names(sig.inputs()));
      }
    }
    for (TensorSpec spec : sig.inputs()) {
      String column = config.inputs.getOrDefault(spec.name(), spec.name());
      inputs.add(Columns.InputBinding.bind(config.model, version, spec, column, schema));
    }
    Map<String, String> wanted = new LinkedHashMap<>(config.outputs);
    if (wanted.isEmpty()) {
      for (TensorSpec spec : sig.outputs()) {
        wanted.put(spec.name(), spec.name());
      }
    }
    List<Columns.OutputBinding> outputs = new ArrayList<>();
    // names clash as the session resolves them: ignoring case unless spark.sql.caseSensitive
    Set<String> taken = caseSensitive ? new HashSet<>() : new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    taken.addAll(Arrays.asList(schema.fieldNames()));
    List<StructField> fields = new ArrayList<>(Arrays.asList(schema.fields()));
    for (Map.Entry<String, String> e : wanted.entrySet()) {
      TensorSpec spec = sig.output(e.getKey()).orElseThrow(() -> new IllegalArgumentException(
          "output(\"" + e.getKey() + "\", ...): " + config.model + " " + version + " has no output of that name;"
          + " its outputs are " + names(sig.outputs())));
      Columns.OutputBinding ob = Columns.OutputBinding.bind(config.model, version, spec, e.getValue());
      claim(taken, ob.column, "output '" + ob.output + "'");
      outputs.add(ob);
      fields.add(DataTypes.createStructField(ob.column, ob.columnType(), true));
    }
    claim(taken, MODEL_COLUMN, "the model's name");
    claim(taken, VERSION_COLUMN, "the version");
    fields.add(DataTypes.createStructField(MODEL_COLUMN, DataTypes.StringType, true));
    fields.add(DataTypes.createStructField(VERSION_COLUMN, DataTypes.StringType, true));
    Assignment bound = null;
    if (assignment != null) {
      int unit;
      try {
        unit = schema.fieldIndex(assignment.unitColumn);
      } catch (IllegalArgumentException e) {
        throw new ColumnMismatchException(config.model, version, assignment.unitColumn, null,
            "the unit column of experiment '" + assignment.key + "'", "no such column among "
            + Arrays.toString(schema.fieldNames()));
      }
      org.apache.spark.sql.types.DataType type = schema.fields()[unit].dataType();
      if (!Assignment.unitTypeOk(type)) {
        throw new ColumnMismatchException(config.model, version, assignment.unitColumn, null,
            "a string, number or boolean unit (what GrowthBook hashes)", type.simpleString());
      }
      claim(taken, VARIANT_COLUMN, "the variant");
      fields.add(DataTypes.createStructField(VARIANT_COLUMN, DataTypes.StringType, true));
      bound = assignment.bind(unit, type);
    }
    return new Bound(inputs, outputs, bound, DataTypes.createStructType(fields));
  }

  private static void claim(Set<String> taken, String column, String what) {
    if (!taken.add(column)) {
      throw new IllegalArgumentException("column '" + column + "' for " + what + " is already a column of the"
          + " rows; rename it, or write the output to another column with output(name, column)");
    }
  }

  private static String names(List<TensorSpec> specs) {
    return specs.stream().map(TensorSpec::name).toList().toString();
  }

  @Override
  public String toString() {
    return "SwellScorer[" + config.model + " " + (assignment == null ? version() : versions()) + " from "
        + config.registry + "]";
  }

  /** Configures a scorer; {@link #build()} pins the version. */
  public static final class Builder implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The default rows a model call. */
    public static final int DEFAULT_BATCH_SIZE = 256;
    /** The default time an executor keeps a copy no task holds. */
    public static final Duration DEFAULT_IDLE_RELEASE = Duration.ofSeconds(30);

    private final String registry; // a String: a Path is not serializable
    private final String model;
    private final transient VersionSelector selector; // null with an experiment; used by build() only
    private String experiment;
    private String unitColumn;
    private final Map<String, String> inputs = new LinkedHashMap<>();
    private final Map<String, String> outputs = new LinkedHashMap<>();
    private final List<String> trustedPem = new ArrayList<>();
    private int batchSize = DEFAULT_BATCH_SIZE;
    private Duration idleRelease = DEFAULT_IDLE_RELEASE;
    private NullRule nulls = NullRule.SKIP;
    private int intraOpThreads = 1;
    private int interOpThreads = BackendConfig.DEFAULT_INTER_OP_THREADS;
    private ArrayList<String> providers = new ArrayList<>(BackendConfig.DEFAULT_EXECUTION_PROVIDERS);
    private LinkedHashMap<String, String> options = new LinkedHashMap<>();

    private Builder(Path registry, String model, VersionSelector selector) {
      this.registry = Objects.requireNonNull(registry, "registry").toAbsolutePath().normalize().toString();
      this.model = Objects.requireNonNull(model, "model");
      this.selector = selector;
    }

    /**
     * Feeds a model input from a column (by default each input reads the column of its name).
     *
     * @param input the model input
     * @param column the Dataset column
     * @return this builder
     */
    public Builder input(String input, String column) {
      inputs.put(Objects.requireNonNull(input, "input"), Objects.requireNonNull(column, "column"));
      return this;
    }

    /**
     * Writes a model output to a column. Without any, every output is written to a column of its
     * name; with some, only those.
     *
     * @param output the model output
     * @param column the column to add
     * @return this builder
     */
    public Builder output(String output, String column) {
      outputs.put(Objects.requireNonNull(output, "output"), Objects.requireNonNull(column, "column"));
      return this;
    }

    /**
     * Sets the rows a model call (default {@value #DEFAULT_BATCH_SIZE}); a partition's last batch
     * may be smaller.
     *
     * @param rows at least 1
     * @return this builder
     */
    public Builder batchSize(int rows) {
      if (rows < 1) {
        throw new IllegalArgumentException("batch size must be at least 1, got " + rows);
      }
      this.batchSize = rows;
      return this;
    }

    /**
     * Sets how long an executor keeps its copy of the model when no task holds it (default 30 s),
     * so the next job's tasks reuse it; 0 closes it when its last task ends.
     *
     * @param idle at least 0
     * @return this builder
     */
    public Builder idleRelease(Duration idle) {
      if (idle.isNegative()) {
        throw new IllegalArgumentException("idle release must not be negative, got " + idle);
      }
      this.idleRelease = idle;
      return this;
    }

    /**
     * Sets what happens to a row with a null input (default {@link NullRule#SKIP}).
     *
     * @param rule the rule
     * @return this builder
     */
    public Builder nulls(NullRule rule) {
      this.nulls = Objects.requireNonNull(rule, "rule");
      return this;
    }

    /**
     * Sets the backend configuration of the executors' copies. The default runs each call on one
     * intra-op thread, since an executor runs one task per core at once.
     *
     * @param config threads, execution providers, options
     * @return this builder
     */
    public Builder backend(BackendConfig config) {
      Objects.requireNonNull(config, "config");
      this.intraOpThreads = config.intraOpThreads();
      this.interOpThreads = config.interOpThreads();
      this.providers = new ArrayList<>(config.executionProviders());
      this.options = new LinkedHashMap<>(config.options());
      return this;
    }

    /** A snapshot, so a scorer does not change when its builder is used again. */
    private Builder copy() {
      Builder b = new Builder(Path.of(registry), model, selector);
      b.experiment = experiment;
      b.unitColumn = unitColumn;
      b.inputs.putAll(inputs);
      b.outputs.putAll(outputs);
      b.trustedPem.addAll(trustedPem);
      b.batchSize = batchSize;
      b.idleRelease = idleRelease;
      b.nulls = nulls;
      b.intraOpThreads = intraOpThreads;
      b.interOpThreads = interOpThreads;
      b.providers = new ArrayList<>(providers);
      b.options = new LinkedHashMap<>(options);
      return b;
    }

    /** A version's signature: its manifest's, or, if none was recorded, the backend's (loaded once here). */
    private Signature signatureOf(ModelVersion mv) {
      Signature sig = mv.manifest().signature();
      if (sig != null) {
        return sig;
      }
      try (Swell swell = Swell.builder().warmupRuns(0).backendConfig(backendConfig()).build();
          Predictor p = swell.load(new ModelArtifact(model, mv.manifest().version().toString(), mv.manifest().format(),
              mv.primaryFile()))) {
        return p.signature();
      }
    }

    /** Names, types and shapes of a signature's tensors (dimension names aside). */
    private static List<String> shape(Signature sig) {
      List<String> out = new ArrayList<>();
      for (TensorSpec t : sig.inputs()) {
        out.add("input " + t.name() + " " + Columns.InputBinding.expected(t));
      }
      for (TensorSpec t : sig.outputs()) {
        out.add("output " + t.name() + " " + Columns.InputBinding.expected(t));
      }
      return out;
    }

    BackendConfig backendConfig() {
      BackendConfig.Builder b = BackendConfig.builder().intraOpThreads(intraOpThreads).interOpThreads(interOpThreads)
          .executionProviders(providers);
      options.forEach(b::option);
      return b.build();
    }

    /**
     * Requires the version to be signed by one of these keys (checked on the driver and again by
     * each executor before it loads).
     *
     * @param keys EC public keys
     * @return this builder
     */
    public Builder trust(PublicKey... keys) {
      for (PublicKey k : keys) {
        trustedPem.add(SigningKeys.publicKeyPem(Objects.requireNonNull(k, "key")));
      }
      return this;
    }

    /**
     * Resolves the selector once, verifies the version's files (re-hashing them) and signature,
     * and pins it.
     *
     * @return the scorer, bound to one exact version
     * @throws dev.swell.api.ModelNotFoundException if there is no registry there, or nothing matches
     * @throws dev.swell.api.IntegrityException if the version's files or signature do not verify
     */
    public SwellScorer build() {
      Path registry = Path.of(this.registry);
      if (!Files.isDirectory(registry.resolve("models"))) {
        throw new dev.swell.api.ModelNotFoundException("no Swell registry at " + registry, model, null);
      }
      List<PublicKey> keys = new ArrayList<>();
      for (String pem : trustedPem) {
        keys.add(SigningKeys.parsePublicKey(pem, "trusted key"));
      }
      TrustPolicy trust = keys.isEmpty() ? TrustPolicy.NONE
          : TrustPolicy.builder().trust(model, keys.toArray(new PublicKey[0])).build();
      FileModelRegistry reg = FileModelRegistry.builder(registry).trustPolicy(trust).build();
      List<ScoringPlan.Pin> pins = new ArrayList<>();
      List<ModelVersion> verified = new ArrayList<>(); // each pin's, in order
      Assignment assignment = null;
      ModelVersion first;
      if (experiment == null) {
        first = reg.verify(model, reg.resolveVersion(model, selector));
        pins.add(new ScoringPlan.Pin(null, first.manifest().version().toString(), ExecutorModels.digests(first)));
      } else {
        ExperimentDefinition def = Experiments.definition(reg, model, experiment).orElseThrow(() ->
            new IllegalArgumentException("model " + model + " has no experiment '" + experiment + "' in " + registry));
        first = null;
        for (dev.swell.abtest.Variant v : def.variations()) { // the control first, as variation 0
          ModelVersion mv = reg.verify(model, reg.resolveVersion(model, v.selector()));
          first = first == null ? mv : first;
          verified.add(mv);
          pins.add(new ScoringPlan.Pin(v.name(), mv.manifest().version().toString(), ExecutorModels.digests(mv)));
        }
        assignment = new Assignment(def, unitColumn, -1, null);
      }
      Signature sig = signatureOf(first);
      if (experiment != null) { // every variant is scored from the same columns into the same ones
        for (int i = 1; i < pins.size(); i++) {
          Signature other = signatureOf(verified.get(i));
          if (!shape(other).equals(shape(sig))) {
            throw new IllegalArgumentException("variant '" + pins.get(i).variant() + "' of experiment '" + experiment
                + "' (" + model + " " + pins.get(i).version() + ") takes or gives other tensors than the control ("
                + pins.get(0).version() + "): " + shape(other) + " against " + shape(sig)
                + "; rows of every variant are read from the same columns and written to the same ones");
          }
        }
      }
      return new SwellScorer(copy(), List.copyOf(pins), assignment, sig, List.copyOf(trustedPem));
    }
  }
}

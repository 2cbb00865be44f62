package dev.swell.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.SemVer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scores a million MLP rows and a hundred thousand MiniLM rows in {@code local[2]}, against
 * in-process {@link Predictor} results bit for bit, while another process moves the alias the
 * job was pinned from.
 */
class SparkScoringTest {

  static final long MLP_ROWS = Long.getLong("swell.spark.mlpRows", 1_000_000);
  static final long MINILM_ROWS = Long.getLong("swell.spark.miniLmRows", 100_000);
  static final int PARTITIONS = 8;

  static Path root;
  static Path work;
  static FileModelRegistry registry;
  static SparkSession spark;

  @BeforeAll
  static void start() throws IOException {
    work = Files.createTempDirectory("swell-spark-work");
    root = Files.createTempDirectory("swell-spark-registry");
    registry = SparkFixtures.registry(root, work);
    spark = SparkFixtures.session(2);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    SparkFixtures.deleteTree(root);
    SparkFixtures.deleteTree(work);
  }

  /** Holds the first tasks before they load the model, until the test lets them go. */
  static final class Gate implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    static final AtomicInteger ARRIVED = new AtomicInteger();
    static volatile CountDownLatch release = new CountDownLatch(0);

    @Override
    public Iterator<Row> call(Iterator<Row> input) throws InterruptedException {
      ARRIVED.incrementAndGet();
      if (!release.await(5, TimeUnit.MINUTES)) {
        throw new IllegalStateException("the test never opened the gate");
      }
      return input;
    }
  }

  static Dataset<Row> mlpRows(SparkSession spark, long n) {
    StructType schema = new StructType()
        .add("id", DataTypes.LongType, false)
        .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    return spark.range(0, n, 1, PARTITIONS)
        .map((MapFunction<Long, Row>) id -> RowFactory.create(id, SparkFixtures.features(id)), Encoders.row(schema));
  }

  static Dataset<Row> miniLmRows(SparkSession spark, long n) {
    StructType schema = new StructType()
        .add("id", DataTypes.LongType, false)
        .add("input_ids", DataTypes.createArrayType(DataTypes.LongType, false), false)
        .add("attention_mask", DataTypes.createArrayType(DataTypes.LongType, false), false)
        .add("token_type_ids", DataTypes.createArrayType(DataTypes.LongType, false), false);
    return spark.range(0, n, 1, PARTITIONS).map((MapFunction<Long, Row>) id -> {
      long[][] t = SparkFixtures.tokens(id);
      return RowFactory.create(id, t[0], t[1], t[2]);
    }, Encoders.row(schema));
  }

  /** One row per partition: its first id, row count, SHA-256 of ids and output bits, versions seen. */
  static List<Row> digests(Dataset<Row> scored, String output) {
    StructType schema = new StructType()
        .add("first", DataTypes.LongType)
        .add("count", DataTypes.LongType)
        .add("sha256", DataTypes.StringType)
        .add("versions", DataTypes.StringType);
    int y = scored.schema().fieldIndex(output);
    int v = scored.schema().fieldIndex(SwellScorer.VERSION_COLUMN);
    return scored.mapPartitions((MapPartitionsFunction<Row, Row>) it -> {
      MessageDigest md = SparkFixtures.sha256();
      long first = -1;
      long count = 0;
      java.util.TreeSet<String> versions = new java.util.TreeSet<>();
      while (it.hasNext()) {
        Row r = it.next();
        long id = r.getLong(0);
        if (first < 0) {
          first = id;
        }
        count++;
        versions.add(String.valueOf(r.getString(v)));
        SparkFixtures.digest(md, id, flatFloats(r.get(y)));
      }
      return List.of(RowFactory.create(first, count, SparkFixtures.hex(md), String.join(",", versions))).iterator();
    }, Encoders.row(schema)).collectAsList();
  }

  /** A Row's array value (a Scala Seq, a Java list or array) as a list. */
  static List<?> scalaList(Object v) {
    if (v instanceof scala.collection.Seq) {
      return scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) v);
    }
    if (v instanceof List) {
      return (List<?>) v;
    }
    throw new IllegalArgumentException("not an array value: " + v);
  }

  static float[] flatFloats(Object value) {
    List<?> outer = scalaList(value);
    if (outer.isEmpty() || !(outer.get(0) instanceof Float)) {
      List<Float> all = new ArrayList<>();
      for (Object o : outer) {
        for (Object f : scalaList(o)) {
          all.add((Float) f);
        }
      }
      outer = all;
    }
    float[] out = new float[outer.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (Float) outer.get(i);
    }
    return out;
  }

  /**
   * The same digests computed in-process: predictBatch over the same rows in chunks of a given
   * size, partitions two at a time (this machine has two cores, as local[2] has two task slots).
   */
  static Map<Long, String> reference(Predictor p, List<Row> parts, int chunk, java.util.function.LongFunction<NamedTensors> row,
      String output) throws Exception {
    Map<Long, String> out = new java.util.concurrent.ConcurrentHashMap<>();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (Row part : parts) {
        done.add(pool.submit(() -> out.put(part.getLong(0), referenceDigest(p, part, chunk, row, output))));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return out;
  }

  private static String referenceDigest(Predictor p, Row part, int chunk, java.util.function.LongFunction<NamedTensors> row,
      String output) {
    {
      long first = part.getLong(0);
      long count = part.getLong(1);
      MessageDigest md = SparkFixtures.sha256();
      for (long at = first; at < first + count; at += chunk) {
        List<NamedTensors> requests = new ArrayList<>();
        for (long id = at; id < Math.min(first + count, at + chunk); id++) {
          requests.add(row.apply(id));
        }
        List<Prediction> results = p.predictBatch(requests);
        for (int i = 0; i < results.size(); i++) {
          SparkFixtures.digest(md, at + i, results.get(i).output(output).toFloatArray());
        }
      }
      return SparkFixtures.hex(md);
    }
  }

  /** Moves mlp's production alias from a child JVM, with the registry CLI as a shell user runs it. */
  static void promote(Path root, String version) throws IOException, InterruptedException {
    Process cli = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "dev.swell.registry.cli.RegistryCli",
        "--root", root.toString(), "promote", "mlp", version, "--alias", "production")
        .redirectErrorStream(true).start();
    String said = new String(cli.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(cli.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(cli.exitValue()).as(said).isZero();
  }

  static long executorJvms() {
    return spark.range(0, 64, 1, 16)
        .map((MapFunction<Long, Long>) i -> ProcessHandle.current().pid(), Encoders.LONG())
        .distinct().count();
  }

  @Test
  void millionMlpRowsPinnedWhileAnotherProcessMovesTheAlias() throws Exception {
    SwellScorer scorer = SwellScorer.builder(root, "mlp", VersionSelector.alias("production"))
        .input("x", "features")
        .output("y", "y")
        .build();
    assertThat(scorer.version()).isEqualTo("1.0.0");
    long loadsBefore = ExecutorModels.loads();

    Gate.ARRIVED.set(0);
    Gate.release = new CountDownLatch(1);
    Dataset<Row> scored = scorer.score(mlpRows(spark, MLP_ROWS).mapPartitions(new Gate(),
        Encoders.row(mlpRows(spark, 1).schema())));
    long start = System.nanoTime();
    CompletableFuture<List<Row>> job = CompletableFuture.supplyAsync(() -> digests(scored, "y"));
    try {
      // both task slots hold a task that has not yet loaded the model: now another process moves the alias
      await().atMost(Duration.ofMinutes(2)).until(() -> Gate.ARRIVED.get() >= 2);
      assertThat(ExecutorModels.loads()).isEqualTo(loadsBefore);
      promote(root, "1.1.0");
      assertThat(FileModelRegistry.open(root).alias("mlp", "production")).contains(SemVer.parse("1.1.0"));
    } finally {
      Gate.release.countDown();
    }
    List<Row> parts = job.get(15, TimeUnit.MINUTES);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("mlp: %d rows in %.1f s, %.0f rows/s%n", MLP_ROWS, seconds, MLP_ROWS / seconds);

    assertThat(parts.stream().mapToLong(r -> r.getLong(1)).sum()).isEqualTo(MLP_ROWS);
    assertThat(parts).allSatisfy(r -> assertThat(r.getString(3)).isEqualTo("1.0.0"));
    long jvms = executorJvms();
    assertThat(scorer.loads()).isEqualTo(jvms);
    assertThat(ExecutorModels.loads() - loadsBefore).isEqualTo(jvms);

    try (Swell swell = Swell.builder().build();
        Predictor pinned = swell.load(registry.resolve("mlp", VersionSelector.exact("1.0.0")));
        Predictor moved = swell.load(registry.resolve("mlp", VersionSelector.exact("1.1.0")))) {
      Map<Long, String> expected = reference(pinned, parts, 1000,
          id -> NamedTensors.of("x", Tensor.of(SparkFixtures.features(id), 1, SparkFixtures.MLP_IN)), "y");
      for (Row part : parts) {
        assertThat(part.getString(2)).as("partition from id %d", part.getLong(0)).isEqualTo(expected.get(part.getLong(0)));
      }
      // the digest tells versions apart: the moved-to version scores the first partition otherwise
      Map<Long, String> other = reference(moved, parts.subList(0, 1), 1000,
          id -> NamedTensors.of("x", Tensor.of(SparkFixtures.features(id), 1, SparkFixtures.MLP_IN)), "y");
      assertThat(parts.get(0).getString(2)).isNotEqualTo(other.get(parts.get(0).getLong(0)));
    }
  }

  @Test
  void hundredThousandMiniLmRowsEqualInProcessResults() throws Exception {
    SwellScorer scorer = SwellScorer.builder(root, "minilm", VersionSelector.alias("production"))
        .output("last_hidden_state", "hidden")
        .batchSize(64)
        .build();
    long loadsBefore = ExecutorModels.loads();
    long start = System.nanoTime();
    List<Row> parts = digests(scorer.score(miniLmRows(spark, MINILM_ROWS)), "hidden");
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("minilm: %d rows in %.1f s, %.0f rows/s%n", MINILM_ROWS, seconds, MINILM_ROWS / seconds);

    assertThat(parts.stream().mapToLong(r -> r.getLong(1)).sum()).isEqualTo(MINILM_ROWS);
    assertThat(parts).allSatisfy(r -> assertThat(r.getString(3)).isEqualTo("1.0.0"));
    assertThat(ExecutorModels.loads() - loadsBefore).isEqualTo(executorJvms());
    try (Swell swell = Swell.builder().backendConfig(dev.swell.api.spi.BackendConfig.builder().intraOpThreads(1).build())
        .build();
        Predictor p = swell.load(registry.resolve("minilm", VersionSelector.exact("1.0.0")))) {
      // MiniLM's outputs depend on the batch a row ran in (ONNX Runtime picks kernels by shape), so
      // the reference runs the same batches: 64 rows at a time from each partition's first row
      Map<Long, String> expected = reference(p, parts, 64, id -> {
        long[][] t = SparkFixtures.tokens(id);
        return NamedTensors.builder()
            .put("input_ids", Tensor.of(t[0], 1, SparkFixtures.SEQ))
            .put("attention_mask", Tensor.of(t[1], 1, SparkFixtures.SEQ))
            .put("token_type_ids", Tensor.of(t[2], 1, SparkFixtures.SEQ))
            .build();
      }, "last_hidden_state");
      for (Row part : parts) {
        assertThat(part.getString(2)).as("partition from id %d", part.getLong(0)).isEqualTo(expected.get(part.getLong(0)));
      }
    }
  }
}

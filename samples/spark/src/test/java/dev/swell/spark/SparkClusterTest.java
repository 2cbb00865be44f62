package dev.swell.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.registry.FileModelRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two real executor JVMs, the alias moved by another process while their tasks wait to load ({@code local-cluster[2,1,1024]}: a standalone master and two workers in
 * this JVM, each worker starting its executor as a child process): one model load in each, and the
 * same outputs as in-process. Spark's launcher normally finds its jars in a Spark distribution;
 * with {@code SPARK_TESTING} set for the executors it takes their class path from
 * {@code spark.executor.extraClassPath}, this test's own.
 */
class SparkClusterTest {

  static Path root;
  static Path work;
  static FileModelRegistry registry;
  static SparkSession spark;

  @BeforeAll
  static void start() throws IOException {
    work = Files.createTempDirectory("swell-spark-cluster-work");
    root = Files.createTempDirectory("swell-spark-cluster-registry");
    registry = SparkFixtures.registry(root, work);
    Path home = Files.createDirectories(work.resolve("spark-home"));
    spark = SparkSession.builder()
        .appName("swell-spark-cluster-test")
        .master("local-cluster[2,1,1024]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.plugins", SwellSparkPlugin.class.getName())
        .config("spark.test.home", home.toString())
        .config("spark.executorEnv.SPARK_HOME", home.toString())
        .config("spark.executorEnv.SPARK_TESTING", "1")
        .config("spark.executorEnv.SPARK_SCALA_VERSION", "2.13")
        .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
        .config("spark.executor.memory", "768m")
        .getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    SparkFixtures.deleteTree(root);
    SparkFixtures.deleteTree(work);
  }

  /** Holds each task, in whichever executor JVM, until a file says go. */
  static final class FileGate implements org.apache.spark.api.java.function.MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final String dir;

    FileGate(String dir) {
      this.dir = dir;
    }

    @Override
    public java.util.Iterator<Row> call(java.util.Iterator<Row> input) throws Exception {
      Path d = Path.of(dir);
      Files.writeString(d.resolve("arrived-" + org.apache.spark.TaskContext.getPartitionId()),
          Long.toString(ProcessHandle.current().pid()));
      // another process's file is the only signal there is; a bounded wait for it
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
      while (!Files.exists(d.resolve("release"))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the test never opened the gate");
        }
        java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
      }
      return input;
    }
  }

  @Test
  void oneLoadInEachExecutorJvm() throws Exception {
    long executors = spark.range(0, 400, 1, 40)
        .map((MapFunction<Long, Long>) i -> ProcessHandle.current().pid(), Encoders.LONG()).distinct().count();
    assertThat(executors).isEqualTo(2);
    long here = ProcessHandle.current().pid();
    assertThat(spark.range(0, 40, 1, 8)
        .map((MapFunction<Long, Long>) i -> ProcessHandle.current().pid(), Encoders.LONG()).collectAsList())
        .doesNotContain(here);

    SwellScorer scorer = SwellScorer.builder(root, "mlp", VersionSelector.alias("production")).input("x", "features")
        .build();
    long loadsHere = ExecutorModels.loads();
    // the executors' tasks wait, before they load, until this test has moved the alias from another process
    Path gate = Files.createDirectories(work.resolve("gate"));
    Dataset<Row> rows = SparkScoringTest.mlpRows(spark, 200_000);
    Dataset<Row> gated = rows.mapPartitions(new FileGate(gate.toString()), Encoders.row(rows.schema()));
    java.util.concurrent.CompletableFuture<List<Row>> job = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> SparkScoringTest.digests(scorer.score(gated), "y"));
    try {
      await().atMost(Duration.ofMinutes(2)).until(() -> {
        try (var s = Files.list(gate)) {
          return s.filter(f -> f.getFileName().toString().startsWith("arrived-")).count() >= 2;
        }
      });
      SparkScoringTest.promote(root, "1.1.0");
    } finally {
      Files.createFile(gate.resolve("release"));
    }
    List<Row> parts = job.get(10, java.util.concurrent.TimeUnit.MINUTES);
    assertThat(parts.stream().mapToLong(r -> r.getLong(1)).sum()).isEqualTo(200_000);
    assertThat(FileModelRegistry.open(root).alias("mlp", "production")).contains(dev.swell.registry.SemVer.parse("1.1.0"));
    assertThat(parts).allSatisfy(r -> assertThat(r.getString(3)).isEqualTo("1.0.0"));
    assertThat(scorer.loads()).isEqualTo(executors); // one copy per executor JVM, for eight partitions
    assertThat(ExecutorModels.loads()).isEqualTo(loadsHere); // none in the driver's JVM

    try (Swell swell = Swell.builder().build();
        Predictor p = swell.load(registry.resolve("mlp", VersionSelector.exact("1.0.0")))) {
      Map<Long, String> expected = SparkScoringTest.reference(p, parts, 1000,
          id -> NamedTensors.of("x", Tensor.of(SparkFixtures.features(id), 1, SparkFixtures.MLP_IN)), "y");
      for (Row part : parts) {
        assertThat(part.getString(2)).isEqualTo(expected.get(part.getLong(0)));
      }
    }
  }
}

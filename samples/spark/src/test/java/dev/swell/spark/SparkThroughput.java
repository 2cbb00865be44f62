package dev.swell.spark;

import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.BackendConfig;
import dev.swell.core.Swell;
import dev.swell.registry.FileModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Rows a second scored by Spark {@code local[2]} through {@link SwellScorer}, beside one in-process
 * {@code predictBatch} loop over the same rows on this machine. Run with
 * {@code ./mvnw -q -pl samples/spark -am test-compile exec:exec@spark-throughput -DskipTests}.
 *
 * <p>Arguments: {@code [mlpRows] [miniLmRows] [batch]}, default 1,000,000, 100,000 and 256.
 */
public final class SparkThroughput {

  private SparkThroughput() {}

  /**
   * Runs the measurement.
   *
   * @param args rows of each model, batch size
   * @throws Exception if a run fails
   */
  public static void main(String[] args) throws Exception {
    long mlpRows = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
    long miniLmRows = args.length > 1 ? Long.parseLong(args[1]) : 100_000;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 256;
    Path work = Files.createTempDirectory("swell-spark-bench-work");
    Path root = Files.createTempDirectory("swell-spark-bench-registry");
    try {
      FileModelRegistry registry = SparkFixtures.registry(root, work);
      SparkSession spark = SparkFixtures.session(Integer.getInteger("swell.spark.cores", 2));
      try {
        report("mlp", mlpRows, batch, registry, root, SparkScoringTest.mlpRows(spark, mlpRows), id -> NamedTensors.of("x",
            Tensor.of(SparkFixtures.features(id), 1, SparkFixtures.MLP_IN)), b -> b.input("x", "features"));
        report("minilm s" + SparkFixtures.SEQ, miniLmRows, batch, registry, root, SparkScoringTest.miniLmRows(spark, miniLmRows),
            id -> {
              long[][] t = SparkFixtures.tokens(id);
              return NamedTensors.builder().put("input_ids", Tensor.of(t[0], 1, SparkFixtures.SEQ))
                  .put("attention_mask", Tensor.of(t[1], 1, SparkFixtures.SEQ))
                  .put("token_type_ids", Tensor.of(t[2], 1, SparkFixtures.SEQ)).build();
            }, b -> b);
      } finally {
        spark.stop();
      }
    } finally {
      SparkFixtures.deleteTree(root);
      SparkFixtures.deleteTree(work);
    }
  }

  private static void report(String label, long rows, int batch, FileModelRegistry registry, Path root, Dataset<Row> data,
      LongFunction<NamedTensors> row, java.util.function.UnaryOperator<SwellScorer.Builder> mapping) {
    String model = label.startsWith("mlp") ? "mlp" : "minilm";
    int cores = Integer.getInteger("swell.spark.cores", 2);
    int rounds = Integer.getInteger("swell.spark.rounds", 3);
    data = data.persist(org.apache.spark.storage.StorageLevel.MEMORY_ONLY());
    data.write().format("noop").mode("overwrite").save(); // the rows cached, as a table's would be read
    SwellScorer scorer = mapping.apply(SwellScorer.builder(root, model, VersionSelector.exact("1.0.0")).batchSize(batch))
        .build();
    Dataset<Row> scored = scorer.score(data);
    double[] ratios = new double[rounds];
    // in-process: one thread, one intra-op thread (as each Spark task has), predictBatch of `batch` rows
    try (Swell swell = Swell.builder().backendConfig(BackendConfig.builder().intraOpThreads(1).build()).build();
        Predictor p = swell.load(registry.resolve(model, VersionSelector.exact("1.0.0")))) {
      loop(p, Math.min(rows, 50L * batch), batch, row); // warm-up
      scored.write().format("noop").mode("overwrite").save(); // warm-up; the executor's copy is kept 30 s idle
      for (int i = 0; i < rounds; i++) { // paired rounds: the machine's drift hits both sides of a ratio alike
        long t0 = System.nanoTime();
        loop(p, rows, batch, row);
        double inProcess = rows / ((System.nanoTime() - t0) / 1e9);
        long t1 = System.nanoTime();
        scored.write().format("noop").mode("overwrite").save();
        double spark = rows / ((System.nanoTime() - t1) / 1e9);
        long t2 = System.nanoTime();
        data.write().format("noop").mode("overwrite").save();
        double read = rows / ((System.nanoTime() - t2) / 1e9);
        ratios[i] = spark / inProcess;
        System.out.printf("%-10s batch %4d round %d: in-process predictBatch loop %,10.0f rows/s | Spark local[%d]"
            + " %,10.0f rows/s (%.2fx) | reading the cached rows alone %,11.0f rows/s%n", label, batch, i + 1,
            inProcess, cores, spark, ratios[i], read);
      }
    }
    data.unpersist(true);
    double[] sorted = ratios.clone();
    java.util.Arrays.sort(sorted);
    System.out.printf("%-10s batch %4d: Spark local[%d] / one in-process loop, median of %d rounds: %.2fx%n", label,
        batch, cores, rounds, sorted[rounds / 2]);
  }

  private static void loop(Predictor p, long rows, int batch, LongFunction<NamedTensors> row) {
    List<NamedTensors> requests = new ArrayList<>(batch);
    for (long at = 0; at < rows; at += batch) {
      requests.clear();
      for (long id = at; id < Math.min(rows, at + batch); id++) {
        requests.add(row.apply(id));
      }
      p.predictBatch(requests);
    }
  }
}

package dev.swell.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.swell.api.VersionSelector;
import dev.swell.onnx.OnnxNativeCounts;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** No native session outlives a job: idle copies are released, and an ending executor closes all. */
class SparkExecutorLifecycleTest {

  static Path root;
  static Path work;
  SparkSession spark;

  @BeforeAll
  static void registry() throws IOException {
    work = Files.createTempDirectory("swell-spark-life-work");
    root = Files.createTempDirectory("swell-spark-life-registry");
    FileModelRegistry.open(root).publish(PublishRequest.builder("mlp").version("1.0.0")
        .file(OnnxModels.mlp(work, 16, 32, 4, 7)).build());
  }

  @AfterAll
  static void clean() {
    SparkFixtures.deleteTree(root);
    SparkFixtures.deleteTree(work);
  }

  @AfterEach
  void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  static long score(SparkSession spark, SwellScorer scorer, long rows) {
    return scorer.score(SparkScoringTest.mlpRows(spark, rows)).count();
  }

  @Test
  void anEndingExecutorClosesItsCopies() {
    spark = SparkFixtures.session(2);
    assertThat(OnnxNativeCounts.openSessions()).isZero();
    SwellScorer scorer = SwellScorer.builder(root, "mlp", VersionSelector.exact("1.0.0")).input("x", "features")
        .idleRelease(Duration.ofHours(1)).build();
    assertThat(score(spark, scorer, 10_000)).isEqualTo(10_000);
    assertThat(ExecutorModels.open()).isEqualTo(1); // kept for the next job
    assertThat(OnnxNativeCounts.openSessions()).isEqualTo(1);
    assertThat(score(spark, scorer, 10_000)).isEqualTo(10_000);
    assertThat(scorer.loads()).isEqualTo(1); // the second job reused it
    spark.stop(); // the executor ends: SwellSparkPlugin closes what it held, before stop returns
    spark = null;
    assertThat(ExecutorModels.open()).isZero();
    assertThat(OnnxNativeCounts.openSessions()).isZero();
  }

  @Test
  void aCopyNoTaskHoldsIsReleasedAfterItsIdleTime() {
    spark = SparkFixtures.session(2);
    SwellScorer scorer = SwellScorer.builder(root, "mlp", VersionSelector.exact("1.0.0")).input("x", "features")
        .idleRelease(Duration.ofMillis(300)).build();
    assertThat(score(spark, scorer, 100_000)).isEqualTo(100_000);
    assertThat(scorer.loads()).isEqualTo(1); // eight partitions, two slots: one copy for all of them
    await().atMost(Duration.ofSeconds(30)).until(() -> OnnxNativeCounts.openSessions() == 0);
    assertThat(ExecutorModels.open()).isZero();
  }
}

package dev.swell.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.abtest.Experiment;
import dev.swell.api.Prediction;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Offline scoring under an experiment gives each row what online serving gives its unit. */
class SparkExperimentTest {

  static Path root;
  static Path work;
  static FileModelRegistry registry;
  static SparkSession spark;

  @BeforeAll
  static void start() throws IOException {
    work = Files.createTempDirectory("swell-spark-exp-work");
    root = Files.createTempDirectory("swell-spark-exp-registry");
    registry = FileModelRegistry.open(root);
    registry.publish(PublishRequest.builder("mlp").version("1.0.0").file(OnnxModels.mlp(work, 16, 32, 4, 7)).build());
    registry.publish(PublishRequest.builder("mlp").version("1.1.0").file(OnnxModels.mlp(work, 16, 32, 4, 8)).build());
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

  @Test
  void eachRowIsScoredByTheVariantItsUnitGetsOnline() {
    int n = 3000;
    try (Swell swell = Swell.builder().repository(registry).build();
        Experiment online = Experiment.builder("canary").model("mlp").control(VersionSelector.exact("1.0.0"))
            .challenger("canary", VersionSelector.exact("1.1.0"), 0.4).coverage(0.8).autoDecide(false)
            .replica("online").build(swell, registry)) {
      StructType schema = new StructType().add("user", DataTypes.StringType, true)
          .add("id", DataTypes.LongType, false)
          .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);
      List<Row> rows = new ArrayList<>();
      for (long id = 0; id < n; id++) {
        rows.add(RowFactory.create(id == 7 ? null : "user-" + id, id, SparkFixtures.features(id)));
      }
      SwellScorer scorer = SwellScorer.forExperiment(root, "mlp", "canary", "user").input("x", "features")
          .batchSize(100).build();
      assertThat(scorer.versions()).containsExactly(Map.entry("control", "1.0.0"), Map.entry("canary", "1.1.0"));
      List<Row> scored = scorer.score(spark.createDataFrame(rows, schema).repartition(4)).collectAsList();
      assertThat(scored).hasSize(n);

      Map<String, Integer> byVariant = new HashMap<>();
      for (Row r : scored) {
        long id = r.getLong(1);
        String unit = r.getString(0);
        Prediction expected = unit == null
            ? swell.load("mlp", VersionSelector.exact("1.0.0")).predict("x", Tensor.of(SparkFixtures.features(id), 1, 16))
            : online.predict(unit, dev.swell.api.NamedTensors.of("x", Tensor.of(SparkFixtures.features(id), 1, 16)));
        String variant = r.getString(6);
        assertThat(variant).as("unit %s", unit).isEqualTo(expected.variant().orElse(null));
        assertThat(variant).isEqualTo(unit == null ? null : online.assign(unit).orElse(null));
        assertThat(r.getString(5)).as("unit %s", unit).isEqualTo(expected.version());
        float[] got = SparkScoringTest.flatFloats(r.get(3));
        float[] want = expected.output("y").toFloatArray();
        for (int i = 0; i < want.length; i++) {
          assertThat(Float.floatToRawIntBits(got[i])).as("unit %s output %d", unit, i)
              .isEqualTo(Float.floatToRawIntBits(want[i]));
        }
        byVariant.merge(String.valueOf(variant), 1, Integer::sum);
      }
      // coverage 0.8, the canary 40% of it: all three kinds of row are there
      assertThat(byVariant.get("null")).isBetween(450, 750);
      assertThat(byVariant.get("canary")).isBetween(800, 1120);
      assertThat(byVariant.get("control")).isBetween(1280, 1600);
    }
  }

  @Test
  void variantsThatTakeOrGiveOtherTensorsAreRefused() throws IOException {
    registry.publish(PublishRequest.builder("mlp").version("2.0.0").file(OnnxModels.mlp(work, 16, 32, 8, 9)).build());
    try (Swell swell = Swell.builder().repository(registry).build();
        Experiment online = Experiment.builder("wider").model("mlp").control(VersionSelector.exact("1.0.0"))
            .challenger("wide", VersionSelector.exact("2.0.0"), 0.5).autoDecide(false).replica("online")
            .build(swell, registry)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() ->
              SwellScorer.forExperiment(root, "mlp", "wider", "user").input("x", "features").build())
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("variant 'wide'")
          .hasMessageContaining("2.0.0").hasMessageContaining("output y");
    }
  }

  @Test
  void integerUnitsHashAsTheirDigits() {
    try (Swell swell = Swell.builder().repository(registry).build();
        Experiment online = Experiment.builder("numbers").model("mlp").control(VersionSelector.exact("1.0.0"))
            .challenger("canary", VersionSelector.exact("1.1.0"), 0.5).autoDecide(false)
            .replica("online").build(swell, registry)) {
      StructType schema = new StructType().add("uid", DataTypes.LongType, false)
          .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);
      List<Row> rows = new ArrayList<>();
      for (long id = 1; id <= 500; id++) {
        rows.add(RowFactory.create(id * 1_000_003L, SparkFixtures.features(id)));
      }
      rows.add(RowFactory.create(0L, SparkFixtures.features(0))); // an id, not GrowthBook's "empty"
      for (long big = (1L << 60) + 1; big < (1L << 60) + 40; big++) { // beyond a double's 2^53: digits exact
        rows.add(RowFactory.create(big, SparkFixtures.features(big)));
      }
      List<Row> scored = SwellScorer.forExperiment(root, "mlp", "numbers", "uid").input("x", "features").build()
          .score(spark.createDataFrame(rows, schema)).collectAsList();
      assertThat(scored).hasSize(540);
      for (Row r : scored) { // the variant Experiment.assign gives the id as an online caller passes it
        assertThat(r.getString(5)).as("uid %d", r.getLong(0))
            .isEqualTo(online.assign(Long.toString(r.getLong(0))).orElseThrow());
      }
    }
  }
}

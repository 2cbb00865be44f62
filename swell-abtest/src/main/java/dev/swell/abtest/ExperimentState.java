package dev.swell.abtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.swell.abtest.stats.Summary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an experiment has recorded, as saved to its state file: per variant the counts and the
 * summaries (count, mean, variance) of latency and of every outcome metric. Written whole to a
 * temporary file, fsynced and renamed over the old one, so a crash leaves the previous state or
 * the new one, never a mixture.
 *
 * @param experiment the experiment's key
 * @param savedAt when it was written
 * @param variants per variant name
 */
public record ExperimentState(String experiment, Instant savedAt, Map<String, VariantState> variants) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One variant's recorded counts.
   *
   * @param requests requests served (shadows: copies run)
   * @param errors of those, model failures
   * @param dropped shadow copies dropped
   * @param identical shadow copies identical to the served answer
   * @param latencyMicros latency summary
   * @param metrics outcome metric summaries
   */
  public record VariantState(long requests, long errors, long dropped, long identical, Summary.Snapshot latencyMicros,
      Map<String, Summary.Snapshot> metrics) {

    /**
     * Copies the metrics.
     *
     * @param requests requests
     * @param errors errors
     * @param dropped dropped
     * @param identical identical
     * @param latencyMicros latency
     * @param metrics metrics
     */
    public VariantState {
      metrics = Map.copyOf(metrics);
    }
  }

  /**
   * Copies the variants.
   *
   * @param experiment key
   * @param savedAt time
   * @param variants variants
   */
  public ExperimentState {
    variants = Map.copyOf(variants);
  }

  /**
   * Reads a state file.
   *
   * @param file the file
   * @return the state
   * @throws UncheckedIOException if it cannot be read
   * @throws IllegalArgumentException if it is not a state file, naming what is wrong
   */
  public static ExperimentState read(Path file) {
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read experiment state " + file, e);
    }
    if (root == null || !root.path("experiment").isTextual() || !root.path("variants").isObject()) {
      throw new IllegalArgumentException(file + " is not an experiment state file (no experiment key or variants)");
    }
    Map<String, VariantState> variants = new LinkedHashMap<>();
    root.path("variants").properties().forEach(e -> {
      JsonNode v = e.getValue();
      Map<String, Summary.Snapshot> metrics = new LinkedHashMap<>();
      v.path("metrics").properties().forEach(m -> metrics.put(m.getKey(), snapshot(m.getValue())));
      variants.put(e.getKey(), new VariantState(v.path("requests").asLong(), v.path("errors").asLong(),
          v.path("dropped").asLong(), v.path("identical").asLong(), snapshot(v.path("latencyMicros")), metrics));
    });
    return new ExperimentState(root.path("experiment").asText(), Instant.parse(root.path("savedAt").asText()), variants);
  }

  private static Summary.Snapshot snapshot(JsonNode n) {
    return new Summary.Snapshot(n.path("count").asLong(), n.path("mean").asDouble(), n.path("variance").asDouble());
  }

  private static ObjectNode node(Summary.Snapshot s) {
    ObjectNode n = JSON.createObjectNode();
    n.put("count", s.count());
    n.put("mean", s.mean());
    n.put("variance", s.variance());
    return n;
  }

  /**
   * Writes the state durably: a temporary file beside {@code file}, fsynced, renamed over it, and
   * the folder fsynced.
   *
   * @param file the state file
   * @throws UncheckedIOException if it cannot be written (the old file is then untouched)
   */
  public void write(Path file) {
    ObjectNode root = JSON.createObjectNode();
    root.put("experiment", experiment);
    root.put("savedAt", savedAt.toString());
    ObjectNode vs = root.putObject("variants");
    variants.forEach((name, v) -> {
      ObjectNode n = vs.putObject(name);
      n.put("requests", v.requests());
      n.put("errors", v.errors());
      n.put("dropped", v.dropped());
      n.put("identical", v.identical());
      n.set("latencyMicros", node(v.latencyMicros()));
      ObjectNode m = n.putObject("metrics");
      v.metrics().forEach((k, s) -> m.set(k, node(s)));
    });
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
    try {
      Files.createDirectories(dir);
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
        ch.force(true);
      } catch (IOException | UnsupportedOperationException dirSyncUnsupported) {
        // some file systems cannot fsync a folder; the rename is still atomic
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write experiment state " + file, e);
    }
  }
}

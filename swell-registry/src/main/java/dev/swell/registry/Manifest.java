package dev.swell.registry;

import dev.swell.api.Signature;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a published version is: its identity, its files with sizes and SHA-256 digests, who made
 * it and when, its parent (lineage), tags, metrics, a description and, optionally, the signature
 * of the model's inputs and outputs. Stored as {@code manifest.json} in the version's folder and
 * never changed after publishing.
 *
 * @param formatVersion the layout version of the manifest ({@value FileModelRegistry#FORMAT_VERSION})
 * @param name the model's name
 * @param version the version
 * @param format the artifact format, such as {@code onnx}
 * @param primaryFile the file a backend loads, one of {@code files}
 * @param files every artifact file
 * @param createdAt when it was published
 * @param createdBy who published it
 * @param parent the version it was derived from, or null
 * @param tags free-form key/value labels
 * @param metrics named numbers such as {@code accuracy}
 * @param description free text, possibly empty
 * @param signature the model's inputs and outputs, or null if not recorded
 */
public record Manifest(
    int formatVersion,
    String name,
    SemVer version,
    String format,
    String primaryFile,
    List<FileEntry> files,
    Instant createdAt,
    String createdBy,
    SemVer parent,
    Map<String, String> tags,
    Map<String, Double> metrics,
    String description,
    Signature signature) {

  /**
   * Validates the components and copies the collections.
   *
   * @param formatVersion layout version
   * @param name model name
   * @param version version
   * @param format artifact format
   * @param primaryFile primary file
   * @param files files
   * @param createdAt time of publishing
   * @param createdBy publisher
   * @param parent parent version or null
   * @param tags tags
   * @param metrics metrics
   * @param description description
   * @param signature signature or null
   */
  public Manifest {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(primaryFile, "primaryFile");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(createdBy, "createdBy");
    files = List.copyOf(files);
    tags = Map.copyOf(tags);
    metrics = Map.copyOf(metrics);
    description = description == null ? "" : description;
    if (files.stream().noneMatch(f -> f.path().equals(primaryFile))) {
      throw new IllegalArgumentException("primary file '" + primaryFile + "' is not among the files");
    }
  }

  /**
   * Returns the parent version, if any.
   *
   * @return the parent
   */
  public Optional<SemVer> parentVersion() {
    return Optional.ofNullable(parent);
  }

  /**
   * Returns a metric.
   *
   * @param metric its name
   * @return its value, or empty
   */
  public Optional<Double> metric(String metric) {
    return Optional.ofNullable(metrics.get(metric));
  }

  /**
   * Returns the total size of the files.
   *
   * @return bytes
   */
  public long totalSize() {
    return files.stream().mapToLong(FileEntry::size).sum();
  }
}

package dev.swell.registry;

import dev.swell.api.Signature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What to publish: a model's files, its version (explicit, or a bump of its parent or of the
 * latest version), the primary file and format, lineage, tags, metrics, a description and the
 * signature. Immutable; build it with {@link #builder(String)}.
 *
 * <pre>{@code
 * PublishRequest req = PublishRequest.builder("fraud")
 *     .file(Path.of("build/fraud.onnx"))
 *     .bump(PublishRequest.Bump.MINOR)          // from the latest version
 *     .metric("auc", 0.931).tag("team", "risk")
 *     .description("retrained on November data")
 *     .build();
 * Manifest published = registry.publish(req);
 * }</pre>
 */
public final class PublishRequest {

  /** Which part of the version to increase when no explicit version is given. */
  public enum Bump {
    /** 1.2.3 to 2.0.0. */
    MAJOR,
    /** 1.2.3 to 1.3.0. */
    MINOR,
    /** 1.2.3 to 1.2.4. */
    PATCH
  }

  /** Progress of copying and hashing, in bytes. */
  @FunctionalInterface
  public interface Progress {
    /**
     * Called as bytes are copied.
     *
     * @param done bytes copied so far
     * @param total bytes to copy in all
     */
    void update(long done, long total);
  }

  private final String model;
  private final List<Path> files;
  private final List<String> relativePaths;
  private final String primaryFile;
  private final String format;
  private final SemVer version;
  private final Bump bump;
  private final SemVer parent;
  private final boolean parentFromLatest;
  private final Map<String, String> tags;
  private final Map<String, Double> metrics;
  private final String description;
  private final Signature signature;
  private final Progress progress;

  private PublishRequest(Builder b) {
    this.model = b.model;
    this.files = List.copyOf(b.files);
    this.relativePaths = List.copyOf(b.relativePaths);
    this.primaryFile = b.primaryFile != null ? b.primaryFile : relativePaths.get(0);
    String ext = primaryFile.contains(".") ? primaryFile.substring(primaryFile.lastIndexOf('.') + 1) : "";
    this.format = b.format != null ? b.format : ext.toLowerCase(Locale.ROOT);
    this.version = b.version;
    this.bump = b.bump;
    this.parent = b.parent;
    this.parentFromLatest = b.parentFromLatest;
    this.tags = Map.copyOf(b.tags);
    this.metrics = Map.copyOf(b.metrics);
    this.description = b.description;
    this.signature = b.signature;
    this.progress = b.progress;
  }

  /**
   * Starts a request for a model.
   *
   * @param model the model's name
   * @return a builder
   */
  public static Builder builder(String model) {
    return new Builder(model);
  }

  String model() {
    return model;
  }

  List<Path> files() {
    return files;
  }

  List<String> relativePaths() {
    return relativePaths;
  }

  String primaryFile() {
    return primaryFile;
  }

  String format() {
    return format;
  }

  SemVer version() {
    return version;
  }

  Bump bump() {
    return bump;
  }

  SemVer parent() {
    return parent;
  }

  boolean parentFromLatest() {
    return parentFromLatest;
  }

  Map<String, String> tags() {
    return tags;
  }

  Map<String, Double> metrics() {
    return metrics;
  }

  String description() {
    return description;
  }

  Signature signature() {
    return signature;
  }

  Progress progress() {
    return progress;
  }

  /** Builds a {@link PublishRequest}. Not thread-safe. */
  public static final class Builder {
    private final String model;
    private final List<Path> files = new ArrayList<>();
    private final List<String> relativePaths = new ArrayList<>();
    private String primaryFile;
    private String format;
    private SemVer version;
    private Bump bump;
    private SemVer parent;
    private boolean parentFromLatest;
    private final Map<String, String> tags = new LinkedHashMap<>();
    private final Map<String, Double> metrics = new LinkedHashMap<>();
    private String description = "";
    private Signature signature;
    private Progress progress = (done, total) -> { };

    private Builder(String model) {
      this.model = Names.model(model);
    }

    /**
     * Adds a file, stored under its own file name.
     *
     * @param file a regular file
     * @return this builder
     * @throws IllegalArgumentException if it is not a regular file or its name is taken
     */
    public Builder file(Path file) {
      return file(file, String.valueOf(file.getFileName()));
    }

    /**
     * Adds a file under a relative path of the version's folder.
     *
     * @param file a regular file
     * @param relativePath where it goes, with {@code /} separators, no {@code ..}
     * @return this builder
     * @throws IllegalArgumentException if it is not a regular file, or the path is taken or unsafe
     */
    public Builder file(Path file, String relativePath) {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("file " + file + " does not exist or is not a regular file");
      }
      checkRelative(relativePath);
      if (relativePaths.contains(relativePath)) {
        throw new IllegalArgumentException("two files would be stored as '" + relativePath + "'");
      }
      files.add(file);
      relativePaths.add(relativePath);
      return this;
    }

    private static void checkRelative(String path) {
      if (path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains("\0")) {
        throw new IllegalArgumentException("file path '" + Names.printable(path) + "' must be relative, "
            + "with / separators");
      }
      for (String part : path.split("/", -1)) {
        if (part.isEmpty() || part.equals(".") || part.equals("..")) {
          throw new IllegalArgumentException("file path '" + Names.printable(path)
              + "' has an empty, '.' or '..' segment");
        }
        for (char c : part.toCharArray()) {
          if (c < 0x20) {
            throw new IllegalArgumentException("file path '" + Names.printable(path) + "' has a control character");
          }
        }
      }
    }

    /**
     * Names the file a backend loads (default: the first file added).
     *
     * @param relativePath one of the files' paths
     * @return this builder
     */
    public Builder primaryFile(String relativePath) {
      this.primaryFile = Objects.requireNonNull(relativePath, "primaryFile");
      return this;
    }

    /**
     * Sets the format (default: the primary file's extension, such as {@code onnx}).
     *
     * @param format the format
     * @return this builder
     */
    public Builder format(String format) {
      this.format = Objects.requireNonNull(format, "format").toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * Publishes as an exact version.
     *
     * @param version the version
     * @return this builder
     */
    public Builder version(SemVer version) {
      this.version = Objects.requireNonNull(version, "version");
      return this;
    }

    /**
     * Publishes as an exact version.
     *
     * @param version the version text
     * @return this builder
     * @throws IllegalArgumentException if it is not a semantic version
     */
    public Builder version(String version) {
      return version(SemVer.parse(version));
    }

    /**
     * Publishes as the parent's version (or, without a parent, the latest version's) with one part
     * increased; the first version of a model bumps from 0.0.0. The number is chosen under the
     * model's lock, so concurrent publishers never collide.
     *
     * @param bump which part to increase
     * @return this builder
     */
    public Builder bump(Bump bump) {
      this.bump = Objects.requireNonNull(bump, "bump");
      return this;
    }

    /**
     * Records the version this one was derived from (lineage). It must exist.
     *
     * @param parent the parent version
     * @return this builder
     */
    public Builder parent(SemVer parent) {
      this.parent = Objects.requireNonNull(parent, "parent");
      return this;
    }

    /**
     * Records the latest version at publishing time as the parent (lineage), chosen under the
     * model's lock.
     *
     * @return this builder
     */
    public Builder parentIsLatest() {
      this.parentFromLatest = true;
      return this;
    }

    /**
     * Adds a tag.
     *
     * @param key the tag's key
     * @param value its value
     * @return this builder
     */
    public Builder tag(String key, String value) {
      tags.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Adds a metric.
     *
     * @param name the metric's name, such as {@code accuracy}
     * @param value a finite number
     * @return this builder
     * @throws IllegalArgumentException if the value is not finite
     */
    public Builder metric(String name, double value) {
      if (!Double.isFinite(value)) {
        throw new IllegalArgumentException("metric '" + name + "' must be finite, was " + value);
      }
      metrics.put(Objects.requireNonNull(name, "name"), value);
      return this;
    }

    /**
     * Sets the description.
     *
     * @param description free text
     * @return this builder
     */
    public Builder description(String description) {
      this.description = Objects.requireNonNull(description, "description");
      return this;
    }

    /**
     * Records the model's signature.
     *
     * @param signature inputs and outputs
     * @return this builder
     */
    public Builder signature(Signature signature) {
      this.signature = Objects.requireNonNull(signature, "signature");
      return this;
    }

    /**
     * Receives progress while files are copied and hashed.
     *
     * @param progress the listener
     * @return this builder
     */
    public Builder progress(Progress progress) {
      this.progress = Objects.requireNonNull(progress, "progress");
      return this;
    }

    /**
     * Returns the request.
     *
     * @return the request
     * @throws IllegalStateException if no file was added, the primary file is not among them, both
     *     or neither of version and bump were given, or a parent is given twice
     */
    public PublishRequest build() {
      if (files.isEmpty()) {
        throw new IllegalStateException("a version needs at least one file");
      }
      if (primaryFile != null && !relativePaths.contains(primaryFile)) {
        throw new IllegalStateException("primary file '" + primaryFile + "' is not among the files " + relativePaths);
      }
      if ((version == null) == (bump == null)) {
        throw new IllegalStateException("give either an exact version or a bump, not " + (version == null ? "neither" : "both"));
      }
      if (parent != null && parentFromLatest) {
        throw new IllegalStateException("give either a parent or parentIsLatest(), not both");
      }
      return new PublishRequest(this);
    }
  }
}

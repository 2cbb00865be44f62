package dev.swell.registry;

import dev.swell.api.VersionSelector;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The registry's costs: resolving an alias (cached), opening a registry of 10,000 versions, and
 * publishing a 100 MB artifact beside a plain {@code Files.copy} of it (with and without fsync).
 *
 * <p>Run: {@code ./mvnw -B -q -pl swell-bench -am package exec:exec@jmh -DskipTests
 * -Djmh.args="RegistryBenchmark"}.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class RegistryBenchmark {

  /** A registry with one model of 20 versions and an alias. */
  @State(Scope.Benchmark)
  public static class Small {
    FileModelRegistry registry;
    Path root;

    /**
     * Publishes the versions.
     *
     * @throws IOException if the disk fails
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
      root = Files.createTempDirectory("swell-bench-reg");
      registry = FileModelRegistry.open(root);
      Path f = Files.writeString(root.resolve("m.onnx"), "weights");
      for (int i = 1; i <= 20; i++) {
        registry.publish(PublishRequest.builder("m").file(f).version("1." + i + ".0").build());
      }
      registry.setAlias("m", SemVer.parse("1.7.0"), "production");
    }

    /** Deletes the registry. */
    @TearDown(Level.Trial)
    public void tearDown() {
      FsOps.deleteRecursively(root);
    }
  }

  /** A registry with one model of 10,000 versions. */
  @State(Scope.Benchmark)
  public static class Large {
    Path root;

    /**
     * Publishes the versions (takes a while, once).
     *
     * @throws IOException if the disk fails
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
      root = Files.createTempDirectory("swell-bench-reg10k");
      FileModelRegistry registry = FileModelRegistry.open(root);
      Path f = Files.writeString(root.resolve("m.onnx"), "weights");
      for (int i = 0; i < 10_000; i++) {
        registry.publish(PublishRequest.builder("big").file(f).version((i / 100) + "." + (i % 100) + ".0").build());
      }
      registry.setAlias("big", SemVer.parse("42.42.0"), "production");
    }

    /** Deletes the registry. */
    @TearDown(Level.Trial)
    public void tearDown() {
      FsOps.deleteRecursively(root);
    }
  }

  /** A 100 MB source file and a fresh target for each publish or copy. */
  @State(Scope.Benchmark)
  public static class Artifact {
    Path dir;
    Path source;
    FileModelRegistry registry;
    int n;

    /**
     * Writes the source file.
     *
     * @throws IOException if the disk fails
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
      dir = Files.createTempDirectory("swell-bench-100mb");
      byte[] chunk = new byte[1 << 20];
      new SplittableRandom(1).nextBytes(chunk);
      source = dir.resolve("model.onnx");
      try (var out = Files.newOutputStream(source)) {
        for (int i = 0; i < 100; i++) {
          out.write(chunk);
        }
      }
      registry = FileModelRegistry.open(dir.resolve("registry"));
      Files.createDirectories(dir.resolve("copies"));
    }

    /**
     * Frees the disk between iterations.
     *
     * @throws IOException if the disk fails
     */
    @TearDown(Level.Iteration)
    public void clean() throws IOException {
      FsOps.deleteRecursively(dir.resolve("registry").resolve("models"));
      FsOps.deleteRecursively(dir.resolve("copies"));
      Files.createDirectories(dir.resolve("copies"));
    }

    /** Deletes everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
      FsOps.deleteRecursively(dir);
    }
  }

  /**
   * Resolves the alias to a version (the alias file parsed once, then served from the cache).
   *
   * @param s the registry
   * @return the version
   */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @Warmup(iterations = 3, time = 1)
  @Measurement(iterations = 5, time = 1)
  public SemVer resolveAlias(Small s) {
    return s.registry.resolveVersion("m", VersionSelector.alias("production"));
  }

  /**
   * Resolves the alias to a loadable artifact: version lookup plus the cached integrity check.
   *
   * @param s the registry
   * @return the artifact
   */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @Warmup(iterations = 3, time = 1)
  @Measurement(iterations = 5, time = 1)
  public Object resolveArtifact(Small s) {
    return s.registry.resolve("m", VersionSelector.alias("production"));
  }

  /**
   * Opens a registry of 10,000 versions and resolves its alias, as a new process would.
   *
   * @param l the registry folder
   * @return the version
   */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 2, time = 2)
  @Measurement(iterations = 5, time = 2)
  public Object openRegistryOf10kVersions(Large l) {
    FileModelRegistry r = FileModelRegistry.open(l.root);
    return r.resolve("big", VersionSelector.alias("production"));
  }

  /**
   * Lists the 10,000 versions newest first.
   *
   * @param l the registry folder
   * @return the count
   */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 2, time = 2)
  @Measurement(iterations = 5, time = 2)
  public int listVersionsOf10k(Large l) {
    return FileModelRegistry.open(l.root).versions("big").size();
  }

  /**
   * Publishes the 100 MB artifact: copy while hashing, fsync, manifest, atomic rename.
   *
   * @param a the artifact
   * @return the manifest
   */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 2)
  @Measurement(iterations = 6)
  public Object publish100MB(Artifact a) {
    return a.registry.publish(PublishRequest.builder("m" + a.n++).file(a.source).version("1.0.0").build());
  }

  /**
   * Copies the 100 MB artifact with {@code Files.copy}, as the reference.
   *
   * @param a the artifact
   * @return the copy
   * @throws IOException if the copy fails
   */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 2)
  @Measurement(iterations = 6)
  public Path filesCopy100MB(Artifact a) throws IOException {
    return Files.copy(a.source, a.dir.resolve("copies").resolve("c" + a.n++));
  }

  /**
   * Copies the 100 MB artifact with {@code Files.copy} and fsyncs it: the durable reference.
   *
   * @param a the artifact
   * @return the copy
   * @throws IOException if the copy fails
   */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 2)
  @Measurement(iterations = 6)
  public Path filesCopyFsync100MB(Artifact a) throws IOException {
    Path to = Files.copy(a.source, a.dir.resolve("copies").resolve("c" + a.n++));
    try (FileChannel ch = FileChannel.open(to, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    return to;
  }
}

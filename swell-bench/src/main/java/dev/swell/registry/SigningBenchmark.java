package dev.swell.registry;

import dev.swell.registry.signing.SigningKeys;
import dev.swell.registry.signing.TrustPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
 * What a signature costs: verifying a signed 100 MB version under a trust policy (re-hashing its
 * files, checking the manifest, the bundle and the ECDSA signature) beside one plain SHA-256
 * pass over the same file with the same 1 MiB buffer, and signing it.
 *
 * <p>Run: {@code ./mvnw -B -q -pl swell-bench -am package exec:exec@jmh -DskipTests
 * -Djmh.args="SigningBenchmark"}.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
public class SigningBenchmark {

  /** A registry holding one signed 100 MB version. */
  @State(Scope.Benchmark)
  public static class Signed {
    Path dir;
    Path file;
    FileModelRegistry plain;
    FileModelRegistry strict;
    KeyPair key;
    SemVer version = SemVer.parse("1.0.0");

    /**
     * Publishes and signs the version.
     *
     * @throws IOException if the disk fails
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
      dir = Files.createTempDirectory("swell-bench-sign");
      byte[] chunk = new byte[1 << 20];
      new SplittableRandom(1).nextBytes(chunk);
      Path source = dir.resolve("model.onnx");
      try (var out = Files.newOutputStream(source)) {
        for (int i = 0; i < 100; i++) {
          out.write(chunk);
        }
      }
      key = SigningKeys.generate();
      Path root = dir.resolve("registry");
      plain = FileModelRegistry.open(root);
      plain.publish(PublishRequest.builder("m").file(source).version("1.0.0").build());
      plain.sign("m", version, key);
      strict = FileModelRegistry.builder(root).trustPolicy(TrustPolicy.builder().trust(key.getPublic()).build()).build();
      file = plain.open("m", version).primaryFile();
    }

    /** Deletes the registry. */
    @TearDown(Level.Trial)
    public void tearDown() {
      FsOps.deleteRecursively(dir);
    }
  }

  /**
   * One SHA-256 pass over the artifact: the floor any verification pays.
   *
   * @param s the state
   * @return the digest
   * @throws IOException if the disk fails
   * @throws NoSuchAlgorithmException never
   */
  @Benchmark
  public byte[] sha256Pass(Signed s) throws IOException, NoSuchAlgorithmException {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(s.file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return md.digest();
  }

  /**
   * Re-verifies the version under the trust policy: files, manifest, bundle, signature.
   *
   * @param s the state
   * @return the verified version
   */
  @Benchmark
  public ModelVersion verifySigned(Signed s) {
    return s.strict.verify("m", s.version);
  }

  /**
   * Re-verifies the version's hashes without a policy.
   *
   * @param s the state
   * @return the verified version
   */
  @Benchmark
  public ModelVersion verifyUnsigned(Signed s) {
    return s.plain.verify("m", s.version);
  }

  /**
   * Signs the version again (re-verifying it first, then writing the bundle).
   *
   * @param s the state
   * @return the key hint
   */
  @Benchmark
  public String sign(Signed s) {
    return s.plain.sign("m", s.version, s.key);
  }
}

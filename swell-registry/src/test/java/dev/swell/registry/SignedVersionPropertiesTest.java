package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.IntegrityException;
import dev.swell.registry.signing.SigningKeys;
import dev.swell.registry.signing.TrustPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Every single-byte change of any file of a signed registry version — its artifact files, its
 * manifest (with or without its checksum fixed up) or its signature — is refused under the trust
 * policy, by a registry that has verified the version before and by a fresh one.
 */
class SignedVersionPropertiesTest {

  private static final KeyPair KEY = SigningKeys.generate();
  private static final AtomicLong TRIES = new AtomicLong();
  private static final List<String> FILES = List.of("files/model.onnx", "files/tokenizer/vocab.txt", "manifest.json",
      "model.sig");
  private static Path root;
  private static Path dir;
  private static FileModelRegistry strict;

  private static synchronized void setUp() throws Exception {
    if (root != null) {
      return;
    }
    root = Files.createTempDirectory("signed-version");
    FileModelRegistry writer = FileModelRegistry.open(root);
    byte[] weights = new byte[2000];
    new java.util.Random(5).nextBytes(weights);
    Path src = Files.createDirectories(root.resolve("src"));
    writer.publish(PublishRequest.builder("m").file(Files.write(src.resolve("model.onnx"), weights))
        .file(Files.writeString(src.resolve("vocab.txt"), "a\nb\nc\n"), "tokenizer/vocab.txt")
        .version("1.0.0").metric("auc", 0.91).build());
    writer.sign("m", SemVer.parse("1.0.0"), KEY);
    strict = FileModelRegistry.builder(root).trustPolicy(TrustPolicy.builder().trust(KEY.getPublic()).build()).build();
    strict.verify("m", SemVer.parse("1.0.0"));
    dir = root.resolve("models/m/versions/1.0.0");
  }

  record Flip(String file, int position, int xor, boolean fixChecksum) {}

  @Provide
  Arbitrary<Flip> flips() throws Exception {
    setUp();
    return Arbitraries.of(FILES).flatMap(f -> {
      int size = (int) dir.resolve(f).toFile().length();
      return Combinators.combine(Arbitraries.integers().between(0, size - 1), Arbitraries.integers().between(1, 255),
          Arbitraries.of(true, false)).as((p, x, fix) -> new Flip(f, p, x, fix));
    });
  }

  @Property(tries = 1000)
  void everyByteOfASignedVersionCounts(@ForAll("flips") Flip flip) throws Exception {
    Path target = dir.resolve(flip.file());
    byte[] original = Files.readAllBytes(target);
    byte[] checksum = Files.readAllBytes(dir.resolve("manifest.sha256"));
    try {
      byte[] changed = original.clone();
      changed[flip.position()] ^= (byte) flip.xor();
      Files.write(target, changed);
      if (flip.file().equals("manifest.json") && flip.fixChecksum()) { // the attacker fixes the checksum too
        Files.writeString(dir.resolve("manifest.sha256"), FsOps.sha256(changed) + "\n");
      }
      TRIES.incrementAndGet();
      assertThatThrownBy(() -> strict.verify("m", SemVer.parse("1.0.0"))).isInstanceOf(IntegrityException.class);
      FileModelRegistry fresh = FileModelRegistry.builder(root)
          .trustPolicy(TrustPolicy.builder().trust(KEY.getPublic()).build()).build();
      assertThatThrownBy(() -> fresh.open("m", SemVer.parse("1.0.0"))).isInstanceOf(IntegrityException.class);
    } finally {
      Files.write(target, original);
      Files.write(dir.resolve("manifest.sha256"), checksum);
    }
  }

  @AfterContainer
  static void report() {
    System.out.println("signed registry version: " + TRIES.get() + " single-byte changes of its files, manifest and "
        + "signature, all refused");
  }
}

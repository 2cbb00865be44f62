package dev.swell.registry.signing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
 * Every single-byte change of a signed file or of the bundle, and every wrong key, is refused.
 * One signed folder of three files; each try flips one byte (XOR with 1..255) at any position.
 */
class SignaturePropertiesTest {

  private static final KeyPair KEY = SigningKeys.generate();
  private static final AtomicLong TRIES = new AtomicLong();
  private static Path folder;
  private static byte[] bundle;

  private static synchronized void setUp() throws Exception {
    if (folder != null) {
      return;
    }
    folder = Files.createTempDirectory("signed");
    Files.createDirectories(folder.resolve("sub"));
    Files.write(folder.resolve("model.onnx"), new java.util.Random(1).ints(3000, 0, 256).collect(
        java.io.ByteArrayOutputStream::new, (o, i) -> o.write(i), (a, b) -> { }).toByteArray());
    Files.writeString(folder.resolve("config.json"), "{\"labels\": 4}");
    Files.writeString(folder.resolve("sub/vocab.txt"), "a\nb\nc\n");
    bundle = ModelSignatures.signFolder(folder, List.of(), KEY);
    ModelSignatures.verifyFolder(folder, bundle, List.of(KEY.getPublic()), List.of()); // the original verifies
  }

  record Flip(int position, int xor) {}

  @Provide
  Arbitrary<Flip> bundleFlips() throws Exception {
    setUp();
    return Combinators.combine(Arbitraries.integers().between(0, bundle.length - 1), Arbitraries.integers().between(1, 255))
        .as(Flip::new);
  }

  @Property(tries = 3000)
  void everyBundleByteChangeIsRefused(@ForAll("bundleFlips") Flip flip) throws Exception {
    byte[] changed = bundle.clone();
    changed[flip.position()] ^= (byte) flip.xor();
    TRIES.incrementAndGet();
    assertThatThrownBy(() -> ModelSignatures.verifyFolder(folder, changed, List.of(KEY.getPublic()), List.of()))
        .isInstanceOf(ModelSignatureException.class);
  }

  @Provide
  Arbitrary<Object[]> fileFlips() throws Exception {
    setUp();
    return Arbitraries.of("model.onnx", "config.json", "sub/vocab.txt").flatMap(f -> {
      long size = folder.resolve(f).toFile().length();
      return Combinators.combine(Arbitraries.integers().between(0, (int) size - 1), Arbitraries.integers().between(1, 255))
          .as((p, x) -> new Object[] {f, p, x});
    });
  }

  @Property(tries = 1000)
  void everyFileByteChangeIsRefused(@ForAll("fileFlips") Object[] flip) throws Exception {
    Path target = folder.resolve((String) flip[0]);
    byte[] original = Files.readAllBytes(target);
    try {
      byte[] bytes = original.clone();
      bytes[(Integer) flip[1]] ^= (byte) (int) (Integer) flip[2];
      Files.write(target, bytes);
      TRIES.incrementAndGet();
      assertThatThrownBy(() -> ModelSignatures.verifyFolder(folder, bundle, List.of(KEY.getPublic()), List.of()))
          .isInstanceOf(ModelSignatureException.class).hasMessageContaining(flip[0] + " has SHA-256");
    } finally {
      Files.write(target, original);
    }
  }

  @Property(tries = 50)
  void everyOtherKeyIsRefused(@ForAll("bundleFlips") Flip unused) throws Exception {
    KeyPair other = SigningKeys.generate();
    TRIES.incrementAndGet();
    assertThatThrownBy(() -> ModelSignatures.verifyFolder(folder, bundle, List.of(other.getPublic()), List.of()))
        .isInstanceOfSatisfying(ModelSignatureException.class,
            e -> org.assertj.core.api.Assertions.assertThat(e.reason()).isEqualTo(ModelSignatureException.Reason.UNTRUSTED_KEY));
  }

  @AfterContainer
  static void report() {
    System.out.println("signature properties: " + TRIES.get() + " changed bundles, files and keys, all refused");
  }
}

package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.IntegrityException;
import dev.swell.api.VersionSelector;
import dev.swell.registry.signing.ModelSignatureException;
import dev.swell.registry.signing.ModelSignatureException.Reason;
import dev.swell.registry.signing.ModelSignatures;
import dev.swell.registry.signing.SignedStatement;
import dev.swell.registry.signing.SigningKeys;
import dev.swell.registry.signing.TrustPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signed versions under a trust policy: what is served, what is refused and why. */
class SignedRegistryTest {

  @TempDir Path tmp;
  private Path root;
  private final KeyPair release = SigningKeys.generate();
  private final KeyPair intruder = SigningKeys.generate();
  private FileModelRegistry writer;
  private FileModelRegistry strict;

  @BeforeEach
  void open() {
    root = tmp.resolve("registry");
    writer = FileModelRegistry.open(root);
    strict = FileModelRegistry.builder(root).trustPolicy(TrustPolicy.builder().trust(release.getPublic()).build()).build();
  }

  private Manifest publish(String model, String version, String content) throws IOException {
    Path f = Files.writeString(tmp.resolve("model-" + version + ".onnx"), content);
    Path extra = Files.writeString(tmp.resolve("vocab-" + version + ".txt"), "a b c");
    return writer.publish(PublishRequest.builder(model).file(f).file(extra, "tokenizer/vocab.txt").version(version).build());
  }

  private Path dir(String model, String version) {
    return root.resolve("models").resolve(model).resolve("versions").resolve(version);
  }

  private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Reason reason, String text) {
    assertThatThrownBy(call).isInstanceOfSatisfying(ModelSignatureException.class, e -> {
      assertThat(e.reason()).isEqualTo(reason);
      assertThat(e.getMessage()).contains(text);
    });
  }

  @Test
  @DisplayName("a signed version resolves under the policy; its signature is a model-signing bundle over its files and manifest")
  void signedVersionResolves() throws Exception {
    publish("fraud", "1.0.0", "w");
    String hint = writer.sign("fraud", SemVer.parse("1.0.0"), release);
    assertThat(hint).isEqualTo(SigningKeys.hint(release.getPublic()));
    assertThat(strict.resolve("fraud", VersionSelector.exact("1.0.0")).file()).exists();
    // what model_signing verify key checks on the version folder
    SignedStatement s = ModelSignatures.verifyFolder(dir("fraud", "1.0.0"),
        Files.readAllBytes(dir("fraud", "1.0.0").resolve("model.sig")), List.of(release.getPublic()), List.of());
    assertThat(s.resources().keySet()).containsExactly("files/model-1.0.0.onnx", "files/tokenizer/vocab.txt", "manifest.json");
    assertThat(s.ignorePaths()).containsExactly("manifest.sha256", "model.sig");
    assertThat(writer.events("fraud")).extracting(e -> e.type().name()).containsExactly("PUBLISHED", "SIGNED");
  }

  @Test
  @DisplayName("unsigned, signed by another key, tampered or grown versions are refused with the reason")
  void refusals() throws Exception {
    publish("fraud", "1.0.0", "unsigned");
    assertRefused(() -> strict.resolve("fraud", VersionSelector.exact("1.0.0")), Reason.UNSIGNED, "has no model.sig");

    publish("fraud", "1.1.0", "intruder");
    writer.sign("fraud", SemVer.parse("1.1.0"), intruder);
    assertRefused(() -> strict.resolve("fraud", VersionSelector.exact("1.1.0")), Reason.UNTRUSTED_KEY, "no trusted key");

    publish("fraud", "1.2.0", "tampered");
    writer.sign("fraud", SemVer.parse("1.2.0"), release);
    strict.resolve("fraud", VersionSelector.exact("1.2.0"));
    // the manifest's metadata changed and its checksum fixed up: files fine, manifest no longer the signed one
    Path m = dir("fraud", "1.2.0").resolve("manifest.json");
    String changed = Files.readString(m).replace("\"description\" : \"\"", "\"description\" : \"approved\"");
    Files.writeString(m, changed);
    Files.writeString(dir("fraud", "1.2.0").resolve("manifest.sha256"),
        FsOps.sha256(changed.getBytes(StandardCharsets.UTF_8)) + "\n");
    FileModelRegistry fresh = FileModelRegistry.builder(root).trustPolicy(TrustPolicy.builder().trust(release.getPublic()).build()).build();
    assertRefused(() -> fresh.resolve("fraud", VersionSelector.exact("1.2.0")), Reason.FILES_DIFFER, "manifest.json has SHA-256");

    publish("fraud", "1.3.0", "grown");
    writer.sign("fraud", SemVer.parse("1.3.0"), release);
    Files.writeString(dir("fraud", "1.3.0").resolve("files/evil.so"), "payload");
    assertRefused(() -> strict.verify("fraud", SemVer.parse("1.3.0")), Reason.FILES_DIFFER, "files/evil.so is present but not signed");

    publish("fraud", "1.4.0", "resigned");
    writer.sign("fraud", SemVer.parse("1.4.0"), release);
    Path sig = dir("fraud", "1.4.0").resolve("model.sig");
    byte[] b = Files.readAllBytes(sig);
    b[b.length / 2] ^= 4;
    Files.write(sig, b);
    assertThatThrownBy(() -> strict.verify("fraud", SemVer.parse("1.4.0"))).isInstanceOf(ModelSignatureException.class);
    // a registry without a policy serves them all (bytes match their manifests), except the grown one
    assertThatThrownBy(() -> writer.verify("fraud", SemVer.parse("1.3.0"))).isInstanceOf(IntegrityException.class);
    writer.verify("fraud", SemVer.parse("1.0.0"));
  }

  @Test
  @DisplayName("a per-model key protects only its model")
  void perModelKeys() throws Exception {
    publish("fraud", "1.0.0", "f");
    publish("churn", "1.0.0", "c");
    FileModelRegistry r = FileModelRegistry.builder(root)
        .trustPolicy(TrustPolicy.builder().trust("fraud", release.getPublic()).build()).build();
    r.resolve("churn", VersionSelector.exact("1.0.0"));
    assertRefused(() -> r.resolve("fraud", VersionSelector.exact("1.0.0")), Reason.UNSIGNED, "model.sig");
    writer.sign("fraud", SemVer.parse("1.0.0"), release);
    r.resolve("fraud", VersionSelector.exact("1.0.0"));
  }

  @Test
  @DisplayName("promote verifies first: a damaged or unsigned version is refused and the alias stays; forcing is recorded")
  void safePromotion() throws Exception {
    publish("fraud", "1.0.0", "good");
    writer.sign("fraud", SemVer.parse("1.0.0"), release);
    strict.promote("fraud", SemVer.parse("1.0.0"), "production");
    publish("fraud", "1.1.0", "same-size");
    Files.writeString(dir("fraud", "1.1.0").resolve("files/model-1.1.0.onnx"), "SAME-SIZE"); // bytes flipped, size kept
    assertThatThrownBy(() -> writer.promote("fraud", SemVer.parse("1.1.0"), "production"))
        .isInstanceOf(IntegrityException.class).hasMessageContaining("refusing to point an alias at it")
        .hasMessageContaining("SHA-256");
    publish("fraud", "1.2.0", "unsigned");
    assertThatThrownBy(() -> strict.promote("fraud", SemVer.parse("1.2.0"), "production"))
        .hasMessageContaining("refusing to point an alias at it").hasMessageContaining("unsigned");
    assertThatThrownBy(() -> strict.setAlias("fraud", SemVer.parse("1.2.0"), "production")).isInstanceOf(IntegrityException.class);
    assertThatThrownBy(() -> strict.compareAndSetAlias("fraud", SemVer.parse("1.0.0"), SemVer.parse("1.2.0"), "production"))
        .isInstanceOf(IntegrityException.class);
    assertThat(strict.alias("fraud", "production")).hasValue(SemVer.parse("1.0.0"));
    writer.promoteForced("fraud", SemVer.parse("1.2.0"), "production", "incident 42: signer offline");
    assertThat(writer.aliasHistory("fraud", "production")).last().extracting(AliasMove::action)
        .isEqualTo("forced: incident 42: signer offline");
    // forcing moves the alias; readers under the policy still refuse what it names
    assertRefused(() -> strict.resolve("fraud", VersionSelector.alias("production")), Reason.UNSIGNED, "model.sig");
  }

  @Test
  @DisplayName("verifying a signed version hashes its files once (the signature reuses the manifest check's digests)")
  void signatureCostsNoSecondHash() throws Exception {
    Path big = tmp.resolve("big.onnx");
    Files.write(big, new byte[64 << 20]);
    writer.publish(PublishRequest.builder("big").file(big).version("1.0.0").build());
    writer.sign("big", SemVer.parse("1.0.0"), release);
    for (int i = 0; i < 3; i++) { // warm
      strict.verify("big", SemVer.parse("1.0.0"));
      writer.verify("big", SemVer.parse("1.0.0"));
    }
    long signed = Long.MAX_VALUE;
    long plain = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      long t0 = System.nanoTime();
      strict.verify("big", SemVer.parse("1.0.0"));
      long t1 = System.nanoTime();
      writer.verify("big", SemVer.parse("1.0.0"));
      long t2 = System.nanoTime();
      signed = Math.min(signed, t1 - t0);
      plain = Math.min(plain, t2 - t1);
    }
    System.out.printf("verify 64 MiB: with signature %.1f ms, hashes only %.1f ms (%.3fx)%n", signed / 1e6, plain / 1e6,
        (double) signed / plain);
    // a second SHA-256 pass would double it; JMH measures the ratio precisely (SigningBenchmark)
    assertThat((double) signed / plain).isLessThan(1.5);
  }
}

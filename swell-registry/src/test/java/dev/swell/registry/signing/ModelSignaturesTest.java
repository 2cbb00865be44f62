package dev.swell.registry.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.registry.signing.ModelSignatureException.Reason;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelSignaturesTest {

  @TempDir Path dir;

  static Path vectors() {
    try {
      return Path.of(ModelSignaturesTest.class.getResource("/model-signing").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static PublicKey referenceKey() throws Exception {
    return SigningKeys.readPublicKey(vectors().resolve("reference-key.pub.pem"));
  }

  @ParameterizedTest(name = "{0}")
  @DisplayName("the reference signatures of model-transparency and the OpenSSF conformance suite verify")
  @CsvSource({
      "v0.3.1-elliptic-key, v0.3.1-elliptic-key/model.sig, v0.3.1-elliptic-key/signme-1, 1",
      "v1.0.0-elliptic-key, v1.0.0-elliptic-key/model.sig, v1.0.0-elliptic-key/signme-1, 1",
      "v1.0.1-elliptic-key, v1.0.1-elliptic-key/model.sig, v1.0.1-elliptic-key, 2",
      "v1.1.0-elliptic-key, v1.1.0-elliptic-key/model.sig, v1.1.0-elliptic-key, 2",
      "key-simple, key-simple/bundle.sig, key-simple/model, 2",
      // the Go signer does not record the path it was told to ignore: the verifier is told again
      "key-simple-go, key-simple-go/bundle.sig, key-simple-go/model, 2",
      "key-multi-file, key-multi-file/bundle.sig, key-multi-file/model, 3"})
  void referenceSignaturesVerify(String name, String bundle, String model, int files) throws Exception {
    SignedStatement s = ModelSignatures.verifyFolder(vectors().resolve(model),
        Files.readAllBytes(vectors().resolve(bundle)), List.of(referenceKey()), List.of("model.sig", "ignore-me"));
    assertThat(s.resources()).hasSize(files);
    assertThat(SigningKeys.hint(s.key())).isEqualTo(SigningKeys.hint(referenceKey()));
    // the same signature, under a key that did not make it
    assertThatThrownBy(() -> ModelSignatures.verifyFolder(vectors().resolve(model),
        Files.readAllBytes(vectors().resolve(bundle)), List.of(SigningKeys.generate().getPublic()), List.of("model.sig", "ignore-me")))
        .isInstanceOfSatisfying(ModelSignatureException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_KEY));
  }

  @Test
  @DisplayName("the key hint is the SHA-256 of the key's PEM, as model_signing computes it")
  void hintAsModelSigningComputesIt() throws Exception {
    // the conformance bundles carry this hint for the reference key
    assertThat(SigningKeys.hint(referenceKey()))
        .isEqualTo("e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e");
    assertThat(SigningKeys.publicKeyPem(referenceKey()))
        .isEqualTo(Files.readString(vectors().resolve("reference-key.pub.pem")));
  }

  @Test
  @DisplayName("a reference model with one file changed, added or removed is refused")
  void referenceModelChanged() throws Exception {
    Path model = dir.resolve("model");
    Files.createDirectories(model.resolve("subdir"));
    for (String f : List.of("config.json", "weights.bin", "subdir/adapter.bin")) {
      Files.copy(vectors().resolve("key-multi-file/model/" + f), model.resolve(f));
    }
    byte[] bundle = Files.readAllBytes(vectors().resolve("key-multi-file/bundle.sig"));
    List<PublicKey> keys = List.of(referenceKey());
    ModelSignatures.verifyFolder(model, bundle, keys, List.of());
    Files.writeString(model.resolve("extra.py"), "import os");
    assertRefused(() -> ModelSignatures.verifyFolder(model, bundle, keys, List.of()), Reason.FILES_DIFFER, "extra.py is present but not signed");
    Files.delete(model.resolve("extra.py"));
    byte[] w = Files.readAllBytes(model.resolve("weights.bin"));
    w[100] ^= 1;
    Files.write(model.resolve("weights.bin"), w);
    assertRefused(() -> ModelSignatures.verifyFolder(model, bundle, keys, List.of()), Reason.FILES_DIFFER, "weights.bin has SHA-256");
    Files.delete(model.resolve("weights.bin"));
    assertRefused(() -> ModelSignatures.verifyFolder(model, bundle, keys, List.of()), Reason.FILES_DIFFER, "weights.bin is signed but missing");
  }

  @Test
  @DisplayName("Swell's own signatures round-trip with a new P-256 key, and name their files sorted")
  void ownSignaturesRoundTrip() throws Exception {
    Path model = dir.resolve("m");
    Files.createDirectories(model.resolve("b"));
    Files.writeString(model.resolve("z.onnx"), "zz");
    Files.writeString(model.resolve("b/a.bin"), "aa");
    Files.writeString(model.resolve("skip.txt"), "not signed");
    KeyPair key = SigningKeys.generate();
    byte[] bundle = ModelSignatures.signFolder(model, List.of("skip.txt"), key);
    SignedStatement s = ModelSignatures.verifyFolder(model, bundle, List.of(key.getPublic()), List.of());
    assertThat(s.resources().keySet()).containsExactly("b/a.bin", "z.onnx");
    assertThat(s.ignorePaths()).containsExactly("skip.txt");
    String json = new String(bundle, StandardCharsets.UTF_8);
    assertThat(json).contains("\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"")
        .contains("\"hint\":\"" + SigningKeys.hint(key.getPublic()) + "\"");
  }

  @Test
  @DisplayName("PEM keys round-trip; wrong PEM contents are refused with what they hold")
  void pemKeys() throws Exception {
    KeyPair key = SigningKeys.generate();
    assertThat(SigningKeys.parsePublicKey(SigningKeys.publicKeyPem(key.getPublic()), "pub").getEncoded())
        .isEqualTo(key.getPublic().getEncoded());
    assertThat(SigningKeys.matches(SigningKeys.parsePrivateKey(SigningKeys.privateKeyPem(key.getPrivate()), "k"),
        key.getPublic())).isTrue();
    assertThat(SigningKeys.matches(key.getPrivate(), SigningKeys.generate().getPublic())).isFalse();
    assertThatThrownBy(() -> SigningKeys.parsePrivateKey(SigningKeys.publicKeyPem(key.getPublic()), "x.pem"))
        .hasMessageContaining("x.pem holds a PUBLIC KEY, expected a PRIVATE KEY");
    assertThatThrownBy(() -> SigningKeys.parsePrivateKey("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", "o.pem"))
        .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
    assertThatThrownBy(() -> SigningKeys.parsePublicKey("hello", "h.pem")).hasMessageContaining("not a PEM file");
  }

  @Test
  @DisplayName("malformed bundles are refused with what is wrong")
  void malformedBundles() throws Exception {
    KeyPair key = SigningKeys.generate();
    List<PublicKey> keys = List.of(key.getPublic());
    assertRefused(() -> ModelSignatures.verifyBundle("{".getBytes(StandardCharsets.UTF_8), keys, "m", "1.0.0"),
        Reason.MALFORMED, "not valid JSON");
    assertRefused(() -> ModelSignatures.verifyBundle("[]".getBytes(StandardCharsets.UTF_8), keys, "m", "1.0.0"),
        Reason.MALFORMED, "not a JSON object");
    byte[] good = ModelSignatures.sign("m", Map.of("a", "0".repeat(64)), List.of(), key);
    String json = new String(good, StandardCharsets.UTF_8);
    assertRefused(() -> ModelSignatures.verifyBundle(json.replace("v0.3", "v0.2").getBytes(StandardCharsets.UTF_8), keys, null, null),
        Reason.MALFORMED, "mediaType");
    assertRefused(() -> ModelSignatures.verifyBundle(json.replace("\"tlogEntries\":[]", "\"tlogEntries\":[{}]")
        .getBytes(StandardCharsets.UTF_8), keys, null, null), Reason.MALFORMED, "transparency-log");
    assertRefused(() -> ModelSignatures.verifyBundle(json.replace("\"dsseEnvelope\"", "\"dsseEnvelop\"")
        .getBytes(StandardCharsets.UTF_8), keys, null, null), Reason.MALFORMED, "unknown field 'dsseEnvelop'");
    assertThatThrownBy(() -> ModelSignatures.sign("m", Map.of("../etc/passwd", "0".repeat(64)), List.of(), key))
        .hasMessageContaining("segment");
    assertRefused(() -> ModelSignatures.verifyBundle(good, List.of(), null, null), Reason.UNTRUSTED_KEY, "no trusted");
  }

  @Test
  @DisplayName("a symbolic link inside a signed folder is refused")
  void symlinksRefused() throws Exception {
    Path model = dir.resolve("s");
    Files.createDirectories(model);
    Files.writeString(model.resolve("a"), "a");
    KeyPair key = SigningKeys.generate();
    byte[] bundle = ModelSignatures.signFolder(model, List.of(), key);
    Files.createSymbolicLink(model.resolve("link"), Path.of("/etc/hostname"));
    assertRefused(() -> ModelSignatures.verifyFolder(model, bundle, List.of(key.getPublic()), List.of()),
        Reason.FILES_DIFFER, "symbolic link");
  }

  static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Reason reason, String text) {
    assertThatThrownBy(call).isInstanceOfSatisfying(ModelSignatureException.class, e -> {
      assertThat(e.reason()).isEqualTo(reason);
      assertThat(e.getMessage()).contains(text);
    });
  }
}

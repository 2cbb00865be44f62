package dev.swell.samples.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.SwellHealth;
import dev.swell.core.event.LoadFailed;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import dev.swell.registry.cli.RegistryCli;
import dev.swell.registry.signing.SigningKeys;
import dev.swell.registry.signing.TrustPolicy;
import dev.swell.samples.faults.Load;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service that requires signed versions, under 8 threads of load: unsigned, wrongly signed and
 * tampered versions that an alias comes to name are refused at load with an event and in health,
 * and the signed version keeps serving every request.
 */
class SignedServingTest {

  @TempDir Path dir;

  @Test
  @DisplayName("under a trust policy, unsigned, untrusted and tampered versions never serve; 0 failed requests")
  void refusedVersionsNeverServe() throws Exception {
    KeyPair release = SigningKeys.generate();
    KeyPair intruder = SigningKeys.generate();
    Path root = dir.resolve("registry");
    FileModelRegistry writer = FileModelRegistry.open(root);
    FileModelRegistry strict = FileModelRegistry.builder(root)
        .trustPolicy(TrustPolicy.builder().trust(release.getPublic()).build()).build();
    for (int i = 0; i < 4; i++) {
      writer.publish(PublishRequest.builder("fraud").file(OnnxModels.mlp(dir.resolve("v" + i), 16, 32, 4, i))
          .version("1." + i + ".0").build());
    }
    writer.sign("fraud", SemVer.parse("1.0.0"), release);
    strict.promote("fraud", SemVer.parse("1.0.0"), "production");
    writer.sign("fraud", SemVer.parse("1.2.0"), intruder);
    writer.sign("fraud", SemVer.parse("1.3.0"), release);
    Path tampered = writer.open("fraud", SemVer.parse("1.3.0")).primaryFile();
    byte[] bytes = Files.readAllBytes(tampered);
    bytes[bytes.length - 20] ^= 1;
    Files.write(tampered, bytes);

    NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, new SplittableRandom(1), 1, 16));
    List<LoadFailed> refusals = new CopyOnWriteArrayList<>();
    try (Swell swell = Swell.builder().repository(strict).refreshInterval(Duration.ofMillis(20)).build();
         Predictor p = swell.predictor("fraud", VersionSelector.alias("production"));
         Load load = new Load(8, p, in, "1.0.0")) {
      swell.on(LoadFailed.class, refusals::add);
      String[][] faults = {{"1.1.0", "unsigned"}, {"1.2.0", "untrusted key"}, {"1.3.0", "has SHA-256"}};
      for (String[] fault : faults) {
        long before = load.served();
        writer.promoteForced("fraud", SemVer.parse(fault[0]), "production", "fault injection");
        SwellHealth.ModelStatus s = await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(5))
            .until(() -> swell.health().models().get(0), st -> fault[0].equals(st.wanted()));
        assertThat(s.lastError()).contains(fault[1]);
        assertThat(s.version()).isEqualTo("1.0.0");
        await().atMost(Duration.ofSeconds(5)).until(() -> load.served() > before + 1000);
        System.out.printf("signed serving: alias moved to %s (%s): refused, %d requests served meanwhile%n",
            fault[0], fault[1], load.served() - before);
      }
      assertThat(refusals).extracting(LoadFailed::version).contains("1.1.0", "1.2.0", "1.3.0");
      assertThat(load.failed()).as("failed requests (first: %s)", load.firstFailure()).isZero();
      System.out.printf("signed serving: 3 refused versions under 8 threads: %d served, %d failed, %d refusal events%n",
          load.served(), load.failed(), refusals.size());
    }
  }

  @Test
  @DisplayName("bug: promote of a file that is no model exited 0; promote --check loads it with ONNX Runtime first")
  void promoteCheckLoadsTheVersion() throws Exception {
    Path root = dir.resolve("registry");
    FileModelRegistry registry = FileModelRegistry.open(root);
    registry.publish(PublishRequest.builder("fraud").file(OnnxModels.mlp(dir, 16, 32, 4, 1)).version("1.0.0").build());
    byte[] garbage = new byte[4096];
    new SplittableRandom(3).nextBytes(garbage);
    registry.publish(PublishRequest.builder("fraud").file(Files.write(dir.resolve("notes.onnx"), garbage))
        .version("1.1.0").build());
    assertThat(cli("--root", root.toString(), "promote", "fraud", "1.0.0", "--check")).isZero();
    assertThat(err).contains("check: fraud 1.0.0 loaded with onnxruntime");
    assertThat(cli("--root", root.toString(), "promote", "fraud", "1.1.0", "--check")).isEqualTo(1);
    assertThat(err).contains("refusing to promote: fraud 1.1.0 does not load with onnxruntime");
    assertThat(registry.alias("fraud", "production")).hasValue(SemVer.parse("1.0.0"));
  }

  private String err;

  private int cli(String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code = RegistryCli.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
    err = e.toString(StandardCharsets.UTF_8);
    return code;
  }
}

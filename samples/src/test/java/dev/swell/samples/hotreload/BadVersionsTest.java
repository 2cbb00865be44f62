package dev.swell.samples.hotreload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.SwellHealth;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.ModelVersion;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A version with a corrupted artifact and one whose ONNX file does not load are published and
 * aliased: the old version keeps serving, health reports the failure, metrics count it.
 */
class BadVersionsTest {

  @TempDir Path dir;

  @Test
  @DisplayName("corrupted and unloadable versions are never served; the old one keeps serving")
  void badVersions() throws Exception {
    Path model = dir.resolve("minilm.onnx");
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-q.onnx")) {
      Files.copy(in, model);
    }
    byte[] garbage = new byte[4096];
    new SplittableRandom(7).nextBytes(garbage);
    Path notOnnx = Files.write(dir.resolve("broken.onnx"), garbage);
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("registry"));
    registry.publish(PublishRequest.builder("minilm").file(model).version("1.0.0").build());
    registry.publish(PublishRequest.builder("minilm").file(model).version("1.1.0").build());
    registry.publish(PublishRequest.builder("minilm").file(notOnnx).version("1.2.0").build());
    registry.promote("minilm", SemVer.parse("1.0.0"), "production");
    // damage 1.1.0 after publishing: one flipped byte in the middle of the weights
    ModelVersion damaged = registry.open("minilm", SemVer.parse("1.1.0"));
    byte[] bytes = Files.readAllBytes(damaged.primaryFile());
    bytes[bytes.length / 2] ^= 0x40;
    Files.write(damaged.primaryFile(), bytes);

    NamedTensors inputs = NamedTensors.builder()
        .put("input_ids", Tensor.of(new long[] {101, 2000, 2001, 102}, 1, 4))
        .put("attention_mask", Tensor.of(new long[] {1, 1, 1, 1}, 1, 4))
        .put("token_type_ids", Tensor.of(new long[4], 1, 4))
        .build();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Swell swell = Swell.builder().repository(registry).meterRegistry(meters)
        .refreshInterval(Duration.ofMillis(50)).build();
         Predictor p = swell.predictor("minilm", VersionSelector.alias("production"))) {
      assertThat(p.predict(inputs).version()).isEqualTo("1.0.0");

      // promote refuses a damaged version; an alias can still come to name one (forced, or
      // damaged after the move): the runtime refuses it too
      registry.promoteForced("minilm", SemVer.parse("1.1.0"), "production", "test: the runtime must refuse it");
      SwellHealth.ModelStatus s = waitForError(swell, "1.1.0");
      assertThat(s.lastError()).contains("SHA-256");
      assertThat(s.version()).isEqualTo("1.0.0");
      assertThat(p.predict(inputs).version()).isEqualTo("1.0.0");

      registry.promote("minilm", SemVer.parse("1.2.0"), "production");
      s = waitForError(swell, "1.2.0");
      assertThat(s.lastError()).contains("loading 1.2.0 failed");
      assertThat(s.version()).isEqualTo("1.0.0");
      assertThat(p.predict(inputs).version()).isEqualTo("1.0.0");
      assertThat(swell.health().ready()).isTrue();
      assertThat(meters.get("swell.model.loads").tags("model", "minilm", "outcome", "failure").timer().count())
          .isGreaterThanOrEqualTo(2);
      assertThat(meters.find("swell.model.swaps").counter()).isNull();
      System.out.printf("bad versions: served %s throughout; health said: %s%n", p.version(), s.lastError());
    }
  }

  static SwellHealth.ModelStatus waitForError(Swell swell, String version) {
    return org.awaitility.Awaitility.await("health reports the failure of " + version).atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(10)).until(() -> swell.health().models().get(0),
            s -> s.lastError() != null && s.lastError().contains(version));
  }
}

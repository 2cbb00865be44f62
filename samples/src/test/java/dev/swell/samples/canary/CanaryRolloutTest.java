package dev.swell.samples.canary;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.abtest.Decision;
import dev.swell.abtest.DecisionPolicy;
import dev.swell.abtest.Experiment;
import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A canary rollout end to end on real parts: two ONNX versions in a file registry, two replicas
 * (two runtimes) of a service agreeing on every unit's variant, a canary ramped from 5% to 25%,
 * outcomes that favour it, a decision, the promotion through the alias — and both replicas
 * serving the new version, with no failed request.
 */
class CanaryRolloutTest {

  @TempDir Path dir;

  @Test
  @DisplayName("canary at 5% -> 25%, two replicas agree on assignment, the better version is promoted and both follow")
  void rollout() throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("registry"));
    registry.publish(PublishRequest.builder("scorer").file(OnnxModels.mlp(dir, 8, 16, 2, 1)).version("1.0.0").build());
    registry.publish(PublishRequest.builder("scorer").file(OnnxModels.mlp(dir, 8, 16, 2, 2)).version("1.1.0").build());
    registry.promote("scorer", SemVer.parse("1.0.0"), "production");
    SplittableRandom r = new SplittableRandom(3);
    try (Swell replicaA = Swell.builder().repository(registry).build();
         Swell replicaB = Swell.builder().repository(FileModelRegistry.open(dir.resolve("registry"))).build();
         Experiment a = canary(replicaA);
         Experiment b = canary(replicaB)) {
      int canaryUnits = 0;
      for (int u = 0; u < 2000; u++) {
        String unit = "user-" + u;
        assertThat(b.assign(unit)).as("replicas agree on %s", unit).isEqualTo(a.assign(unit));
        NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, 1, 8));
        String variant = (u % 2 == 0 ? a : b).predict(unit, in).variant().orElseThrow();
        canaryUnits += variant.equals("canary") ? 1 : 0;
      }
      assertThat(canaryUnits).isBetween(60, 140); // 5% of 2,000
      a.ramp("canary", 0.25);
      b.ramp("canary", 0.25);
      for (int u = 0; u < 8000; u++) {
        String unit = "user-" + u;
        Experiment replica = u % 2 == 0 ? a : b;
        NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, 1, 8));
        String variant = replica.predict(unit, in).variant().orElseThrow();
        // the business outcome, reported where the request was served: the canary converts more
        replica.record(unit, "converted", r.nextDouble() < (variant.equals("canary") ? 0.14 : 0.10) ? 1 : 0);
      }
      // each replica decides on what it saw; here replica A decides and applies
      Decision d = a.decide(DecisionPolicy.maximize("converted").minSamples(500));
      System.out.println("canary rollout: " + d.kind() + " " + d.variant() + ": " + d.reason());
      assertThat(d.kind()).as(d.reason()).isEqualTo(Decision.Kind.PROMOTE);
      a.apply(d, registry, "production");
      b.ramp("canary", 0); // replica B ends its split too (in a service: the same decision, or a config push)
      try (Predictor seenByB = replicaB.predictor("scorer", VersionSelector.alias("production"))) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!seenByB.version().equals("1.1.0")) {
          assertThat(System.nanoTime()).as("replica B follows the promotion").isLessThan(deadline);
          Thread.sleep(10);
        }
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, 1, 8));
      while (!b.predict("user-1", in).version().equals("1.1.0") || !a.predict("user-1", in).version().equals("1.1.0")) {
        assertThat(System.nanoTime()).as("both replicas' control serves 1.1.0").isLessThan(deadline);
        Thread.sleep(10);
      }
      assertThat(a.report().stream().mapToLong(v -> v.errors()).sum()).isZero();
      assertThat(b.report().stream().mapToLong(v -> v.errors()).sum()).isZero();
    }
  }

  private static Experiment canary(Swell swell) {
    return Experiment.builder("scorer-canary").model("scorer").control(VersionSelector.alias("production"))
        .challenger("canary", VersionSelector.exact("1.1.0"), 0.05).build(swell);
  }
}

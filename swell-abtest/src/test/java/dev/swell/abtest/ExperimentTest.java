package dev.swell.abtest;

import static dev.swell.core.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.BackendException;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.testkit.MlpWeights;
import dev.swell.core.testkit.ReferenceBackendProvider;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Experiments on a real file registry, with the pure-Java reference backend. */
class ExperimentTest {

  @TempDir Path dir;

  private FileModelRegistry registry;
  private Swell swell;

  @BeforeEach
  void setUp() {
    registry = FileModelRegistry.open(dir.resolve("registry"));
    publish("1.0.0", 1);
    publish("1.1.0", 2);
    publish("1.2.0", 3, "failing", "true");
    registry.promote("fraud", SemVer.parse("1.0.0"), "production");
    swell = Swell.builder().discoverBackends(false).backend(new ReferenceBackendProvider()).repository(registry)
        .refreshInterval(Duration.ofMillis(50)).warmupRuns(0).build();
  }

  @AfterEach
  void tearDown() {
    swell.close();
  }

  private void publish(String version, int seed, String... extra) {
    String[] props = new String[10 + extra.length];
    System.arraycopy(new String[] {"op", "mlp", "in", "4", "hidden", "8", "out", "2", "seed", "" + seed}, 0, props, 0, 10);
    System.arraycopy(extra, 0, props, 10, extra.length);
    Path file = ReferenceBackendProvider.write(dir.resolve("v" + version + ".ref"), props);
    registry.publish(PublishRequest.builder("fraud").file(file).version(version).build());
  }

  private static NamedTensors in(float v) {
    return NamedTensors.of("x", Tensor.of(new float[] {v, 1, 2, 3}, 1, 4));
  }

  private static float[] answer(int seed, float v) {
    return MlpWeights.generate(4, 8, 2, seed).apply(new float[] {v, 1, 2, 3}, 1);
  }


  private VariantReport report(Experiment e, String variant) {
    return e.report().stream().filter(r -> r.name().equals(variant)).findFirst().orElseThrow();
  }

  @Test
  @DisplayName("each unit is served by its variant, always the same one; shares are respected; restarts agree")
  void stickyAssignment() {
    Map<String, String> first = new HashMap<>();
    int canary = 0;
    try (Experiment e = Experiment.builder("fraud-canary").model("fraud").control(VersionSelector.alias("production"))
        .challenger("canary", VersionSelector.exact("1.1.0"), 0.2).build(swell)) {
      for (int u = 0; u < 2000; u++) {
        String unit = "user-" + u;
        Prediction p = e.predict(unit, in(u));
        String variant = p.variant().orElseThrow();
        first.put(unit, variant);
        assertThat(p.version()).isEqualTo(variant.equals("canary") ? "1.1.0" : "1.0.0");
        assertThat(p.output("y").toFloatArray()).containsExactly(answer(variant.equals("canary") ? 2 : 1, u));
        assertThat(e.predict(unit, in(u)).variant()).contains(variant);
        canary += variant.equals("canary") ? 1 : 0;
      }
      assertThat(canary).isBetween(330, 470); // 400 expected, sd 18
      assertThat(report(e, "canary").requests()).isEqualTo(2L * canary);
      assertThat(report(e, "control").share()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));
    }
    try (Experiment again = Experiment.builder("fraud-canary").model("fraud").control(VersionSelector.alias("production"))
        .challenger("canary", VersionSelector.exact("1.1.0"), 0.2).build(swell)) {
      first.forEach((unit, variant) -> assertThat(again.assign(unit)).as(unit).isEqualTo(variant));
    }
  }

  @Test
  @DisplayName("ramping the canary from 5% to 20% moves units only from the control to the canary")
  void rampIsMonotone() {
    try (Experiment e = Experiment.builder("ramp").model("fraud").control(VersionSelector.alias("production"))
        .challenger("canary", VersionSelector.exact("1.1.0"), 0.05).build(swell)) {
      Map<String, String> before = new HashMap<>();
      for (int u = 0; u < 5000; u++) {
        before.put("u" + u, e.assign("u" + u));
      }
      e.ramp("canary", 0.20);
      int moved = 0;
      for (var entry : before.entrySet()) {
        String now = e.assign(entry.getKey());
        if (entry.getValue().equals("canary")) {
          assertThat(now).as("a canary unit stays").isEqualTo("canary");
        } else if (now.equals("canary")) {
          moved++;
        }
      }
      assertThat(moved).isBetween(600, 900); // 15% of 5,000 = 750
      assertThatThrownBy(() -> e.ramp("nobody", 0.5)).hasMessageContaining("no challenger 'nobody'");
      assertThatThrownBy(() -> e.ramp("canary", 1.5)).hasMessageContaining("from 0 to 1");
    }
  }

  @Test
  @DisplayName("a shadow gets copies of requests; its answers are recorded, never returned")
  void shadowTraffic() throws Exception {
    try (Experiment e = Experiment.builder("shadowed").model("fraud").control(VersionSelector.alias("production"))
        .shadow("same", VersionSelector.exact("1.0.0"), 1.0)
        .shadow("next", VersionSelector.exact("1.1.0"), 0.5)
        .shadow("broken", VersionSelector.exact("1.2.0"), 1.0).build(swell)) {
      for (int u = 0; u < 200; u++) {
        Prediction p = e.predict("u" + u, in(u));
        assertThat(p.variant()).contains(Experiment.CONTROL);
        assertThat(p.output("y").toFloatArray()).containsExactly(answer(1, u));
        Thread.sleep(1); // let the shadow threads keep up (a full queue would drop copies)
      }
      await(() -> report(e, "same").requests() + report(e, "same").shadowDropped() == 200, "the copies");
      VariantReport same = report(e, "same");
      assertThat(same.shadowIdentical()).as("the same version answers identically").isEqualTo(same.requests());
      await(() -> report(e, "broken").requests() + report(e, "broken").shadowDropped() == 200, "the broken copies");
      assertThat(report(e, "broken").errors()).isEqualTo(report(e, "broken").requests());
      VariantReport next = report(e, "next");
      assertThat(next.requests() + next.shadowDropped()).isBetween(60L, 140L);
      assertThat(next.shadowIdentical()).isZero();
      assertThat(report(e, Experiment.CONTROL).errors()).isZero();
    }
  }

  @Test
  @DisplayName("a better challenger is promoted through the registry; every runtime following the alias moves to it")
  void promotesTheWinner() throws Exception {
    Random r = new Random(1);
    try (Experiment e = Experiment.builder("conversion").model("fraud").control(VersionSelector.alias("production"))
        .challenger("canary", VersionSelector.exact("1.1.0"), 0.5).build(swell)) {
      DecisionPolicy policy = DecisionPolicy.maximize("converted").minSamples(500);
      for (int u = 0; u < 200; u++) {
        e.predict("u" + u, in(u));
      }
      assertThat(e.decide(policy).kind()).as("too few samples").isEqualTo(Decision.Kind.CONTINUE);
      for (int u = 0; u < 4000; u++) {
        String unit = "u" + u;
        e.predict(unit, in(u));
        double rate = e.assign(unit).equals("canary") ? 0.20 : 0.10;
        e.record(unit, "converted", r.nextDouble() < rate ? 1 : 0);
      }
      Decision d = e.decide(policy);
      assertThat(d.kind()).as(d.reason()).isEqualTo(Decision.Kind.PROMOTE);
      assertThat(d.variant()).isEqualTo("canary");
      assertThat(d.pValue()).isLessThan(0.05);
      assertThat(d.difference()).isCloseTo(0.10, org.assertj.core.data.Offset.offset(0.03));
      assertThat(e.apply(d, registry, "production")).isEqualTo(SemVer.parse("1.1.0"));
      assertThat(registry.alias("fraud", "production")).contains(SemVer.parse("1.1.0"));
      assertThat(e.assign("u1")).isEqualTo(Experiment.CONTROL);
      await(() -> e.predict("u1", in(1)).version().equals("1.1.0"), "the control to follow the alias");
    }
  }

  @Test
  @DisplayName("a challenger that fails breaks the error guardrail and is rolled back; its units return to the control")
  void guardrailRollsBack() {
    try (Experiment e = Experiment.builder("guarded").model("fraud").control(VersionSelector.alias("production"))
        .challenger("bad", VersionSelector.exact("1.2.0"), 0.3).build(swell)) {
      int failed = 0;
      for (int u = 0; u < 1000; u++) {
        try {
          e.predict("u" + u, in(u));
        } catch (BackendException expected) {
          failed++;
        }
      }
      assertThat(failed).isEqualTo((int) report(e, "bad").requests());
      assertThatThrownBy(() -> e.predict("u1", NamedTensors.of("x", Tensor.of(new float[3], 1, 3))))
          .isInstanceOf(InvalidInputException.class);
      Decision d = e.decide(DecisionPolicy.maximize("converted").minSamples(100));
      assertThat(d.kind()).as(d.reason()).isEqualTo(Decision.Kind.ROLLBACK);
      assertThat(d.reason()).contains("error rate");
      e.apply(d, registry, "production");
      for (int u = 0; u < 300; u++) {
        assertThat(e.predict("u" + u, in(u)).variant()).contains(Experiment.CONTROL);
      }
      assertThat(registry.alias("fraud", "production")).contains(SemVer.parse("1.0.0"));
      assertThat(report(e, "control").errors()).as("invalid input is the caller's, not an error").isZero();
    }
  }

  @Test
  @DisplayName("a significantly worse metric rolls the challenger back; no difference continues")
  void worseMetricRollsBack() {
    Random r = new Random(2);
    try (Experiment e = Experiment.builder("worse").model("fraud").control(VersionSelector.alias("production"))
        .challenger("canary", VersionSelector.exact("1.1.0"), 0.5).build(swell)) {
      for (int u = 0; u < 3000; u++) {
        e.record("u" + u, "loss", r.nextGaussian() + (e.assign("u" + u).equals("canary") ? 0.3 : 0));
        e.record("u" + u, "same", r.nextGaussian());
      }
      assertThat(e.decide(DecisionPolicy.minimize("loss").minSamples(500)).kind()).isEqualTo(Decision.Kind.ROLLBACK);
      assertThat(e.decide(DecisionPolicy.maximize("loss").minSamples(500)).kind()).isEqualTo(Decision.Kind.PROMOTE);
      Decision same = e.decide(DecisionPolicy.maximize("same").minSamples(500).alpha(0.001));
      assertThat(same.kind()).as(same.reason()).isEqualTo(Decision.Kind.CONTINUE);
    }
  }

  @Test
  @DisplayName("8 threads predict and record while the canary ramps 0 -> 50%: every answer from its variant's version, counts add up, meters agree")
  void concurrentTrafficWhileRamping() throws Exception {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    try (Experiment e = Experiment.builder("busy").model("fraud").control(VersionSelector.alias("production"))
        .challenger("canary", VersionSelector.exact("1.1.0"), 0).build(swell)) {
      e.bindTo(meters);
      java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
      java.util.List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
      java.util.List<java.util.concurrent.Future<?>> fs = new java.util.ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int seed = t;
        fs.add(pool.submit(() -> {
          Random r = new Random(seed);
          while (!stop.get()) {
            String unit = "u" + r.nextInt(100_000);
            float v = r.nextFloat();
            try {
              Prediction p = e.predict(unit, in(v));
              int weights = p.variant().orElseThrow().equals("canary") ? 2 : 1;
              if (!java.util.Arrays.equals(p.output("y").toFloatArray(), answer(weights, v))
                  || !p.version().equals(weights == 2 ? "1.1.0" : "1.0.0")) {
                failures.add(new AssertionError(p.variant() + " answered from " + p.version()));
              }
              e.record(unit, "value", v);
              calls.incrementAndGet();
            } catch (Throwable x) {
              failures.add(x);
            }
          }
          return null;
        }));
      }
      for (int step = 1; step <= 10; step++) {
        Thread.sleep(30);
        e.ramp("canary", step * 0.05);
      }
      Thread.sleep(30);
      stop.set(true);
      for (var f : fs) {
        f.get(30, TimeUnit.SECONDS);
      }
      pool.shutdown();
      assertThat(failures).isEmpty();
      long total = e.report().stream().mapToLong(VariantReport::requests).sum();
      assertThat(total).isEqualTo(calls.get());
      assertThat(report(e, "canary").requests()).isPositive();
      assertThat(meters.get("swell.experiment.requests").tag("experiment", "busy").tag("variant", "canary")
          .functionCounter().count()).isEqualTo(report(e, "canary").requests());
      assertThat(meters.get("swell.experiment.share").tag("variant", "control").gauge().value())
          .isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-9));
      long recorded = e.report().stream().mapToLong(r -> r.metrics().get("value") == null ? 0
          : r.metrics().get("value").count()).sum();
      assertThat(recorded).isEqualTo(calls.get());
    }
  }

  @Test
  @DisplayName("bad configurations are refused with the reason")
  void validation() {
    assertThatThrownBy(() -> Experiment.builder(" ")).hasMessageContaining("key");
    assertThatThrownBy(() -> Experiment.builder("x").challenger("control", VersionSelector.latest(), 0.1))
        .hasMessageContaining("taken");
    assertThatThrownBy(() -> Experiment.builder("x").challenger("a", VersionSelector.latest(), 0.7)
        .challenger("b", VersionSelector.latest(), 0.4)).hasMessageContaining("more than 1");
    assertThatThrownBy(() -> Experiment.builder("x").model("fraud").build(swell)).hasMessageContaining("control");
    assertThatThrownBy(() -> DecisionPolicy.maximize("m").alpha(0)).hasMessageContaining("alpha");
    assertThatThrownBy(() -> Experiment.builder("x").model("fraud").control(VersionSelector.alias("production"))
        .challenger("ghost", VersionSelector.exact("9.9.9"), 0.1).build(swell))
        .isInstanceOf(dev.swell.api.ModelNotFoundException.class);
  }
}

package dev.swell.abtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.swell.api.BackendException;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.cache.CachePolicy;
import dev.swell.core.testkit.MlpWeights;
import dev.swell.core.testkit.ReferenceBackendProvider;
import dev.swell.registry.ExperimentChange;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.RegistryEvent;
import dev.swell.registry.SemVer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Experiments served by real runtimes from a real file registry, with the pure-Java reference backend. */
class ExperimentTest {

  @TempDir Path dir;

  private FileModelRegistry registry;
  private Swell swell;

  @BeforeEach
  void setUp() {
    registry = FileModelRegistry.open(dir.resolve("registry"));
    publish("1.0.0", 1);
    publish("1.1.0", 2);
    publish("1.2.0", 3, "fail_on_negative", "true");
    publish("1.3.0", 4);
    registry.promote("fraud", SemVer.parse("1.0.0"), "production");
    swell = runtime();
  }

  private Swell runtime() {
    return Swell.builder().discoverBackends(false).backend(new ReferenceBackendProvider()).repository(registry)
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

  private Experiment.Builder canary(String key, double share) {
    return Experiment.builder(key).model("fraud").control(VersionSelector.alias("production"))
        .challenger("canary", VersionSelector.exact("1.1.0"), share).autoDecide(false)
        .refreshEvery(Duration.ofMillis(20)).replica("here");
  }

  @Test
  @DisplayName("each unit is served by its variant, always the same one, and the responses say which")
  void stickyAssignment() {
    Map<String, String> first = new HashMap<>();
    int canary = 0;
    try (Experiment e = canary("sticky", 0.2).build(swell, registry)) {
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
      assertThat(e.localTotals().get("canary").requests()).isEqualTo(2L * canary);
    }
    try (Experiment again = canary("sticky", 0.2).build(swell, registry)) {
      first.forEach((unit, variant) -> assertThat(again.assign(unit)).as(unit).contains(variant));
    }
  }

  @Test
  @DisplayName("per-request options reach the variant: the unit key assigns, the request id comes back, a passed deadline fails")
  void requestOptionsReachTheVariant() {
    try (Experiment e = canary("options", 0.5).build(swell, registry)) {
      for (int u = 0; u < 50; u++) {
        String unit = "user-" + u;
        Prediction p = e.predict(in(u), dev.swell.api.RequestOptions.builder().unitKey(unit).requestId("r" + u).build());
        assertThat(p.variant()).isEqualTo(e.assign(unit));
        assertThat(p.requestId()).contains("r" + u);
      }
      assertThatThrownBy(() -> e.predict(in(1), dev.swell.api.RequestOptions.DEFAULT))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unitKey");
      // the reference backend sleeps delay_ms when asked: a 1 ms deadline passes during the run
      publish("1.4.0", 5, "delay_ms", "200");
      try (Experiment slow = Experiment.builder("slow").model("fraud").control(VersionSelector.alias("production"))
          .challenger("slow", VersionSelector.exact("1.4.0"), 1.0).autoDecide(false).replica("here")
          .build(swell, registry)) {
        String unit = "user-1";
        assertThatThrownBy(() -> slow.predict(in(1), dev.swell.api.RequestOptions.builder().unitKey(unit)
            .timeout(Duration.ofMillis(20)).build())).isInstanceOf(dev.swell.api.DeadlineExceededException.class);
        assertThat(slow.localTotals().get("slow").errors()).as("counted as the variant's error").isEqualTo(1);
      }
    }
  }

  @Test
  @DisplayName("bug: a late outcome went to the unit's variant of now; it goes to the variant that served it")
  void outcomesGoToTheVariantThatServed() {
    try (Experiment e = canary("late", 0.05).build(swell, registry)) {
      Map<String, Prediction> served = new HashMap<>();
      for (int u = 0; u < 400; u++) {
        served.put("u" + u, e.predict("u" + u, in(u)));
      }
      e.ramp("canary", 1.0); // every unit is the canary's now
      served.forEach((unit, p) -> assertThat(e.assign(unit)).contains("canary"));
      long fromControl = served.values().stream().filter(p -> p.variant().orElseThrow().equals("control")).count();
      served.values().forEach(p -> e.record(p, "fraud_caught", 1));
      assertThat(e.localTotals().get("control").metric("fraud_caught").count()).isEqualTo(fromControl);
      assertThat(e.localTotals().get("canary").metric("fraud_caught").count()).isEqualTo(400 - fromControl);
      assertThatThrownBy(() -> e.record("nobody", "m", 1)).hasMessageContaining("no variant 'nobody'");
      assertThatThrownBy(() -> e.record("control", "m", Double.NaN)).hasMessageContaining("finite");
    }
  }

  @Test
  @DisplayName("bug: a restart brought a rolled-back challenger back at its builder share; shares live in the registry")
  void aRestartChangesNoShare() {
    try (Experiment e = canary("restart", 0.5).build(swell, registry)) {
      e.ramp("canary", 0.0);
      e.ramp("canary", 0.05);
    }
    try (Experiment again = canary("restart", 0.5).build(swell, registry)) {
      assertThat(again.definition().share("canary")).isCloseTo(0.05, org.assertj.core.data.Offset.offset(1e-12));
      assertThat(again.definition().revision()).isEqualTo(3);
    }
    assertThatThrownBy(() -> Experiment.builder("restart").model("fraud").control(VersionSelector.alias("production"))
        .challenger("canary", VersionSelector.exact("1.3.0"), 0.5).replica("other").build(swell, registry))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("exists with another definition");
    try (Experiment joined = Experiment.builder("restart").model("fraud").replica("joiner").build(swell, registry)) {
      assertThat(joined.definition().challengers()).extracting(Variant::name).containsExactly("canary");
    }
    assertThat(registry.experiments().get("fraud", "restart").orElseThrow().history())
        .extracting(ExperimentChange::kind).containsExactly("created", "ramp", "ramp");
  }

  @Test
  @DisplayName("bug: ramping a challenger that is not the last moved units between challengers")
  void rampingAnyChallengerMovesUnitsOnlyFromTheControl() {
    try (Experiment e = Experiment.builder("two").model("fraud").control(VersionSelector.alias("production"))
        .challenger("a", VersionSelector.exact("1.1.0"), 0.1).challenger("b", VersionSelector.exact("1.3.0"), 0.1)
        .autoDecide(false).replica("here").build(swell, registry)) {
      // each challenger in turn: ramping only the first one did not catch a layout rebuilt from
      // the weights (the control first: growing 'a' takes from the control, growing 'b' from 'a')
      for (String ramped : List.of("a", "b")) {
        Map<String, Optional<String>> before = new HashMap<>();
        for (int u = 0; u < 20_000; u++) {
          before.put("u" + u, e.assign("u" + u));
        }
        e.ramp(ramped, 0.3);
        int moved = 0;
        for (var entry : before.entrySet()) {
          String was = entry.getValue().orElseThrow();
          String now = e.assign(entry.getKey()).orElseThrow();
          if (!was.equals(now)) {
            assertThat(was + " -> " + now).as("ramping %s", ramped).isEqualTo("control -> " + ramped);
            moved++;
          }
        }
        assertThat(moved).as("ramping %s", ramped).isBetween(3600, 4400); // 20% of 20,000
      }
    }
  }

  @Test
  @DisplayName("bug: cache hits counted as model calls in a variant's latency")
  void cacheHitsAreNotLatency() {
    try (Swell cached = Swell.builder().discoverBackends(false).backend(new ReferenceBackendProvider())
        .repository(registry).warmupRuns(0).resultCache(CachePolicy.maxBytes(1 << 20)).build();
         Experiment e = canary("cached", 0.0).build(cached, registry)) {
      for (int i = 0; i < 50; i++) {
        Prediction p = e.predict("u1", in(1));
        assertThat(p.cached()).isEqualTo(i > 0);
      }
      VariantTotals control = e.localTotals().get("control");
      assertThat(control.requests()).isEqualTo(50);
      assertThat(control.cached()).isEqualTo(49);
      assertThat(control.latencyMicros().count()).isEqualTo(1);
    }
  }

  @Test
  @DisplayName("bug: replicas had to be handed each other's files; every replica's outcomes are found beside the experiment")
  void replicasFindEachOther() throws Exception {
    try (Swell other = runtime();
         Experiment a = canary("replicas", 0.5).replica("a").build(swell, registry);
         Experiment b = canary("replicas", 0.5).replica("b").build(other, registry)) {
      for (int u = 0; u < 300; u++) {
        a.predict("u" + u, in(u));
        b.predict("u" + u, in(u)); // the same units reach both replicas
        b.predict("v" + u, in(u));
      }
      b.save();
      Map<String, VariantTotals> all = a.totals();
      assertThat(all.get("control").requests() + all.get("canary").requests()).isEqualTo(900);
      Decision d = a.decide();
      long units = d.figures().get(0).units() + d.figures().get(1).units();
      assertThat(units).as("a unit served by both replicas is one unit").isEqualTo(600);
      assertThatThrownBy(() -> canary("replicas", 0.5).replica("a").build(swell, registry))
          .hasMessageContaining("replica 'a'").hasMessageContaining("in use");
    }
  }

  @Test
  void anotherReplicaFollowsARampAndAStop() {
    try (Swell other = runtime();
         Experiment a = canary("follow", 0.1).replica("a").build(swell, registry);
         Experiment b = canary("follow", 0.1).replica("b").build(other, registry)) {
      a.ramp("canary", 0.4);
      await().atMost(Duration.ofSeconds(5)).until(() -> b.definition().share("canary") > 0.39);
      int same = 0;
      for (int u = 0; u < 2000; u++) {
        same += a.assign("u" + u).equals(b.assign("u" + u)) ? 1 : 0;
      }
      assertThat(same).isEqualTo(2000);
      a.stop("enough");
      await().atMost(Duration.ofSeconds(5)).until(() -> b.assign("u1").isEmpty());
      Prediction p = b.predict("u1", in(1));
      assertThat(p.variant()).as("not in a stopped experiment").isEmpty();
      assertThat(p.version()).isEqualTo("1.0.0");
      assertThat(b.record(p, "m", 1)).isFalse();
      assertThat(registry.events("fraud")).filteredOn(ev -> ev.type() == RegistryEvent.Type.EXPERIMENT)
          .extracting(RegistryEvent::detail).anyMatch(s -> s.contains("stop: enough"))
          .anyMatch(s -> s.contains("canary 10.00% -> 40.00% of units"));
    }
  }

  @Test
  @DisplayName("a canary that fails 5% of requests is rolled back by the loop; its units return to the control")
  void guardrailRollsBackAutomatically() {
    try (Experiment e = Experiment.builder("guarded").model("fraud").control(VersionSelector.alias("production"))
        .challenger("bad", VersionSelector.exact("1.2.0"), 0.3).decideEvery(Duration.ofMillis(50)).replica("here")
        .refreshEvery(Duration.ofMillis(20)).saveEvery(Duration.ofMillis(50)).build(swell, registry)) {
      SplittableRandom r = new SplittableRandom(3);
      int failed = 0;
      for (int u = 0; u < 6000 && !e.definition().stoppedVariants().contains("bad"); u++) {
        float x = r.nextDouble() < 0.05 ? -1 : 1; // the canary fails on negative inputs
        try {
          e.predict("u" + u, in(x));
        } catch (BackendException expected) {
          failed++;
        }
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> e.definition().stoppedVariants().contains("bad"));
      assertThat(failed).isPositive();
      assertThat(e.definition().share("bad")).isZero();
      assertThat(e.assign("u1")).contains("control");
      ExperimentChange rollback = registry.experiments().get("fraud", "guarded").orElseThrow().history().stream()
          .filter(c -> c.kind().equals("rollback")).findFirst().orElseThrow();
      assertThat(rollback.summary()).contains("bad rolled back: error rate");
      assertThat(rollback.figures()).contains("\"errorIncreaseLowerBound\"");
      assertThatThrownBy(() -> e.predict("u1", NamedTensors.of("x", Tensor.of(new float[3], 1, 3))))
          .isInstanceOf(InvalidInputException.class);
    }
  }

  @Test
  @DisplayName("a better challenger is promoted through the alias; every runtime following it moves")
  void promotesTheWinner() {
    SplittableRandom r = new SplittableRandom(1);
    try (Experiment e = canary("conversion", 0.5).policy(DecisionPolicy.maximize("converted").build())
        .build(swell, registry)) {
      for (int u = 0; u < 6000; u++) {
        Prediction p = e.predict("u" + u, in(u));
        double rate = p.variant().orElseThrow().equals("canary") ? 0.20 : 0.10;
        e.record(p, "converted", r.nextDouble() < rate ? 1 : 0);
      }
      Decision d = e.decideAndApply().orElseThrow();
      assertThat(d.kind()).as(d.reason()).isEqualTo(Decision.Kind.PROMOTE);
      assertThat(d.variant()).isEqualTo("canary");
      assertThat(registry.alias("fraud", "production")).contains(SemVer.parse("1.1.0"));
      assertThat(e.definition().status()).isEqualTo(ExperimentDefinition.Status.CONCLUDED);
      assertThat(e.definition().outcome().orElseThrow()).contains("promoted canary (1.1.0) to 'production'");
      assertThat(e.assign("u1")).isEmpty();
      await().atMost(Duration.ofSeconds(5)).until(() -> e.predict("u1", in(1)).version().equals("1.1.0"));
    }
  }

  @Test
  @DisplayName("a bandit moves shares toward the better arm through the control, deterministically per period")
  void banditReweights() {
    java.time.Clock clock = java.time.Clock.fixed(java.time.Instant.parse("2026-12-01T10:00:00Z"), java.time.ZoneOffset.UTC);
    try (Experiment e = Experiment.builder("bandit").model("fraud").control(VersionSelector.alias("production"))
        .challenger("a", VersionSelector.exact("1.1.0"), 1.0 / 3).challenger("b", VersionSelector.exact("1.3.0"), 1.0 / 3)
        .policy(DecisionPolicy.maximize("converted").build()).bandit(BanditPolicy.every(Duration.ofMinutes(10)).build())
        .autoDecide(false).replica("here").clock(clock).build(swell, registry)) {
      SplittableRandom r = new SplittableRandom(2);
      Map<String, Optional<String>> before = new HashMap<>();
      for (int u = 0; u < 3000; u++) {
        Prediction p = e.predict("u" + u, in(u));
        double rate = p.variant().orElseThrow().equals("b") ? 0.3 : 0.1;
        e.record(p, "converted", r.nextDouble() < rate ? 1 : 0);
        before.put("u" + u, e.assign("u" + u));
      }
      Decision expected = Decisions.decide(e.definition(), e.totals(), Exposures.NONE, clock.millis() / 600_000);
      Decision d = e.decideAndApply().orElseThrow();
      assertThat(d.kind()).as(d.reason()).isEqualTo(Decision.Kind.REWEIGHT);
      assertThat(d.weights()).as("the same data and period give the same weights").containsExactly(expected.weights());
      assertThat(e.definition().share("b")).isGreaterThan(0.9);
      assertThat(e.definition().share("a")).isCloseTo(0.01, org.assertj.core.data.Offset.offset(1e-9));
      // a bandit reallocates: units move only from arms that shrank (a, control) to the one that grew (b)
      before.forEach((unit, was) -> {
        String now = e.assign(unit).orElseThrow();
        if (!now.equals(was.orElseThrow())) {
          assertThat(was.get() + " -> " + now).isIn("a -> control", "control -> b", "a -> b");
        }
      });
    }
  }

  @Test
  @DisplayName("a restart of the same replica continues its counts and remembers its units")
  void aRestartLosesNothingSaved() {
    try (Experiment e = canary("durable", 0.5).build(swell, registry)) {
      for (int u = 0; u < 500; u++) {
        Prediction p = e.predict("u" + u, in(u));
        e.record(p, "m", u);
      }
    }
    try (Experiment e = canary("durable", 0.5).build(swell, registry)) {
      Map<String, VariantTotals> t = e.localTotals();
      assertThat(t.get("control").requests() + t.get("canary").requests()).isEqualTo(500);
      assertThat(t.get("control").metric("m").count() + t.get("canary").metric("m").count()).isEqualTo(500);
      for (int u = 0; u < 500; u++) {
        e.predict("u" + u, in(u)); // the same units again
      }
      Decision d = e.decide();
      assertThat(d.figures().get(0).units() + d.figures().get(1).units()).isEqualTo(500);
    }
  }
}

package dev.swell.abtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.abtest.stats.Summary;
import dev.swell.api.NamedTensors;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.testkit.ReferenceBackendProvider;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An experiment's outcomes survive restarts and crashes; summaries of replicas merge exactly. */
class PersistenceTest {

  @TempDir Path dir;

  private Path root;

  @BeforeEach
  void registry() {
    root = dir.resolve("registry");
    FileModelRegistry registry = FileModelRegistry.open(root);
    for (int v = 0; v <= 1; v++) {
      Path f = ReferenceBackendProvider.write(dir.resolve("v" + v + ".ref"),
          "op", "mlp", "in", "4", "hidden", "8", "out", "2", "seed", "" + (v + 1));
      registry.publish(PublishRequest.builder("fraud").file(f).version("1.".concat(v + ".0")).build());
    }
    registry.promote("fraud", SemVer.parse("1.0.0"), "production");
  }

  private Swell swell() {
    return Swell.builder().discoverBackends(false).backend(new ReferenceBackendProvider())
        .repository(FileModelRegistry.open(root)).warmupRuns(0).build();
  }

  private static Experiment.Builder experiment(String key) {
    return Experiment.builder(key).model("fraud").control(VersionSelector.alias("production"))
        .challenger("canary", VersionSelector.exact("1.1.0"), 0.5);
  }

  @Test
  @DisplayName("closing saves; a new experiment with the same key and file continues where it stopped")
  void restartContinues() {
    Path state = dir.resolve("state/fraud-canary.json");
    List<VariantReport> before;
    Random r = new Random(1);
    try (Swell swell = swell(); Experiment e = experiment("fraud-canary").persistTo(state).build(swell)) {
      for (int u = 0; u < 500; u++) {
        e.predict("u" + u, NamedTensors.of("x", Tensor.of(new float[4], 1, 4)));
        e.record("u" + u, "converted", r.nextInt(2));
      }
      before = e.report();
    }
    assertThat(state).exists();
    try (Swell swell = swell(); Experiment e = experiment("fraud-canary").persistTo(state).build(swell)) {
      List<VariantReport> after = e.report();
      for (int i = 0; i < before.size(); i++) {
        VariantReport b = before.get(i);
        VariantReport a = after.get(i);
        assertThat(a.requests()).isEqualTo(b.requests());
        assertThat(a.errors()).isEqualTo(b.errors());
        assertThat(a.latencyMicros().count()).isEqualTo(b.latencyMicros().count());
        assertThat(a.metrics().get("converted")).isEqualTo(b.metrics().get("converted"));
      }
      e.record("u1", "converted", 1);
      assertThat(e.state().variants().values().stream().mapToLong(v -> v.metrics().get("converted").count()).sum())
          .isEqualTo(501);
      assertThatThrownBy(() -> experiment("another").persistTo(state).build(swell))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'fraud-canary', not 'another'");
    }
  }

  @Test
  @DisplayName("a replica decides over every replica's saved outcomes: alone too few samples, together a promotion")
  void decidesOverReplicas() {
    Path stateA = dir.resolve("states/replica-a.json");
    Path stateB = dir.resolve("states/replica-b.json");
    Random r = new Random(5);
    DecisionPolicy policy = DecisionPolicy.maximize("converted").minSamples(1500);
    try (Swell swellA = swell(); Swell swellB = swell();
         Experiment a = experiment("shared").persistTo(stateA).build(swellA);
         Experiment b = experiment("shared").persistTo(stateB).build(swellB)) {
      for (int u = 0; u < 4000; u++) {
        Experiment replica = u % 2 == 0 ? a : b;
        String unit = "u" + u;
        double rate = replica.assign(unit).equals("canary") ? 0.16 : 0.10;
        replica.record(unit, "converted", r.nextDouble() < rate ? 1 : 0);
      }
      b.save();
      Decision alone = a.decide(policy);
      assertThat(alone.kind()).as(alone.reason()).isEqualTo(Decision.Kind.CONTINUE);
      Decision together = a.decide(policy, List.of(ExperimentState.read(stateB)));
      assertThat(together.kind()).as(together.reason()).isEqualTo(Decision.Kind.PROMOTE);
      assertThat(together.reason()).contains("samples");
      try (Experiment other = experiment("other").build(swellA)) {
        assertThatThrownBy(() -> a.decide(policy, List.of(other.state())))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'other'");
      }
    }
  }

  @Test
  @DisplayName("6 SIGKILLs of a process recording without pause: the state file is always whole, and only grows")
  void survivesKills() throws Exception {
    Path state = dir.resolve("crashy.json");
    long last = 0;
    SplittableRandom r = new SplittableRandom(7);
    for (int kill = 0; kill < 6; kill++) {
      Process p = new ProcessBuilder(List.of(
          System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
          "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
          "-cp", System.getProperty("java.class.path"), StateWorker.class.getName(), root.toString(), state.toString()))
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("started");
      Thread.sleep(100 + r.nextInt(300));
      p.destroyForcibly(); // SIGKILL: no close, no final save
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      ExperimentState s = ExperimentState.read(state);
      long count = s.variants().values().stream().mapToLong(v -> v.metrics().containsKey("m")
          ? v.metrics().get("m").count() : 0).sum();
      for (ExperimentState.VariantState v : s.variants().values()) {
        if (v.metrics().containsKey("m")) {
          assertThat(v.metrics().get("m").mean()).as("every value was 1.0").isEqualTo(1.0);
          assertThat(v.metrics().get("m").variance()).isZero();
        }
      }
      assertThat(count).as("after kill %d", kill).isGreaterThanOrEqualTo(last);
      last = count;
      try (var files = Files.list(dir)) {
        assertThat(files.filter(f -> f.getFileName().toString().endsWith(".tmp")).count()).isLessThanOrEqualTo(1);
      }
    }
    System.out.printf("experiment state: 6 kills, %d outcomes kept, file whole after each%n", last);
    assertThat(last).isPositive();
  }

  @Property(tries = 200)
  void mergedSummariesEqualOneSummary(@ForAll @IntRange(min = 0, max = 300) int n1,
      @ForAll @IntRange(min = 0, max = 300) int n2, @ForAll long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Summary all = new Summary();
    Summary a = new Summary();
    Summary b = new Summary();
    for (int i = 0; i < n1 + n2; i++) {
      double x = r.nextGaussian() * 10 + 3;
      all.add(x);
      (i < n1 ? a : b).add(x);
    }
    Summary merged = Summary.of(a.snapshot());
    merged.merge(b.snapshot());
    Summary.Snapshot m = merged.snapshot();
    Summary.Snapshot t = all.snapshot();
    assertThat(m.count()).isEqualTo(t.count());
    assertThat(m.mean()).isCloseTo(t.mean(), org.assertj.core.api.Assertions.within(1e-9));
    assertThat(m.variance()).isCloseTo(t.variance(), org.assertj.core.api.Assertions.within(1e-7));
  }
}

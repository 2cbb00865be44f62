package dev.swell.samples.canary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.swell.abtest.Decision;
import dev.swell.abtest.DecisionPolicy;
import dev.swell.abtest.Decisions;
import dev.swell.abtest.Experiment;
import dev.swell.abtest.ExperimentDefinition;
import dev.swell.abtest.Exposures;
import dev.swell.abtest.Experiments;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.testkit.ChildJvm;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.AliasMove;
import dev.swell.registry.ExperimentChange;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.RegistryEvent;
import dev.swell.registry.SemVer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safe-rollout loop end to end on real parts: ONNX versions in a file registry, two replica
 * processes serving an experiment they read from the registry, deciding under its lock. A 10%
 * canary that fails 5% of requests is rolled back automatically within one decision interval of
 * the evidence; a faster challenger is then promoted through the {@code production} alias, which
 * both replicas follow. Each replica restarted in turn (SIGTERM, then started again) changes no
 * share and loses no outcome. Both changes, with their figures, are in the experiment's history
 * and the model's event log; the promotion is in the alias history.
 */
class CanaryRolloutTest {

  private static final Duration DECIDE_EVERY = Duration.ofSeconds(1);

  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS) Path dir;

  private final List<ChildJvm.Running> children = new java.util.ArrayList<>();

  @org.junit.jupiter.api.AfterEach
  void killChildren() {
    children.forEach(ChildJvm.Running::close);
  }

  private ChildJvm.Running replica(Path root, String key, String name, int run) throws Exception {
    ChildJvm.Running r = ChildJvm.builder(ReplicaProcess.class).args(root.toString(), key, name)
        .start(dir.resolve(key + "-" + name + "-" + run + ".txt"));
    children.add(r);
    return r;
  }

  private static long lastStat(ChildJvm.Running r, int field) {
    List<String> stats = r.lines().stream().filter(l -> l.startsWith("stats ")).toList();
    return stats.isEmpty() ? -1 : Long.parseLong(stats.get(stats.size() - 1).split(" ")[field]);
  }

  private static long restored(ChildJvm.Running r) {
    return r.lines().stream().filter(l -> l.startsWith("restored ")).mapToLong(l -> Long.parseLong(l.split(" ")[1]))
        .findFirst().orElse(-1);
  }

  private static long saved(ChildJvm.Running r) {
    return r.lines().stream().filter(l -> l.startsWith("saved ")).mapToLong(l -> Long.parseLong(l.split(" ")[1]))
        .findFirst().orElse(-1);
  }

  private static void stop(ChildJvm.Running r) throws InterruptedException {
    r.process().destroy(); // SIGTERM: the replica drains, saves and exits
    assertThat(r.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(r.process().exitValue()).as("replica exit; output:\n%s", r.output()).isEqualTo(143);
  }

  @Test
  @DisplayName("two replica processes: a failing canary is rolled back within a decision interval, a faster one promoted")
  void rollout() throws Exception {
    Path root = dir.resolve("registry");
    FileModelRegistry registry = FileModelRegistry.open(root);
    registry.publish(PublishRequest.builder("scorer").file(OnnxModels.mlp(dir, 16, 1024, 4, 1)).version("1.0.0")
        .metric("auc", 0.90).build());
    registry.publish(PublishRequest.builder("scorer").file(OnnxModels.mlpFailingOn(dir, 16, 1024, 4, 2, 1000))
        .version("1.1.0").parent(SemVer.parse("1.0.0")).build());
    registry.publish(PublishRequest.builder("scorer").file(OnnxModels.mlp(dir, 16, 8, 4, 3)).version("1.2.0")
        .parent(SemVer.parse("1.0.0")).build());
    registry.promote("scorer", SemVer.parse("1.0.0"), "production");
    DecisionPolicy policy = DecisionPolicy.minimize(DecisionPolicy.LATENCY).maxErrorRateIncrease(0.01).build();
    try (Swell swell = Swell.builder().repository(registry).build()) {
      define(swell, registry, "flawed", "1.1.0", policy);
      define(swell, registry, "faster", "1.2.0", policy);
    }

    // ---- 1. the flawed canary
    ChildJvm.Running r1 = replica(root, "flawed", "r1", 0);
    ChildJvm.Running r2 = replica(root, "flawed", "r2", 0);
    await().atMost(Duration.ofSeconds(60)).until(() -> lastStat(r2, 2) > 300);
    stop(r2);
    long savedBeforeRestart = saved(r2);
    ChildJvm.Running r2again = replica(root, "flawed", "r2", 1);
    await().atMost(Duration.ofSeconds(60)).until(() -> lastStat(r2again, 2) >= 0);
    assertThat(restored(r2again)).as("a restart loses no outcome").isEqualTo(savedBeforeRestart);
    // the other replica too (the first to start, usually the one deciding): its lead passes on
    stop(r1);
    long savedByR1 = saved(r1);
    ChildJvm.Running r1again = replica(root, "flawed", "r1", 1);
    await().atMost(Duration.ofSeconds(60)).until(() -> lastStat(r1again, 2) >= 0);
    assertThat(restored(r1again)).as("a restart of the other replica loses no outcome").isEqualTo(savedByR1);
    System.out.printf("restarts: r2 saved %d requests and restored %d, r1 saved %d and restored %d%n",
        savedBeforeRestart, restored(r2again), savedByR1, restored(r1again));
    // a restart changes no share: it writes no revision (only the decision loop may have), and the
    // restarted replica serves the stored one
    await().atMost(Duration.ofSeconds(10)).until(() -> lastStat(r2again, 6) == stored(registry, "flawed").revision());
    assertThat(registry.experiments().get("scorer", "flawed").orElseThrow().history())
        .extracting(ExperimentChange::kind).allMatch(k -> k.equals("created") || k.equals("rollback"));

    long[] evidenceAt = {0};
    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100)).until(() -> {
      ExperimentDefinition def = stored(registry, "flawed");
      if (evidenceAt[0] == 0 && def.status() == ExperimentDefinition.Status.RUNNING
          && def.stoppedVariants().isEmpty()) {
        Decision d = Decisions.decide(def, Experiments.totals(registry, "scorer", "flawed"), Exposures.NONE, 0);
        if (d.kind() == Decision.Kind.ROLLBACK) {
          evidenceAt[0] = System.nanoTime();
        }
      }
      return def.stoppedVariants().contains("canary");
    });
    long rolledBackAt = System.nanoTime();
    ExperimentChange rollback = registry.experiments().get("scorer", "flawed").orElseThrow().history().stream()
        .filter(c -> c.kind().equals("rollback")).findFirst().orElseThrow();
    double lagSeconds = evidenceAt[0] == 0 ? 0 : (rolledBackAt - evidenceAt[0]) / 1e9;
    System.out.printf("flawed canary: %s%n  %s (decision interval %s)%n", rollback.summary(), evidenceAt[0] == 0
        ? "rolled back before the replicas' saved files showed the evidence to this test (the leader decides on its "
            + "own fresher counts)" : String.format("rolled back %.2f s after the saved data first called for it",
            lagSeconds), DECIDE_EVERY);
    assertThat(lagSeconds).as("rolled back within one decision interval of the evidence")
        .isLessThanOrEqualTo(DECIDE_EVERY.toMillis() / 1000.0 + 0.5);
    assertThat(rollback.figures()).contains("\"errorIncreaseLowerBound\"");
    long failedAfterRollback = lastStat(r1again, 4);
    await().atMost(Duration.ofSeconds(10)).until(() -> lastStat(r1again, 2) > 0);
    // no more failures once both replicas follow the rollback (the canary serves nobody)
    await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10)).until(() -> true);
    long failedLater = lastStat(r1again, 4);
    long servedLater = lastStat(r1again, 2);
    await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10))
        .until(() -> lastStat(r1again, 2) > servedLater + 100);
    assertThat(lastStat(r1again, 4)).as("no failure after the rollback reached r1").isEqualTo(failedLater);
    assertThat(failedLater).isGreaterThanOrEqualTo(failedAfterRollback);
    stop(r1again);
    stop(r2again);

    // ---- 2. the faster challenger
    ChildJvm.Running f1 = replica(root, "faster", "r1", 0);
    ChildJvm.Running f2 = replica(root, "faster", "r2", 0);
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(
        () -> stored(registry, "faster").status() == ExperimentDefinition.Status.CONCLUDED);
    assertThat(registry.alias("scorer", "production")).contains(SemVer.parse("1.2.0"));
    ExperimentChange promote = registry.experiments().get("scorer", "faster").orElseThrow().history().stream()
        .filter(c -> c.kind().equals("promote")).findFirst().orElseThrow();
    System.out.printf("faster challenger: %s%n", promote.summary());
    List<AliasMove> moves = registry.aliasHistory("scorer", "production");
    assertThat(moves.get(moves.size() - 1).to()).isEqualTo(SemVer.parse("1.2.0"));
    await().atMost(Duration.ofSeconds(20)).until(() -> f1.output().contains("status CONCLUDED")
        && f2.output().contains("status CONCLUDED"));
    stop(f1);
    stop(f2);
    assertThat(lastStat(f1, 4) + lastStat(f2, 4)).as("failed requests while promoting").isZero();
    List<RegistryEvent> events = registry.events("scorer");
    assertThat(events).filteredOn(e -> e.type() == RegistryEvent.Type.EXPERIMENT).extracting(RegistryEvent::detail)
        .anyMatch(d -> d.contains("rollback: canary rolled back: error rate"))
        .anyMatch(d -> d.contains("promote: promoted fast (1.2.0) to 'production'"));
    assertThat(events).anyMatch(e -> e.type() == RegistryEvent.Type.ALIAS_MOVED
        && SemVer.parse("1.2.0").equals(e.version()));
  }

  private static void define(Swell swell, FileModelRegistry registry, String key, String version, DecisionPolicy policy) {
    String name = key.equals("flawed") ? "canary" : "fast";
    try (Experiment e = Experiment.builder(key).model("scorer").control(VersionSelector.alias("production"))
        .challenger(name, VersionSelector.exact(version), 0.10).policy(policy).decideEvery(DECIDE_EVERY)
        .autoDecide(false).replica("creator").build(swell, registry)) {
      assertThat(e.definition().revision()).isEqualTo(1);
    }
  }

  private static ExperimentDefinition stored(FileModelRegistry registry, String key) {
    return Experiments.definition(registry, "scorer", key).orElseThrow();
  }
}

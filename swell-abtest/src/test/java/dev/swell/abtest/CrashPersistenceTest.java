package dev.swell.abtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.testkit.ChildJvm;
import dev.swell.core.testkit.ReferenceBackendProvider;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A replica killed with SIGKILL mid-save leaves its state whole, and the next start continues from it. */
class CrashPersistenceTest {

  @TempDir Path dir;

  @Test
  void sigkillMidSaveNeverTearsTheState() throws Exception {
    Path root = dir.resolve("registry");
    FileModelRegistry registry = FileModelRegistry.open(root);
    for (String v : new String[] {"1.0.0", "1.1.0"}) {
      Path file = ReferenceBackendProvider.write(dir.resolve(v + ".ref"), "op", "mlp", "in", "4", "hidden", "8", "out", "2",
          "seed", "1");
      registry.publish(PublishRequest.builder("fraud").file(file).version(v).build());
    }
    registry.promote("fraud", SemVer.parse("1.0.0"), "production");
    Path state = root.resolve("models/fraud/experiments/crashy/replicas/worker.json");
    Path exposures = root.resolve("models/fraud/experiments/crashy/replicas/worker" + ExposureLog.SUFFIX);
    SplittableRandom random = new SplittableRandom(5);
    long last = 0;
    for (int kill = 0; kill < 6; kill++) {
      ChildJvm.Running child = ChildJvm.builder(RecordingWorker.class).args(root.toString())
          .start(dir.resolve("worker-" + kill + ".txt"));
      await().atMost(Duration.ofSeconds(60)).until(() -> child.output().contains("started"));
      TimeUnit.MILLISECONDS.sleep(50 + random.nextInt(250)); // a random moment while it records and saves
      child.process().destroyForcibly(); // SIGKILL
      assertThat(child.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      Map<String, VariantTotals> t = Recorder.parse(Files.readString(state), "crashy", state);
      long outcomes = t.get("control").metric("m").count() + t.get("canary").metric("m").count();
      assertThat(outcomes).as("kill %d: the counts only grow", kill).isGreaterThanOrEqualTo(last);
      assertThat(t.get("control").metric("m").mean()).isEqualTo(1.0);
      assertThat(t.get("canary").metric("m").mean()).isEqualTo(1.0);
      last = outcomes;
    }
    assertThat(last).isPositive();
    // the next start reads the last save, and cuts a torn record off the exposure log
    try (Swell swell = Swell.builder().discoverBackends(false).backend(new ReferenceBackendProvider())
        .repository(registry).warmupRuns(0).build();
         Experiment e = Experiment.builder("crashy").model("fraud").replica("worker").autoDecide(false)
             .build(swell, registry)) {
      Map<String, VariantTotals> t = e.localTotals();
      assertThat(t.get("control").metric("m").count() + t.get("canary").metric("m").count()).isEqualTo(last);
      assertThat(Files.size(exposures) % ExposureLog.RECORD).isZero();
    }
    System.out.printf("6 SIGKILLs of a replica recording non-stop: state whole after each, %d outcomes kept%n", last);
  }
}

package dev.swell.abtest;

import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.testkit.ReferenceBackendProvider;
import dev.swell.registry.FileModelRegistry;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A replica that serves and records without pause, saving every 5 ms, until it is killed. Every
 * outcome is 1.0, so a saved state mixing two saves would show a mean other than 1.
 */
public final class RecordingWorker {

  private RecordingWorker() {}

  /**
   * Runs until killed.
   *
   * @param args the registry root
   */
  public static void main(String[] args) {
    dev.swell.core.testkit.ChildJvm.exitWithParent();
    FileModelRegistry registry = FileModelRegistry.open(Path.of(args[0]));
    Swell swell = Swell.builder().discoverBackends(false).backend(new ReferenceBackendProvider()).repository(registry)
        .warmupRuns(0).build();
    Experiment e = Experiment.builder("crashy").model("fraud").control(VersionSelector.alias("production"))
        .challenger("canary", VersionSelector.exact("1.1.0"), 0.5).autoDecide(false).replica("worker")
        .saveEvery(Duration.ofMillis(5)).build(swell, registry);
    System.out.println("started");
    System.out.flush();
    NamedTensors in = NamedTensors.of("x", Tensor.of(new float[4], 1, 4));
    for (long i = 0; ; i++) {
      Prediction p = e.predict("u" + i, in);
      e.record(p, "m", 1.0);
    }
  }
}

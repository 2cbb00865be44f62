package dev.swell.abtest;

import dev.swell.api.NamedTensors;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.testkit.ReferenceBackendProvider;
import dev.swell.registry.FileModelRegistry;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A process that records outcomes without pause into an experiment saved every 5 ms, until it is
 * killed. Every value is 1.0, so a state file mixing two saves would show a mean other than 1.
 */
public final class StateWorker {

  private StateWorker() {}

  /**
   * Runs until killed.
   *
   * @param args registry root, state file
   */
  public static void main(String[] args) {
    FileModelRegistry registry = FileModelRegistry.open(Path.of(args[0]));
    Swell swell = Swell.builder().discoverBackends(false).backend(new ReferenceBackendProvider()).repository(registry)
        .warmupRuns(0).build();
    Experiment e = Experiment.builder("crashy").model("fraud").control(VersionSelector.alias("production"))
        .challenger("canary", VersionSelector.exact("1.1.0"), 0.5)
        .persistTo(Path.of(args[1])).saveEvery(Duration.ofMillis(5)).build(swell);
    System.out.println("started");
    System.out.flush();
    NamedTensors in = NamedTensors.of("x", Tensor.of(new float[4], 1, 4));
    for (long i = 0; ; i++) {
      e.record("u" + i, "m", 1.0);
      if (i % 16 == 0) {
        e.predict("u" + i, in);
      }
    }
  }
}

package dev.swell.onnx;

import dev.swell.api.BackendException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.spi.BackendConfig;
import dev.swell.core.Swell;
import dev.swell.core.testkit.ChildJvm;
import java.nio.file.Path;

/**
 * A child JVM for {@link NativeLogLevelTest}: loads a model that fails at run time with the ONNX
 * log level given (or none), fails one call, and prints "failed as expected".
 * Arguments: model file, log level or "-".
 */
public final class NativeLogProbe {

  private NativeLogProbe() {}

  /**
   * Runs the probe.
   *
   * @param args model file and log level ("-" for the default)
   */
  public static void main(String[] args) {
    ChildJvm.exitWithParent();
    BackendConfig.Builder config = BackendConfig.builder();
    if (!args[1].equals("-")) {
      config.option(OnnxBackendProvider.LOG_LEVEL, args[1]);
    }
    try (Swell swell = Swell.builder().warmupRuns(0).backendConfig(config.build()).build();
         Predictor p = swell.load(Path.of(args[0]))) {
      p.predict(NamedTensors.of("x", Tensor.of(new float[3], 1, 3)));
      System.out.println("the call did not fail");
    } catch (BackendException expected) {
      System.out.println("failed as expected");
    }
  }
}

package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.spi.BackendConfig;
import dev.swell.core.Swell;
import dev.swell.core.testkit.ChildJvm;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime writes its own messages to the process's standard error, past SLF4J; a failing
 * kernel writes one per failed call. {@code onnx.log-level} sets how severe they must be: seen in
 * a child JVM, the only way to capture native output.
 */
class NativeLogLevelTest {

  @TempDir Path dir;

  private String run(Path model, String level) throws Exception {
    Path out = dir.resolve("out-" + level + ".txt");
    try (ChildJvm.Running child = ChildJvm.builder(NativeLogProbe.class).args(model.toString(), level).start(out)) {
      assertThat(child.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(child.process().exitValue()).as(Files.readString(out)).isZero();
    }
    String text = Files.readString(out);
    assertThat(text).contains("failed as expected");
    return text;
  }

  @Test
  @DisplayName("bug: ONNX Runtime's native error lines could not be silenced; onnx.log-level=fatal silences them")
  void logLevel() throws Exception {
    Path model = OnnxModels.failingAtRuntime(dir);
    assertThat(run(model, "-")).as("default: ONNX Runtime's warning level").contains("[E:onnxruntime");
    assertThat(run(model, "fatal")).doesNotContain("[E:onnxruntime");
    assertThatThrownBy(() -> {
      try (Swell swell = Swell.builder().backendConfig(BackendConfig.builder()
          .option(OnnxBackendProvider.LOG_LEVEL, "loud").build()).build()) {
        swell.load(model);
      }
    }).hasMessageContaining("expected verbose, info, warning, error or fatal");
  }
}

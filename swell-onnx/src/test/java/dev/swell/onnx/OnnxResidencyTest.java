package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.core.Swell;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.OnnxModels;
import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A residency limit over real ONNX Runtime sessions: sessions freed, outputs unchanged by reloads. */
class OnnxResidencyTest {

  @TempDir Path dir;

  @Test
  @DisplayName("3 models with room for 1: 300 calls in turn reload every time, outputs bit-identical, one session left")
  void roundRobinOverLimit() throws Exception {
    long sessionsBefore = OnnxNativeStats.openSessions();
    NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, new SplittableRandom(4), 3, 16));
    try (Swell swell = Swell.builder().maxResidentVersions(1).build()) {
      List<Predictor> ps = new ArrayList<>();
      List<float[]> expected = new ArrayList<>();
      for (int m = 0; m < 3; m++) {
        try (Predictor alone = swell.load("ref" + m, OnnxModels.mlp(dir, 16, 32, 4, m))) {
          expected.add(alone.predict(in).output("y").toFloatArray());
        }
      }
      for (int m = 0; m < 3; m++) {
        ps.add(swell.load("m" + m, OnnxModels.mlp(dir, 16, 32, 4, m)));
      }
      for (int i = 0; i < 300; i++) {
        int m = i % 3;
        assertThat(ps.get(m).predict(in).output("y").toFloatArray()).isEqualTo(expected.get(m));
      }
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
          .until(() -> OnnxNativeStats.openSessions() <= sessionsBefore + 1);
      assertThat(OnnxNativeStats.openSessions()).as("one session resident").isEqualTo(sessionsBefore + 1);
      assertThat(swell.residentVersions()).isEqualTo(1);
      for (Predictor p : ps) {
        p.close();
      }
    }
    assertThat(OnnxNativeStats.openSessions()).isEqualTo(sessionsBefore);
    assertThat(OnnxNativeStats.openTensors()).isZero();
  }
}

package dev.swell.onnx.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.BackendException;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.core.Swell;
import dev.swell.core.testkit.MlpWeights;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelsFlawTest {

  @TempDir Path dir;

  @Test
  void theFlawedMlpAnswersLikeTheMlpAndFailsOutOfItsTable() {
    try (Swell swell = Swell.builder().warmupRuns(0).build();
         Predictor p = swell.load(OnnxModels.mlpFailingOn(dir, 4, 8, 2, 3, 1000))) {
      float[] x = {5, 1, 2, 3};
      float[] y = p.predict("x", Tensor.of(x, 1, 4)).output("y").toFloatArray();
      float[] expected = MlpWeights.generate(4, 8, 2, 3).apply(x, 1);
      for (int i = 0; i < y.length; i++) {
        assertThat(y[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5f));
      }
      assertThatThrownBy(() -> p.predict("x", Tensor.of(new float[] {1000, 1, 2, 3}, 1, 4)))
          .isInstanceOf(BackendException.class);
    }
  }
}

package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.BackendException;
import dev.swell.api.DType;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.spi.Backend;
import dev.swell.api.spi.BackendConfig;
import dev.swell.api.spi.LoadedModel;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.core.Swell;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the ONNX backend does beyond the compatibility kit. */
class OnnxBackendTest {

  @TempDir Path dir;

  @AfterEach
  void nothingNativeLeftOpen() {
    assertThat(OnnxNativeStats.openTensors()).as("open tensors").isZero();
    assertThat(OnnxNativeStats.openResults()).as("open results").isZero();
  }

  private static Backend backend(BackendConfig config) {
    return new OnnxBackendProvider().create(config);
  }

  @Test
  @DisplayName("CUDA first, CPU second: on a machine without a GPU the model runs on the CPU")
  void fallsBackToCpu() {
    try (Backend b = backend(BackendConfig.defaults());
         LoadedModel m = b.load(ModelArtifact.ofFile("mlp", "1", OnnxModels.mlp(dir, 4, 8, 2, 1)))) {
      if (!OnnxBackend.nvidiaDriverPresent()) {
        assertThat(m.device()).isEqualTo("cpu");
      }
      assertThat(m.run(NamedTensors.of("x", Tensor.of(new float[4], 1, 4))).get("y").shape())
          .containsExactly(1, 2);
    }
  }

  @Test
  @DisplayName("asking only for CUDA on a machine without it fails with a message saying how to fall back")
  void cudaOnlyWithoutGpu() {
    org.junit.jupiter.api.Assumptions.assumeFalse(OnnxBackend.nvidiaDriverPresent());
    try (Backend b = backend(BackendConfig.builder().executionProviders(List.of("cuda")).build())) {
      assertThatThrownBy(() -> b.load(ModelArtifact.ofFile("mlp", "1", OnnxModels.mlp(dir, 4, 8, 2, 1))))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("no execution provider of [cuda]")
          .hasMessageContaining("cpu");
    }
  }

  @Test
  @DisplayName("bad options are refused when the backend is created, naming the option")
  void badOptions() {
    assertThatThrownBy(() -> backend(BackendConfig.builder().executionProviders(List.of("tpu")).build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tpu");
    assertThatThrownBy(() -> backend(BackendConfig.builder().option(OnnxBackendProvider.OPTIMIZATION, "max").build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("onnx.optimization");
  }

  @Test
  @DisplayName("thread counts and optimization levels are honoured and give the same answers")
  void sessionOptions() {
    Path model = OnnxModels.mlp(dir, 16, 32, 4, 5);
    Tensor x = RandomTensors.random(DType.FLOAT32, new SplittableRandom(3), 3, 16);
    Tensor reference = null;
    for (String level : new String[] {"none", "basic", "extended", "all"}) {
      BackendConfig config = BackendConfig.builder().intraOpThreads(1).interOpThreads(1)
          .option(OnnxBackendProvider.OPTIMIZATION, level).option(OnnxBackendProvider.CPU_ARENA, "false")
          .build();
      try (Backend b = backend(config); LoadedModel m = b.load(ModelArtifact.ofFile("mlp", "1", model))) {
        Tensor y = m.run(NamedTensors.of("x", x)).get("y");
        if (reference == null) {
          reference = y;
        }
        float[] a = y.toFloatArray();
        float[] e = reference.toFloatArray();
        for (int i = 0; i < a.length; i++) {
          assertThat(a[i]).isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-5f));
        }
      }
    }
  }

  @Test
  @DisplayName("a native failure at run time is a BackendException, and the model keeps working")
  void runtimeFailure() {
    try (Swell swell = Swell.builder().build(); Predictor p = swell.load(OnnxModels.failingAtRuntime(dir))) {
      var spec = p.signature().inputs().get(0);
      long[] shape = spec.shape();
      // find a shape that the model refuses at run time: try a few until one fails natively
      BackendException failure = null;
      Tensor good = null;
      for (int n = 1; n <= 12 && (failure == null || good == null); n++) {
        for (int i = 0; i < shape.length; i++) {
          shape[i] = spec.isDynamic(i) ? n : spec.dim(i);
        }
        Tensor x = RandomTensors.random(spec.dtype(), new SplittableRandom(n), shape);
        try {
          p.predict(spec.name(), x);
          good = x;
        } catch (BackendException e) {
          failure = e;
        }
      }
      assertThat(failure).as("some input fails natively").isNotNull();
      assertThat(failure).hasMessageContaining("ONNX Runtime failed to run")
          .hasCauseInstanceOf(ai.onnxruntime.OrtException.class);
      assertThat(failure.model()).isEqualTo(p.model());
      assertThat(good).as("some input succeeds").isNotNull();
      assertThat(p.predict(spec.name(), good).outputs().size()).isEqualTo(1);
    }
  }

  @Test
  @DisplayName("a fixed dimension is checked by Swell before ONNX Runtime sees it")
  void fixedShapeValidation() {
    try (Swell swell = Swell.builder().build(); Predictor p = swell.load(OnnxModels.fixedShape(dir))) {
      assertThat(p.signature().inputs().get(0).shape()).containsExactly(2, 3);
      assertThat(p.predict("x", Tensor.of(new float[6], 2, 3)).output("y").shape()).containsExactly(2, 3);
      assertThatThrownBy(() -> p.predict("x", Tensor.of(new float[9], 3, 3)))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("dimension 0 = 2");
    }
  }

  @Test
  @DisplayName("Swell's float16 and bfloat16 rounding agrees with ONNX Runtime's Cast")
  void halfConversionsMatchOrtCast() {
    try (Swell swell = Swell.builder().build()) {
      for (DType half : new DType[] {DType.FLOAT16, DType.BFLOAT16}) {
        try (Predictor toHalf = swell.load(OnnxModels.cast(dir, DType.FLOAT32, half));
             Predictor fromHalf = swell.load(OnnxModels.cast(dir, half, DType.FLOAT32))) {
          SplittableRandom r = new SplittableRandom(half.ordinal());
          float[] values = new float[4096];
          for (int i = 0; i < values.length; i++) {
            // a wide range of magnitudes, including subnormal and overflowing halves
            values[i] = (float) ((r.nextDouble() * 2 - 1) * Math.pow(2, r.nextInt(-30, 20)));
          }
          values[0] = 65504f;
          values[1] = 65520f;
          values[2] = -0f;
          values[3] = Float.MIN_NORMAL;
          Tensor x = Tensor.of(values, 64, 64);
          Tensor ortHalf = toHalf.predict("x", x).output("y");
          Tensor swellHalf = Tensor.ofHalf(half, values, 64, 64);
          assertThat(swellHalf.toShortArray()).as(half + " rounding").isEqualTo(ortHalf.toShortArray());
          float[] ortBack = fromHalf.predict("x", swellHalf).output("y").toFloatArray();
          assertThat(swellHalf.toFloatArray()).as(half + " widening").isEqualTo(ortBack);
        }
      }
    }
  }

  @Test
  @DisplayName("a process-wide ONNX Runtime environment created by someone else is reused")
  void sharedEnvironment() {
    ai.onnxruntime.OrtEnvironment theirs = ai.onnxruntime.OrtEnvironment.getEnvironment();
    try (Swell swell = Swell.builder().build(); Predictor p = swell.load(OnnxModels.mlp(dir, 4, 4, 2, 2))) {
      p.predict("x", Tensor.of(new float[4], 1, 4));
    }
    // Swell never closes the shared environment: its owner can still use it.
    assertThat(ai.onnxruntime.OrtEnvironment.getEnvironment()).isSameAs(theirs);
  }
}

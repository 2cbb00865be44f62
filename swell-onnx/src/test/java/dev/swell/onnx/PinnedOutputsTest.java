package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.BackendException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Tensor;
import dev.swell.api.spi.Backend;
import dev.swell.api.spi.BackendConfig;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outputs written into tensors made before the run (ONNX Runtime's pinned outputs), from the pool
 * of native tensors that inputs copied from the heap use too: the same answers as plain ONNX
 * Runtime whatever the shapes and their order, a model whose declaration lies found out, and
 * every lent tensor given back.
 */
class PinnedOutputsTest {

  @TempDir static Path dir;
  private static Backend backend;

  @BeforeAll
  static void start() {
    backend = new OnnxBackendProvider().create(BackendConfig.builder().intraOpThreads(1).build());
  }

  @AfterAll
  static void stop() {
    backend.close();
  }

  private static OnnxLoadedModel load(String name, Path model) {
    return (OnnxLoadedModel) backend.load(ModelArtifact.ofFile(name, "1", model));
  }

  private static Tensor rows(int batch, int width, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[batch * width];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextDouble(-2, 2);
    }
    return Tensor.of(x, batch, width);
  }

  @Test
  @DisplayName("MLP and a two-output model: pinned, and equal to raw ONNX Runtime bit for bit for batch sizes in any order")
  void pinnedOutputsEqualRawOrt() throws Exception {
    Path mlp = OnnxModels.mlp(dir, 16, 32, 4, 7);
    Path two = OnnxModels.twoInTwoOut(dir);
    try (OnnxLoadedModel m = load("mlp", mlp); OnnxLoadedModel t = load("two", two);
         RawOrt rawMlp = new RawOrt(mlp); RawOrt rawTwo = new RawOrt(two)) {
      assertThat(m.pinsOutputs()).as("output [batch, 4] follows from input [batch, 16]").isTrue();
      assertThat(t.pinsOutputs()).isTrue();
      int[] batches = {1, 3, 1, 64, 2, 64, 1, 0, 5, 3};
      for (int i = 0; i < batches.length; i++) {
        NamedTensors in = NamedTensors.of("x", rows(batches[i], 16, i));
        assertThat(m.run(in)).as("batch %d", batches[i]).isEqualTo(rawMlp.run(in));
        NamedTensors in2 = NamedTensors.of("a", rows(batches[i], 4, i), "b", rows(batches[i], 4, i + 100));
        assertThat(t.run(in2)).as("two outputs, batch %d", batches[i]).isEqualTo(rawTwo.run(in2));
      }
      assertThat(m.pinsOutputs()).isTrue();
      assertThat(OnnxNativeStats.openTensors()).isZero();
    }
  }

  @Test
  @DisplayName("A model whose declared output shape lies answers right, and its outputs are no longer pinned")
  void misdeclaredShapeIsFoundOut() {
    try (OnnxLoadedModel m = load("liar", OnnxModels.misdeclaredIdentity(dir))) {
      assertThat(m.pinsOutputs()).as("declared y [b, a] follows from x [a, b]").isTrue();
      Tensor square = rows(2, 2, 1);
      assertThat(m.run(NamedTensors.of("x", square)).get("y")).isEqualTo(square);
      assertThat(m.pinsOutputs()).as("a square input cannot show the lie").isTrue();
      Tensor wide = rows(2, 3, 2);
      Tensor y = m.run(NamedTensors.of("x", wide)).get("y");
      assertThat(y.shape()).containsExactly(2, 3);
      assertThat(y).isEqualTo(wide);
      assertThat(m.pinsOutputs()).isFalse();
      Tensor tall = rows(3, 1, 3);
      assertThat(m.run(NamedTensors.of("x", tall)).get("y")).isEqualTo(tall);
      assertThat(OnnxNativeStats.openTensors()).isZero();
    }
  }

  @Test
  @DisplayName("NonZero, whose output size depends on the values, is never pinned and answers right")
  void valueDependentShapeIsNotPinned() {
    try (OnnxLoadedModel m = load("nonzero", OnnxModels.nonZero(dir))) {
      assertThat(m.pinsOutputs()).isFalse();
      Tensor y = m.run(NamedTensors.of("x", Tensor.of(new float[] {0, 3, 0, 1, 2}, 5))).get("y");
      assertThat(y.shape()).containsExactly(1, 3);
      assertThat(y.toLongArray()).containsExactly(1, 3, 4);
      assertThat(m.run(NamedTensors.of("x", Tensor.of(new float[] {0, 0, 7}, 3))).get("y").toLongArray())
          .containsExactly(2);
    }
  }

  @Test
  @DisplayName("A run that fails is not hidden by the unpinned retry, keeps pinning and gives its tensors back")
  void failingRunGivesTensorsBack() throws Exception {
    Path flawed = OnnxModels.mlpFailingOn(dir, 4, 8, 2, 1, 3);
    try (OnnxLoadedModel m = load("flawed", flawed); RawOrt raw = new RawOrt(flawed)) {
      assertThat(m.pinsOutputs()).isTrue();
      NamedTensors bad = NamedTensors.of("x", Tensor.of(new float[] {99, 0, 0, 0}, 1, 4));
      assertThatThrownBy(() -> m.run(bad)).isInstanceOf(BackendException.class)
          .hasMessageContaining("ONNX Runtime failed to run");
      assertThat(m.pinsOutputs()).as("the failure was the input's, not the declaration's").isTrue();
      assertThat(OnnxNativeStats.openTensors()).isZero();
      NamedTensors good = NamedTensors.of("x", Tensor.of(new float[] {1, 0.5f, -1, 2}, 1, 4));
      assertThat(m.run(good)).isEqualTo(raw.run(good));
    }
  }

  @Test
  @DisplayName("Concurrent calls of different batch sizes never see each other's pooled tensors")
  void concurrentShapesStayApart() throws Exception {
    Path mlp = OnnxModels.mlp(dir, 16, 32, 4, 7);
    int threads = 6;
    int calls = 2_000;
    try (OnnxLoadedModel m = load("mlp", mlp); RawOrt raw = new RawOrt(mlp)) {
      List<NamedTensors> inputs = new ArrayList<>();
      List<NamedTensors> expected = new ArrayList<>();
      for (int b = 0; b < threads; b++) {
        NamedTensors in = NamedTensors.of("x", rows(1 + b % 3, 16, 1000 + b)); // two threads per shape
        inputs.add(in);
        expected.add(raw.run(in));
      }
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<Integer>> done = new ArrayList<>();
        for (int b = 0; b < threads; b++) {
          int k = b;
          done.add(pool.submit(() -> {
            int wrong = 0;
            for (int i = 0; i < calls; i++) {
              if (!m.run(inputs.get(k)).equals(expected.get(k))) {
                wrong++;
              }
            }
            return wrong;
          }));
        }
        for (Future<Integer> f : done) {
          assertThat(f.get()).as("wrong answers").isZero();
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(OnnxNativeStats.openTensors()).isZero();
    }
  }
}

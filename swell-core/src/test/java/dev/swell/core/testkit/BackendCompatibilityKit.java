package dev.swell.core.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.swell.api.BackendException;
import dev.swell.api.DType;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.Signature;
import dev.swell.api.SwellException;
import dev.swell.api.Tensor;
import dev.swell.api.TensorSpec;
import dev.swell.api.spi.Backend;
import dev.swell.api.spi.BackendConfig;
import dev.swell.api.spi.BackendProvider;
import dev.swell.api.spi.LoadedModel;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.core.Swell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The compatibility kit every {@link BackendProvider} must pass: signatures, every dtype, batching
 * along the first dimension, concurrency, close semantics and bad input. A backend's test class
 * extends this one and says how to write the kit's test models in its own format.
 *
 * <p>The models: an MLP with {@link MlpWeights} (input {@code x} float32 [?, in], output {@code y}
 * [?, out]), an identity per dtype (input {@code x} [?, ?], output {@code y}), and a model with
 * inputs {@code a}, {@code b} (float32 [?, 4]) and outputs {@code sum}, {@code product}.
 */
public abstract class BackendCompatibilityKit {

  /** A fresh folder per test for the models. */
  @TempDir protected Path dir;

  private Swell swell;
  private CountingBackendProvider counting;
  private Backend backend;

  /**
   * Returns a new instance of the provider under test.
   *
   * @return the provider
   */
  protected abstract BackendProvider provider();

  /**
   * Writes the MLP model.
   *
   * @param dir where
   * @param in input width
   * @param hidden hidden width
   * @param out output width
   * @param seed the {@link MlpWeights} seed
   * @return the file
   */
  protected abstract Path writeMlp(Path dir, int in, int hidden, int out, long seed);

  /**
   * Writes an identity model of a dtype.
   *
   * @param dir where
   * @param dtype the input and output dtype
   * @return the file
   */
  protected abstract Path writeIdentity(Path dir, DType dtype);

  /**
   * Writes the two-input, two-output model.
   *
   * @param dir where
   * @return the file
   */
  protected abstract Path writeTwoInTwoOut(Path dir);

  /**
   * Returns the file extension of the backend's format, such as {@code onnx}.
   *
   * @return the extension without a dot
   */
  protected abstract String extension();

  /**
   * Returns how far the MLP's outputs may be from {@link MlpWeights#apply} (absolute).
   *
   * @return the tolerance
   */
  protected double mlpTolerance() {
    return 1e-5;
  }

  @BeforeEach
  void startKit() {
    counting = new CountingBackendProvider(provider());
    swell = Swell.builder().backend(counting).discoverBackends(false).build();
    backend = provider().create(BackendConfig.defaults());
  }

  @AfterEach
  void stopKit() {
    swell.close();
    backend.close();
  }

  private LoadedModel loadDirect(Path file) {
    return backend.load(ModelArtifact.ofFile("kit", "1.0.0", file));
  }

  @Test
  @DisplayName("the provider names itself, lists its format and is available")
  void providerDescribesItself() {
    BackendProvider p = provider();
    assertThat(p.name()).isNotBlank();
    assertThat(p.formats()).contains(extension());
    assertThat(p.isAvailable()).isTrue();
    assertThat(p.canLoad(ModelArtifact.ofFile("m", "1", dir.resolve("m." + extension())))).isTrue();
    assertThat(p.canLoad(ModelArtifact.ofFile("m", "1", dir.resolve("m.unknown-format")))).isFalse();
  }

  @Test
  @DisplayName("ServiceLoader finds the provider")
  void discoverableByServiceLoader() {
    Class<?> type = provider().getClass();
    assertThat(ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::type))
        .contains(type.asSubclass(BackendProvider.class));
  }

  private static void assertSpec(TensorSpec actual, TensorSpec expected) {
    assertThat(actual.name()).isEqualTo(expected.name());
    assertThat(actual.dtype()).isEqualTo(expected.dtype());
    assertThat(actual.shape()).as(actual + " shape").containsExactly(expected.shape());
  }

  @Test
  @DisplayName("the MLP's signature is read from the model")
  void mlpSignature() {
    try (LoadedModel m = loadDirect(writeMlp(dir, 16, 32, 4, 1))) {
      Signature s = m.signature();
      // names, types and shapes; symbolic dimension names are the model's own (ONNX keeps them)
      assertThat(s.inputs()).hasSize(1);
      assertThat(s.outputs()).hasSize(1);
      assertSpec(s.inputs().get(0), TensorSpec.of("x", DType.FLOAT32, -1, 16));
      assertSpec(s.outputs().get(0), TensorSpec.of("y", DType.FLOAT32, -1, 4));
      assertThat(m.device()).isNotBlank();
    }
  }

  @Test
  @DisplayName("two inputs and two outputs keep their names and order")
  void twoInputsTwoOutputs() {
    try (Predictor p = swell.load(writeTwoInTwoOut(dir))) {
      assertThat(p.signature().inputs()).extracting(TensorSpec::name).containsExactly("a", "b");
      assertThat(p.signature().outputs()).extracting(TensorSpec::name).containsExactly("sum", "product");
      float[] a = {1, 2, 3, 4, -1, -2, -3, -4};
      float[] b = {0.5f, 0.25f, 2, 8, 1, 1, 1, 1};
      Prediction out = p.predict(NamedTensors.of("a", Tensor.of(a, 2, 4), "b", Tensor.of(b, 2, 4)));
      assertThat(out.outputs().names()).containsExactly("sum", "product");
      assertThat(out.output("sum").toFloatArray()).containsExactly(1.5f, 2.25f, 5, 12, 0, -1, -2, -3);
      assertThat(out.output("product").toFloatArray()).containsExactly(0.5f, 0.5f, 6, 32, -1, -2, -3, -4);
      assertThat(out.output("sum").shape()).containsExactly(2, 4);
    }
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  @DisplayName("every dtype round-trips through an identity model")
  void identityRoundTrip(DType dtype) {
    try (Predictor p = swell.load(writeIdentity(dir, dtype))) {
      assertThat(p.signature().inputs().get(0).dtype()).isEqualTo(dtype);
      SplittableRandom r = new SplittableRandom(dtype.ordinal());
      for (long[] shape : new long[][] {{1, 1}, {3, 5}, {7, 64}}) {
        Tensor x = RandomTensors.random(dtype, r, shape);
        Tensor y = p.predict("x", x).output("y");
        assertThat(y).isEqualTo(x);
        // An output fed back as an input (its memory is the backend's, not Swell's factories').
        assertThat(p.predict("x", y).output("y")).isEqualTo(x);
      }
    }
  }

  @Test
  @DisplayName("the MLP computes what the plain Java oracle computes, at batch 1 and 8")
  void mlpMatchesOracle() {
    MlpWeights w = MlpWeights.generate(16, 32, 4, 42);
    try (Predictor p = swell.load(writeMlp(dir, 16, 32, 4, 42))) {
      for (int rows : new int[] {1, 8}) {
        Tensor x = RandomTensors.random(DType.FLOAT32, new SplittableRandom(rows), rows, 16);
        float[] expected = w.apply(x.toFloatArray(), rows);
        float[] actual = p.predict("x", x).output("y").toFloatArray();
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
          double tol = mlpTolerance() * Math.max(1, Math.abs(expected[i]));
          assertThat((double) actual[i]).as("y[%d]", i).isCloseTo(expected[i], within(tol));
        }
      }
    }
  }

  @Test
  @DisplayName("a batch of requests joined along the first dimension gives each request's answer")
  void batchingAlongFirstDimension() {
    try (Predictor p = swell.load(writeMlp(dir, 8, 16, 3, 7))) {
      SplittableRandom r = new SplittableRandom(3);
      List<NamedTensors> requests = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        requests.add(NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, 1 + i % 3, 8)));
      }
      long before = counting.runs();
      List<Prediction> batch = p.predictBatch(requests);
      assertThat(counting.runs() - before).as("one backend call for the whole batch").isEqualTo(1);
      assertThat(batch).hasSize(5);
      for (int i = 0; i < 5; i++) {
        Tensor single = p.predict(requests.get(i)).output("y");
        Tensor joined = batch.get(i).output("y");
        assertThat(joined.shape()).isEqualTo(single.shape());
        float[] a = joined.toFloatArray();
        float[] b = single.toFloatArray();
        for (int k = 0; k < a.length; k++) {
          assertThat(a[k]).isCloseTo(b[k], within(1e-5f));
        }
      }
    }
  }

  @Test
  @DisplayName("16 threads predicting at once get exactly the single-threaded results")
  void concurrentCallsMatchSingleThreaded() throws Exception {
    try (Predictor p = swell.load(writeMlp(dir, 16, 32, 4, 5))) {
      SplittableRandom r = new SplittableRandom(11);
      List<Tensor> inputs = new ArrayList<>();
      List<Tensor> expected = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        Tensor x = RandomTensors.random(DType.FLOAT32, r, 1 + i % 4, 16);
        inputs.add(x);
        expected.add(p.predict("x", x).output("y"));
      }
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> futures = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
          int offset = t;
          futures.add(pool.submit(() -> {
            start.await();
            int checked = 0;
            for (int k = 0; k < 200; k++) {
              int i = (offset + k) % inputs.size();
              Tensor y = p.predict("x", inputs.get(i)).output("y");
              if (!y.equals(expected.get(i))) {
                throw new AssertionError("thread " + offset + " call " + k + " differs");
              }
              checked++;
            }
            return checked;
          }));
        }
        start.countDown();
        int total = 0;
        for (Future<Integer> f : futures) {
          total += f.get(60, TimeUnit.SECONDS);
        }
        assertThat(total).isEqualTo(16 * 200);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  @DisplayName("close is idempotent and a closed model refuses calls")
  void closeSemantics() {
    LoadedModel m = loadDirect(writeMlp(dir, 4, 4, 2, 1));
    NamedTensors in = NamedTensors.of("x", Tensor.of(new float[4], 1, 4));
    assertThat(m.run(in).get("y").shape()).containsExactly(1, 2);
    m.close();
    m.close();
    assertThatThrownBy(() -> m.run(in)).isInstanceOf(IllegalStateException.class);

    Predictor p = swell.load(writeMlp(dir, 4, 4, 2, 1));
    p.close();
    p.close();
    assertThatThrownBy(() -> p.predict(in)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  @DisplayName("closing a model while other threads run it neither crashes nor corrupts results")
  void closeWhileRunning() throws Exception {
    LoadedModel m = loadDirect(writeMlp(dir, 16, 32, 4, 9));
    Tensor x = RandomTensors.random(DType.FLOAT32, new SplittableRandom(1), 4, 16);
    NamedTensors in = NamedTensors.of("x", x);
    Tensor expected = m.run(in).get("y");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong ok = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      futures.add(pool.submit(() -> {
        while (!stop.get()) {
          try {
            assertThat(m.run(in).get("y")).isEqualTo(expected);
            ok.incrementAndGet();
          } catch (IllegalStateException closed) {
            return;
          }
        }
      }));
    }
    Thread.sleep(50);
    m.close();
    stop.set(true);
    for (Future<?> f : futures) {
      f.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(ok.get()).isPositive();
    assertThatThrownBy(() -> m.run(in)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  @DisplayName("a zero-row batch is legal and runs")
  void zeroRowsRun() {
    try (Predictor p = swell.load(writeMlp(dir, 16, 32, 4, 1))) {
      Tensor y = p.predict(NamedTensors.of("x", Tensor.of(new float[0], 0, 16))).output("y");
      assertThat(y.shape()).as("a zero-row batch is a legal tensor: it runs").containsExactly(0, 4);
    }
  }

  @Test
  @DisplayName("invalid input is refused with a typed exception before reaching the backend")
  void invalidInputNeverReachesBackend() {
    try (Predictor p = swell.load(writeMlp(dir, 16, 32, 4, 1))) {
      long before = counting.runs();
      List<NamedTensors> bad = List.of(
          NamedTensors.of("x", Tensor.of(new long[16], 1, 16)),
          NamedTensors.of("x", Tensor.of(new float[16], 16)),
          NamedTensors.of("x", Tensor.of(new float[15], 1, 15)),
          NamedTensors.of("wrong", Tensor.of(new float[16], 1, 16)),
          NamedTensors.of("x", Tensor.of(new float[16], 1, 16), "extra", Tensor.of(new float[1], 1)),
          NamedTensors.empty());
      for (NamedTensors in : bad) {
        assertThatThrownBy(() -> p.predict(in)).as(in.toString())
            .isInstanceOf(InvalidInputException.class)
            .hasMessageContaining("expected");
      }
      assertThatThrownBy(() -> p.predict((NamedTensors) null)).isInstanceOf(InvalidInputException.class);
      assertThat(counting.runs()).isEqualTo(before);
    }
  }

  @Test
  @DisplayName("bad input given straight to the backend fails with a SwellException, and the model still works")
  void badInputStraightToBackend() {
    try (LoadedModel m = loadDirect(writeMlp(dir, 16, 32, 4, 1))) {
      assertThatThrownBy(() -> m.run(NamedTensors.of("x", Tensor.of(new long[16], 1, 16))))
          .isInstanceOf(SwellException.class);
      assertThatThrownBy(() -> m.run(NamedTensors.of("x", Tensor.of(new float[15], 1, 15))))
          .isInstanceOf(SwellException.class);
      assertThatThrownBy(() -> m.run(NamedTensors.empty())).isInstanceOf(SwellException.class);
      assertThat(m.run(NamedTensors.of("x", Tensor.of(new float[16], 1, 16))).get("y").shape())
          .containsExactly(1, 4);
    }
  }

  @Test
  @DisplayName("a corrupt or missing model file fails to load with a BackendException")
  void corruptOrMissingFile() throws IOException {
    Path garbage = dir.resolve("garbage." + extension());
    byte[] bytes = new byte[1024];
    new SplittableRandom(1).nextBytes(bytes);
    Files.write(garbage, bytes);
    assertThatThrownBy(() -> swell.load(garbage)).isInstanceOf(BackendException.class);
    assertThatThrownBy(() -> loadDirect(garbage)).isInstanceOf(BackendException.class);
    Path missing = dir.resolve("missing." + extension());
    assertThatThrownBy(() -> swell.load(missing)).isInstanceOf(BackendException.class)
        .hasMessageContaining("missing." + extension());
  }
}

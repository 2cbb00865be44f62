package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.DType;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.core.Swell;
import dev.swell.core.testkit.CountingBackendProvider;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Properties against real ONNX Runtime sessions: for random valid shapes and values Swell's
 * answer equals plain ONNX Runtime's bit for bit; for random invalid inputs Swell throws an
 * {@link InvalidInputException} and never calls the backend.
 */
class OnnxParityPropertiesTest {

  private static Path dir;
  private static CountingBackendProvider counting;
  private static Swell swell;
  private static Predictor mlp;
  private static RawOrt rawMlp;
  private static Predictor twoIo;
  private static RawOrt rawTwoIo;
  private static final Map<DType, Predictor> identities = new EnumMap<>(DType.class);
  private static final Map<DType, RawOrt> rawIdentities = new EnumMap<>(DType.class);

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("swell-onnx-props");
    counting = new CountingBackendProvider(new OnnxBackendProvider());
    swell = Swell.builder().backend(counting).discoverBackends(false).build();
    Path m = OnnxModels.mlp(dir, 16, 32, 4, 2024);
    mlp = swell.load(m);
    rawMlp = new RawOrt(m);
    Path t = OnnxModels.twoInTwoOut(dir);
    twoIo = swell.load(t);
    rawTwoIo = new RawOrt(t);
    for (DType d : DType.values()) {
      Path id = OnnxModels.identity(dir, d);
      identities.put(d, swell.load(id));
      rawIdentities.put(d, new RawOrt(id));
    }
  }

  @AfterContainer
  static void stop() throws Exception {
    swell.close();
    rawMlp.close();
    rawTwoIo.close();
    for (RawOrt r : rawIdentities.values()) {
      r.close();
    }
  }

  @Property(tries = 150)
  void mlpEqualsRawOrt(@ForAll @IntRange(min = 1, max = 96) int rows, @ForAll long seed) throws Exception {
    NamedTensors in = NamedTensors.of("x",
        RandomTensors.random(DType.FLOAT32, new SplittableRandom(seed), rows, 16));
    assertThat(mlp.predict(in).outputs()).isEqualTo(rawMlp.run(in));
  }

  @Property(tries = 100)
  void twoInputsEqualRawOrt(@ForAll @IntRange(min = 1, max = 32) int rows, @ForAll long seed) throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    NamedTensors in = NamedTensors.of("a", RandomTensors.random(DType.FLOAT32, r, rows, 4),
        "b", RandomTensors.random(DType.FLOAT32, r, rows, 4));
    assertThat(twoIo.predict(in).outputs()).isEqualTo(rawTwoIo.run(in));
  }

  @Property(tries = 200)
  void identityEqualsRawOrtForEveryDtype(@ForAll DType dtype,
      @ForAll @IntRange(min = 1, max = 8) int rows, @ForAll @IntRange(min = 0, max = 9) int cols,
      @ForAll long seed) throws Exception {
    NamedTensors in = NamedTensors.of("x", RandomTensors.random(dtype, new SplittableRandom(seed), rows, cols));
    NamedTensors out = identities.get(dtype).predict(in).outputs();
    assertThat(out).isEqualTo(rawIdentities.get(dtype).run(in));
    assertThat(out.get("y")).isEqualTo(in.get("x"));
  }

  @Provide
  Arbitrary<NamedTensors> invalidForMlp() {
    return Arbitraries.longs().map(seed -> {
      SplittableRandom r = new SplittableRandom(seed);
      int rows = 1 + r.nextInt(4);
      switch (r.nextInt(6)) {
        case 0: // wrong dtype
          DType d = DType.values()[r.nextInt(DType.values().length)];
          if (d == DType.FLOAT32) {
            d = DType.FLOAT64;
          }
          return NamedTensors.of("x", RandomTensors.random(d, r, rows, 16));
        case 1: // wrong rank
          return NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, rows, 16, 1 + r.nextInt(2)));
        case 2: // wrong feature width
          int width = r.nextInt(40);
          return NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, rows, width == 16 ? 17 : width));
        case 3: // a second dimension too wide (a zero-row batch is legal: see the compatibility kit)
          return NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, rows, 17 + r.nextInt(8)));
        case 4: // wrong name
          return NamedTensors.of("X", RandomTensors.random(DType.FLOAT32, r, rows, 16));
        default: // extra input
          return NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, rows, 16),
              "y", RandomTensors.random(DType.FLOAT32, r, rows, 4));
      }
    });
  }

  @Property(tries = 300)
  void invalidInputNeverReachesOnnxRuntime(@ForAll("invalidForMlp") NamedTensors in) {
    long before = counting.runs();
    assertThatThrownBy(() -> mlp.predict(in)).isInstanceOf(InvalidInputException.class);
    assertThat(counting.runs()).isEqualTo(before);
  }

  @Property(tries = 50)
  void scalarsAndOddShapesAreRefusedClearly(@ForAll @IntRange(min = 0, max = 4) int rank, @ForAll long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    long[] shape = new long[rank];
    for (int i = 0; i < rank; i++) {
      shape[i] = 1 + r.nextInt(3);
    }
    Tensor x = RandomTensors.random(DType.FLOAT32, r, shape);
    if (rank == 2 && shape[1] == 16) {
      return;
    }
    assertThatThrownBy(() -> mlp.predict("x", x)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("input 'x'");
  }
}
